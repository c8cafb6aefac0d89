"""End-to-end: the inventory page and the deploy panel's host mapping against a real sshd in a network namespace,
on the ASGI server with a Celery worker of the test's own whose management connections open inside that namespace.

An operator registers the sshd as a host (with a new key credential), presses Test connection (a job), confirms
the fingerprint the host offered, tests again and sees the facts the job gathered. Then, on a change request's
deploy panel, the operator maps a design host to that registered host (pinned) and another to a host whose key was
never pinned, and Deploy is refused with the message that names the unpinned one."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import cast

import pytest

from inventory.models import ManagedHost
from inventory.services import fingerprint_of
from topology.models import ChangeRequest, Design

from .conftest import in_thread

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
S10 = ROOT / "examples" / "s10-vxlan-multicast.yaml"
JOB_TIMEOUT_MS = 60_000


@pytest.fixture
def sshd(tmp_path, redis_url, django_db_setup):  # type: ignore[no-untyped-def]
    """A real sshd in a namespace of its own, and a worker of a host-work queue of its own that opens management
    connections inside that namespace; yields (sshd, queue)."""
    from project.celery import app as celery_app
    from tests.executors.conftest import CeleryWorker, _point_app_at, start_worker
    from tests.lab.sshd import start_namespaced_sshd, stop_namespaced_sshd
    from tests.lab.support import NO_LAB, unique_name

    if NO_LAB:
        pytest.skip(f"the lab cannot run here: {NO_LAB}")
    server = start_namespaced_sshd(unique_name("jnuinv"), tmp_path / "sshd")
    queue = f"{unique_name('jnuinvq')}-hosts"
    worker: CeleryWorker | None = None
    previous = _point_app_at(celery_app, broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    try:
        worker = start_worker(
            redis_url=redis_url,
            queues=[queue],
            log_path=tmp_path / "worker.log",
            extra_env={"JAILNET_HOSTS_QUEUE": queue, "JAILNET_SSH_MANAGEMENT_NETNS": server.netns},
        )
        yield server, queue
    finally:
        if worker is not None:
            worker.stop()
        _point_app_at(celery_app, **previous)
        stop_namespaced_sshd(server)


@pytest.fixture
def asgi_extra_env(sshd) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The ASGI server sends jobs to the sshd worker's queue."""
    return {"JAILNET_HOSTS_QUEUE": sshd[1]}


def _approved_s10(author, approver) -> tuple[Design, ChangeRequest]:  # type: ignore[no-untyped-def]
    from topology.changes.services import change_request_create, change_request_review, change_request_submit
    from topology.services.designs import design_import_document

    name = f"s10-inventory-e2e-{os.getpid()}"
    document = re.sub(r"^name: .*$", f"name: {name}", S10.read_text(), count=1, flags=re.M)

    def make() -> tuple[Design, ChangeRequest]:
        design = design_import_document(document_text=document)[0]
        cr = change_request_create(design=design, user=author, title="to the registered hosts")
        cr = change_request_submit(change_request=cr, user=author)
        return design, change_request_review(change_request=cr, user=approver, decision="approve")

    return cast("tuple[Design, ChangeRequest]", in_thread(make))


def _test_connection(page) -> None:  # type: ignore[no-untyped-def]
    """Press Test connection and wait for its job to end (the button comes back)."""
    page.get_by_role("button", name="Test connection").click()
    page.get_by_test_id("job-view").wait_for()
    page.get_by_test_id("contact-result").wait_for(timeout=JOB_TIMEOUT_MS)


