"""End-to-end: deploying from the change request page, on the ASGI server with a real Celery worker (as root) and
the design's lab (real sshd in network namespaces). An operator deploys S10 to its lab: the deploy's job shows
per-host progress and log lines before it ends, then every host deployed; deploying an unchanged design again says
unchanged for every host. A host whose apply fails is rolled back while the others deploy, and Retry failed hosts
runs that host alone."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from executors.lab import lifecycle
from executors.lab.services import lab_state_dir
from topology.models import ChangeRequest, Design

from .conftest import in_thread, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
S10 = ROOT / "examples" / "s10-vxlan-multicast.yaml"
HOSTS = ("gateway", "jailhost-a", "jailhost-b")
DEPLOY_TIMEOUT_MS = 90_000


@pytest.fixture
def asgi_extra_env(celery_worker) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The ASGI server sends deploy jobs to the test worker's host-work queue."""
    return {"JAILNET_HOSTS_QUEUE": celery_worker.hosts_queue}


@pytest.fixture
def s10_lab(transactional_db) -> Iterator[Design]:
    """examples/s10-vxlan-multicast.yaml imported under a name of this process, its lab up; torn down at the end."""
    from tests.lab.support import NO_LAB
    from topology.selectors import design_snapshot
    from topology.services.designs import design_import_document

    if NO_LAB:
        pytest.skip(f"the lab cannot run here: {NO_LAB}")
    name = f"s10-deploy-e2e-{os.getpid()}"
    document = re.sub(r"^name: .*$", f"name: {name}", S10.read_text(), count=1, flags=re.M)
    design = cast("tuple[Design, object]", in_thread(lambda: design_import_document(document_text=document)))[0]
    try:
        in_thread(lambda: lifecycle.lab_up(design_snapshot(design=design), lab_state_dir(name)))
        yield design
    finally:
        lifecycle.lab_down(name, lab_state_dir(name))
        assert lifecycle.leftovers(name) == {"namespaces": [], "processes": []}


def _approved(design: Design, title: str, author, approver) -> ChangeRequest:  # type: ignore[no-untyped-def]
    from topology.changes.services import change_request_create, change_request_review, change_request_submit

    def make() -> ChangeRequest:
        cr = change_request_create(design=design, user=author, title=title)
        cr = change_request_submit(change_request=cr, user=author)
        return change_request_review(change_request=cr, user=approver, decision="approve")

    return cast("ChangeRequest", in_thread(make))


def _deploy_from_the_request_page(page, app_url: str, cr: ChangeRequest) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app_url}/#/change-requests/{cr.pk}")
    deployments = page.get_by_test_id("deployments")
    deployments.wait_for()
    deployments.get_by_role("button", name="Deploy", exact=True).click()


def test_operator_deploys_s10_to_its_lab_sees_live_progress_then_deploys_again_unchanged(
    new_live_page, make_browser_user, asgi_server, s10_lab
) -> None:
    author = make_browser_user("dora", "designer")
    approver = make_browser_user("abe", "approver")
    make_browser_user("otto", "operator")
    page = new_live_page("otto")

    first = _approved(s10_lab, "first deploy", author, approver)
    _deploy_from_the_request_page(page, asgi_server.url, first)
    job = page.get_by_test_id("job-view")
    job.wait_for()
    assert "Deploy of" in job.inner_text()
    job.and_(page.locator('[data-state="succeeded"]')).wait_for(timeout=DEPLOY_TIMEOUT_MS)
    # Output batches and step updates reached the browser over the websocket while the deploy ran, not at its end.
    assert int(job.get_attribute("data-output-updates-before-end") or 0) >= 1
    assert int(job.get_attribute("data-step-updates-before-end") or 0) >= 1
    for host in HOSTS:
        step = page.locator(f'[data-testid="job-step"][data-host="{host}"]')
        assert step.get_attribute("data-state") == "succeeded"
        assert step.get_attribute("data-done") == step.get_attribute("data-total") == "9"
    log = page.get_by_test_id("job-log")
    text = log.inner_text()
    assert "[gateway]" in text and "confirm" in text
    rows = page.get_by_test_id("deployment-host")
    for host in HOSTS:
        rows.and_(page.locator(f'[data-host="{host}"][data-outcome="deployed"]')).wait_for(timeout=10_000)
    page.get_by_test_id("deployment-state").filter(has_text="deployed").wait_for(timeout=10_000)
    assert "reachability check passed" in page.get_by_test_id("deployment").first.inner_text()
    assert page.get_by_test_id("deploy-retry").count() == 0  # nothing failed: nothing to retry
    screenshot(page, "deploy-job")

    again = _approved(s10_lab, "again, nothing changed", author, approver)
    _deploy_from_the_request_page(page, asgi_server.url, again)
    page.get_by_test_id("job-view").and_(page.locator('[data-state="succeeded"]')).wait_for(timeout=DEPLOY_TIMEOUT_MS)
    rows = page.get_by_test_id("deployment-host")
    for host in HOSTS:
        row = rows.and_(page.locator(f'[data-host="{host}"][data-outcome="unchanged"]'))
        row.wait_for(timeout=10_000)
        assert "unchanged" in row.inner_text()


