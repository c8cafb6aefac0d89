"""End-to-end: the Lab page, on the ASGI server with a real Celery worker (as root) running the lab's jobs. An
operator brings the article's S6 (a VNET jail behind pf NAT) up on network namespaces, checks it — the matrix shows
every cell measured as expected, and is still there after a reload and for a colleague — and tears it down (the
matrix stays, marked as from an earlier run); bringing S10 up shows per-host progress and log lines before the job
ends; a viewer sees the state without the operations; without a worker the page says why the lab is off."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from executors.lab import lifecycle
from executors.lab.services import lab_state_dir
from topology.models import Design

from .conftest import in_thread, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
S06 = ROOT / "examples" / "s06-vnet-iocage.yaml"
S10 = ROOT / "examples" / "s10-vxlan-multicast.yaml"
# A name of its own per test process: a lab is identified by its design's name, and other test runs on this
# machine (tests/lab, another worker) must never tear down this one's lab, nor this one theirs.
NAME = f"s06-e2e-{os.getpid()}"
LAB_TIMEOUT_MS = 60_000  # up/check take seconds; more on a machine busy with other tests


def _why_no_lab() -> str | None:
    from tests.lab.support import NO_LAB

    return NO_LAB


@pytest.fixture
def asgi_extra_env(celery_worker) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The ASGI server sends lab jobs to the test worker's host-work queue."""
    return {"JAILNET_HOSTS_QUEUE": celery_worker.hosts_queue}


def imported(path: Path, name: str) -> Iterator[Design]:
    """The example at ``path`` imported as ``name``; its lab (run by the worker) torn down at the end."""
    from topology.services.designs import design_import_document

    document = path.read_text()
    document = re.sub(r"^name: .*$", f"name: {name}", document, count=1, flags=re.M)
    design = cast("tuple[Design, object]", in_thread(lambda: design_import_document(document_text=document)))[0]
    try:
        yield design
    finally:
        if os.geteuid() == 0:
            # Whatever the test did or failed to do: nothing of the lab may be left on the machine.
            lifecycle.lab_down(name, lab_state_dir(name))
            assert lifecycle.leftovers(name) == {"namespaces": [], "processes": []}


@pytest.fixture
def s06(transactional_db) -> Iterator[Design]:
    """examples/s06-vnet-iocage.yaml imported (as NAME)."""
    yield from imported(S06, NAME)


@pytest.fixture
def s10(transactional_db) -> Iterator[Design]:
    """examples/s10-vxlan-multicast.yaml imported under a name of this test process."""
    yield from imported(S10, f"s10-e2e-{os.getpid()}")


def open_lab(page, app_url: str, design: Design) -> None:
    page.goto(f"{app_url}/#/designs/{design.pk}/lab")
    page.get_by_test_id("lab-design-name").filter(has_text=design.name).wait_for()


def test_operator_brings_s06_up_checks_it_and_tears_it_down(new_live_page, make_browser_user, asgi_server, s06) -> None:
    reason = _why_no_lab()
    if reason:
        pytest.skip(f"the lab cannot run here: {reason}")
    app_url = asgi_server.url
    make_browser_user("olga", "operator")
    page = new_live_page("olga")

    # From the navigation: the labs of every design, then this design's lab.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Lab").click()
    page.get_by_test_id("lab-overview").get_by_role("link", name=NAME).click()
    page.get_by_test_id("lab-design-name").filter(has_text=NAME).wait_for()
    page.get_by_test_id("lab-never").wait_for()
    # An operator acts here: the header does not call them read-only, it says on hover what they cannot do.
    assert page.get_by_test_id("read-only").count() == 0
    assert "cannot edit designs" in (page.get_by_test_id("current-roles").get_attribute("title") or "")
    assert page.get_by_test_id("lab-down").is_disabled()  # no lab yet: nothing to tear down

    page.get_by_test_id("lab-up").click()
    page.get_by_test_id("lab-progress").wait_for()
    page.get_by_test_id("lab-state").filter(has_text="up").wait_for(timeout=LAB_TIMEOUT_MS)
    page.get_by_test_id("lab-progress").wait_for(state="detached", timeout=LAB_TIMEOUT_MS)
    assert page.get_by_test_id("lab-refusal").count() == 0
    assert page.get_by_test_id("lab-notes").locator("li").count() > 0  # S06 names what the lab does not emulate
    assert re.search(r"\d+/\d+ namespaces", page.get_by_test_id("lab-live").inner_text())

    page.get_by_test_id("lab-check").click()
    summary = page.get_by_test_id("lab-summary")
    summary.wait_for(timeout=LAB_TIMEOUT_MS)
    text = summary.inner_text()
    assert "0 mismatches" in text, text
    cells = page.get_by_test_id("lab-matrix").locator("button.lab-cell")
    total = int(re.search(r"(\d+) cells", text).group(1))  # type: ignore[union-attr]
    assert total > 0 and cells.count() == total
    assert page.locator('button.lab-cell[data-status^="unexpected"]').count() == 0
    # The jail reaches its default router on the switch by ICMP, as the design promises.
    cell = page.locator('button.lab-cell[data-source="jailhost/vnetcage"][data-address="10.1.1.1"][data-probe="icmp"]')
    assert cell.get_attribute("data-status") == "reach"
    assert cell.inner_text() == "✓"
    cell.click()
    detail = page.get_by_test_id("lab-cell-detail")
    assert "ping -n -q -c 1 -W 1 10.1.1.1" in detail.inner_text()
    screenshot(page, "lab-matrix")

    # Only mismatches: none here.
    page.get_by_test_id("only-mismatches").check()
    page.get_by_test_id("lab-matrix-empty").wait_for()
    page.get_by_test_id("only-mismatches").uncheck()
    page.get_by_test_id("lab-matrix").wait_for()
    assert page.get_by_test_id("lab-report-when").inner_text().startswith("Last check ")

    # The server keeps the last check: after a reload, and for a colleague, the same matrix with its time.
    page.reload()
    colleague = new_live_page(make_browser_user("vito", "viewer").username)
    open_lab(colleague, app_url, s06)
    for reader in (page, colleague):
        reader.get_by_test_id("lab-matrix").wait_for()
        assert reader.get_by_test_id("lab-report").get_attribute("data-earlier") == "false"
        assert reader.get_by_test_id("lab-report-when").inner_text().startswith("Last check ")
        assert reader.get_by_test_id("lab-matrix").locator("button.lab-cell").count() == total
        kept = reader.locator(
            'button.lab-cell[data-source="jailhost/vnetcage"][data-address="10.1.1.1"][data-probe="icmp"]'
        )
        assert kept.get_attribute("data-status") == "reach"

    page.get_by_test_id("lab-down").click()
    page.get_by_test_id("lab-state").filter(has_text="down").wait_for(timeout=LAB_TIMEOUT_MS)
    page.get_by_test_id("lab-progress").wait_for(state="detached", timeout=LAB_TIMEOUT_MS)
    # The last check stays readable, marked as measured on a lab that is down now.
    page.locator('[data-testid="lab-report"][data-earlier="true"]').wait_for()
    assert "from an earlier run: the lab is down now" in page.get_by_test_id("lab-report-when").inner_text()
    assert page.get_by_test_id("lab-matrix").locator("button.lab-cell").count() == total
    assert page.get_by_test_id("lab-live").inner_text().startswith("0/")
    assert lifecycle.leftovers(NAME) == {"namespaces": [], "processes": []}
    # Down and gone from the machine: nothing left to tear down, and the button says so; Up brings it back.
    down = page.get_by_test_id("lab-down")
    assert down.is_disabled()
    assert "already down" in (down.get_attribute("title") or "")
    assert page.get_by_test_id("lab-up").is_enabled()