def test_operator_registers_tests_pins_and_maps_a_host_and_deploy_refuses_an_unpinned_one(
    new_live_page, make_browser_user, sshd
) -> None:
    server, _queue = sshd
    author = make_browser_user("dora", "designer")
    approver = make_browser_user("abe", "approver")
    make_browser_user("otto", "operator")
    page = new_live_page("otto")

    # Register the sshd with a new key credential.
    page.goto(page.url.split("#")[0] + "#/inventory")
    page.get_by_role("link", name="Register a host").click()
    form = page.get_by_role("form", name="Register a host")
    form.get_by_label("Name", exact=True).first.fill("jh-1")
    form.get_by_label("Address").fill("127.0.0.1")
    form.get_by_role("button", name="New credential…").click()
    credential = form.locator("fieldset")
    credential.get_by_label("Name", exact=True).fill("lab-key")
    credential.get_by_role("textbox", name="Private key").fill(server.client_key)
    form.get_by_role("button", name="Register").click()
    page.get_by_role("heading", name="jh-1").wait_for()
    assert "Not contacted yet" in page.get_by_test_id("key-line").inner_text()

    # First contact: the job reads the key and the page offers its fingerprint for confirmation.
    _test_connection(page)
    offered = fingerprint_of(server.public_host_key())
    result = page.get_by_test_id("contact-result").inner_text()
    assert offered in result and "confirm" in result
    page.get_by_test_id("key-line").filter(has_text=f"Offered {offered}").wait_for()
    pin = page.get_by_role("form", name="Pin host key")
    pin.get_by_label("Fingerprint").fill("SHA256:not-the-one")
    pin.get_by_role("button", name="Confirm and pin").click()
    assert "does not match" in pin.get_by_role("alert").inner_text()
    pin.get_by_label("Fingerprint").fill(offered)
    pin.get_by_role("button", name="Confirm and pin").click()
    page.get_by_test_id("key-line").filter(has_text=f"Pinned {offered}").wait_for()
    assert page.get_by_role("form", name="Pin host key").count() == 0

    # Second contact: the job logs in and the facts arrive on the page.
    _test_connection(page)
    assert page.get_by_test_id("contact-result").inner_text() == "Logged in; facts gathered."
    page.get_by_test_id("job-view").and_(page.locator('[data-state="succeeded"]')).wait_for()
    assert "@@fact uname" in page.get_by_test_id("job-log").inner_text()
    facts = page.locator(".inventory-facts")
    facts.filter(has_text="uname -a").wait_for()
    text = facts.inner_text()
    assert "Linux" in text and re.search(r"Interfaces\s+lo\b", text), text
    assert page.get_by_test_id("contact-error").count() == 0

    # A second registered host whose key was never pinned.
    in_thread(lambda: ManagedHost.objects.create(name="jh-2", management_address="127.0.0.2"))

    # The deploy panel: map gateway to jh-1 (pinned) and jailhost-a to jh-2 (not pinned).
    _design, cr = _approved_s10(author, approver)
    page.goto(page.url.split("#")[0] + f"#/change-requests/{cr.pk}")
    deployments = page.get_by_test_id("deployments")
    deployments.get_by_label("Deploy to").select_option("inventory")
    mapping = deployments.get_by_test_id("host-mapping")
    rows = mapping.get_by_test_id("host-mapping-row")
    rows.first.wait_for()
    assert sorted(r.get_attribute("data-host") for r in rows.all()) == ["gateway", "jailhost-a", "jailhost-b"]
    gateway = mapping.locator('[data-testid="host-mapping-row"][data-host="gateway"]')
    jailhost_a = mapping.locator('[data-testid="host-mapping-row"][data-host="jailhost-a"]')
    gateway.get_by_label("Registered host of gateway").select_option(label="jh-1 (127.0.0.1)")
    assert gateway.locator("td").nth(2).inner_text() == "pinned"
    jailhost_a.get_by_label("Registered host of jailhost-a").select_option(label="jh-2 (127.0.0.2) — key unknown")
    assert "pin it in the inventory" in jailhost_a.locator("td").nth(2).inner_text()
    mapping.get_by_role("button", name="Save mapping").click()
    mapping.get_by_text("saved").wait_for()

    # Saved: a fresh page shows the same mapping and key states.
    page.reload()
    deployments = page.get_by_test_id("deployments")
    deployments.get_by_label("Deploy to").select_option("inventory")
    gateway = deployments.locator('[data-testid="host-mapping-row"][data-host="gateway"]')
    gateway.wait_for()
    assert gateway.get_by_label("Registered host of gateway").evaluate("(s) => s.selectedOptions[0].text") == (
        "jh-1 (127.0.0.1)"
    )
    assert gateway.locator("td").nth(2).inner_text() == "pinned"

    # Deploy is refused: the unpinned host and the unmapped one are named; nothing started.
    deployments.get_by_role("button", name="Deploy", exact=True).click()
    error = deployments.get_by_test_id("deploy-error")
    error.wait_for()
    message = error.inner_text()
    assert "cannot deploy to registered hosts" in message
    assert "jailhost-a -> jh-2: its host key is not pinned" in message and "pin it in the inventory" in message
    assert "jailhost-b is not mapped to a registered host" in message
    assert "gateway" not in message
    assert deployments.get_by_test_id("deployment").count() == 0