def test_a_host_whose_apply_fails_is_rolled_back_while_the_others_deploy_then_retry_runs_only_that_host(
    new_live_page, make_browser_user, asgi_server, s10_lab
) -> None:
    """Someone replaced ``switch111`` by hand on jailhost-a with a veth (not a bridge): the apply there fails and
    that host is rolled back at once, the others deploy. Once the link is removed, Retry failed hosts deploys
    jailhost-a alone."""
    from executors.lab import netns
    from topology.render.lab.network import build_network
    from topology.selectors import design_snapshot

    author = make_browser_user("dora", "designer")
    approver = make_browser_user("abe", "approver")
    make_browser_user("otto", "operator")
    page = new_live_page("otto")
    ns = in_thread(lambda: build_network(design_snapshot(design=s10_lab)).host_netns["jailhost-a"])
    netns.run(["ip", "-n", ns, "link", "delete", "switch111"])
    netns.run(["ip", "-n", ns, "link", "add", "switch111", "type", "veth", "peer", "name", "jnfake111"])

    cr = _approved(s10_lab, "first deploy", author, approver)
    page.goto(f"{asgi_server.url}/#/change-requests/{cr.pk}")
    deployments = page.get_by_test_id("deployments")
    deployments.wait_for()
    deployments.get_by_label("rolled back unless confirmed within").fill("10")
    deployments.get_by_role("button", name="Deploy", exact=True).click()
    page.get_by_test_id("job-view").and_(page.locator("[data-state]:not([data-state='running'])")).wait_for(
        timeout=DEPLOY_TIMEOUT_MS
    )
    first = deployments.get_by_test_id("deployment").first
    rows = first.get_by_test_id("deployment-host")
    rolled = rows.and_(page.locator('[data-host="jailhost-a"][data-outcome="rolled_back"]'))
    rolled.wait_for(timeout=10_000)
    assert "ROLLED BACK" in rolled.inner_text()
    for host in ("gateway", "jailhost-b"):
        rows.and_(page.locator(f'[data-host="{host}"][data-outcome="deployed"]')).wait_for(timeout=10_000)
    retry = page.get_by_test_id("deploy-retry")
    retry.wait_for()

    netns.run(["ip", "-n", ns, "link", "delete", "switch111"])  # the operator fixes the host
    retry.click()
    deployment = page.get_by_test_id("deployment").first
    deployment.locator('[data-testid="deployment-host"][data-host="jailhost-a"][data-outcome="deployed"]').wait_for(
        timeout=DEPLOY_TIMEOUT_MS
    )
    page.get_by_test_id("deployment-state").first.filter(has_text="deployed").wait_for(timeout=10_000)
    assert page.get_by_test_id("deploy-retry").count() == 0
    # Only jailhost-a ran again: of the design's hosts, the retry job's steps name that one alone (then the lab's
    # reachability check); the other two keep their outcome.
    steps = [s.get_attribute("data-host") for s in page.get_by_test_id("job-step").all()]
    assert [h for h in steps if h in HOSTS] == ["jailhost-a"], steps
    for host in ("gateway", "jailhost-b"):
        assert (
            deployment.locator(f'[data-testid="deployment-host"][data-host="{host}"]').get_attribute("data-outcome")
            == "deployed"
        )
