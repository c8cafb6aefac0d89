"""End-to-end: deploying from the change request page, on the ASGI server with a real Celery worker (as root) and
the design's lab (real sshd in network namespaces). An operator deploys S10 to its lab: the deploy's job shows
per-host progress and log lines before it ends, then every host deployed; deploying an unchanged design again says
unchanged for every host."""

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