def test_viewer_sees_no_lab_operations(new_page, make_browser_user, app_url, s06) -> None:
    make_browser_user("vera", "viewer")
    page = new_page("vera")
    # From the design: the designer's "Lab" link.
    page.goto(f"{app_url}/#/designs/{s06.pk}")
    page.get_by_test_id("design-lab-link").click()
    page.get_by_test_id("lab-design-name").filter(has_text=NAME).wait_for()
    page.get_by_test_id("lab-read-only").wait_for()
    assert page.get_by_test_id("read-only").is_visible()  # a viewer can only read: the header says so
    for button in ("lab-up", "lab-check", "lab-down"):
        assert page.get_by_test_id(button).count() == 0


def test_operator_sees_per_host_progress_and_log_lines_before_s10_is_up(
    new_live_page, make_browser_user, asgi_server, s10
) -> None:
    reason = _why_no_lab()
    if reason:
        pytest.skip(f"the lab cannot run here: {reason}")
    make_browser_user("otto", "operator")
    page = new_live_page("otto")
    open_lab(page, asgi_server.url, s10)
    page.get_by_test_id("lab-up").click()
    job = page.get_by_test_id("job-view")
    job.wait_for()
    job.and_(page.locator('[data-state="succeeded"]')).wait_for(timeout=LAB_TIMEOUT_MS)
    # Output batches and step updates reached the browser over the websocket while the job ran, not at its end.
    assert int(job.get_attribute("data-output-updates-before-end") or 0) >= 1
    assert int(job.get_attribute("data-step-updates-before-end") or 0) >= 1
    steps = page.get_by_test_id("job-step")
    hosts = {steps.nth(i).get_attribute("data-host") for i in range(steps.count())}
    assert {"gateway", "jailhost-a", "jailhost-b"} <= hosts
    for host in ("gateway", "jailhost-a", "jailhost-b"):
        step = page.locator(f'[data-testid="job-step"][data-host="{host}"]')
        assert step.get_attribute("data-state") == "succeeded"
        assert step.get_attribute("data-done") == step.get_attribute("data-total") != "0"
    log = page.get_by_test_id("job-log")
    assert int(log.get_attribute("data-lines") or 0) > 10
    assert "[jailhost-a]" in log.inner_text()
    page.get_by_test_id("log-search").fill("up in")
    assert "up in" in page.get_by_test_id("job-log").inner_text()
    assert page.get_by_test_id("log-download").get_attribute("href", timeout=5000).endswith("/log/")  # type: ignore[union-attr]
    page.get_by_test_id("lab-state").filter(has_text="up").wait_for(timeout=LAB_TIMEOUT_MS)
    screenshot(page, "lab-job")


@pytest.mark.parametrize("asgi_extra_env", [{"JAILNET_HOSTS_QUEUE": f"nobody-consumes-{os.getpid()}"}])
def test_without_a_worker_the_page_says_why_the_lab_is_off(
    new_live_page, make_browser_user, asgi_server, s06, asgi_extra_env
) -> None:
    make_browser_user("omar", "operator")
    page = new_live_page("omar")
    open_lab(page, asgi_server.url, s06)
    off = page.get_by_test_id("lab-off")
    off.wait_for()
    assert "no worker consumes" in off.inner_text()
    assert page.get_by_test_id("lab-up").is_disabled()
