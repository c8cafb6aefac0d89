"""Benchmark: from navigation to an interactive designer canvas, in headless Chromium.

Measured for the article's S10 (examples/s10-vxlan-multicast.yaml) and for a synthetic design of 1,000
hosts / 20,000 jails / 2,000 VMs (tests/perf/synthetic.py): the time from ``page.goto`` of the design's
address (already logged in) until the design is loaded, a host node is visible and draggable, and the
viewport is fitted. Median of several runs, each a fresh navigation. Then the time per step of dragging a
host (mouse moved, next frame drawn: the node and its edges, routed again where they change). Prints
figures; asserts nothing about time (the machine is shared). Run with ``make bench`` or
``.venv/bin/python -m pytest tests/perf/test_bench_designer.py -m perf -s``.

Goals: under 2 s for S10, under 4 s for 1,000 hosts. The designer loads a large design's overview
(``?scope=overview``) first and each host's objects when it is expanded; a small design whole. (Earlier runs
also measured the designer with the overview or the graph endpoint refused; the designer no longer has those
fallbacks, the server always offers both.)
"""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DIST_INDEX, in_thread, login
from tests.perf.synthetic import synthetic_design
from topology.models import Design
from topology.services.designs import design_import_document, design_import_snapshot

pytestmark = [pytest.mark.perf, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
RUNS_SMALL = 7
RUNS_LARGE = 5
# Ready: nothing loading, a host node on the canvas that can be dragged, the viewport fitted (transformed).
READY_JS = """() => {
  if (document.querySelector('.canvas-loading')) return false;
  const node = document.querySelector('.react-flow__node-host.draggable');
  if (!node || !node.getBoundingClientRect().width) return false;
  const viewport = document.querySelector('.react-flow__viewport');
  const transform = viewport ? viewport.style.transform : '';
  return Boolean(transform && !transform.includes('translate(40px, 200px) scale(0.8)'));
}"""


LOAD_JS = """() => performance.getEntriesByType('resource')
  .filter((e) => e.name.includes('/graph/') || e.name.includes('design_id='))
  .reduce((acc, e) => ({ start: Math.min(acc.start, e.requestStart), end: Math.max(acc.end, e.responseEnd) }),
          { start: Infinity, end: 0 })"""


def time_to_canvas(page, url: str, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from navigation to an interactive canvas for ``runs`` fresh navigations, and of each the
    seconds spent waiting for the design's objects (first request sent to last answer received)."""
    times, loads = [], []
    for _ in range(runs):
        page.goto("about:blank")
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_function(READY_JS, polling=20, timeout=180_000)
        times.append(time.perf_counter() - start)
        span = page.evaluate(LOAD_JS)
        loads.append(max(0.0, (span["end"] - span["start"]) / 1000))
    return times, loads


NEXT_FRAME_JS = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


# A point of a host's title bar that the host itself receives (not an edge drawn across it), in the window.
GRAB_POINT_JS = """(host) => {
  const r = host.querySelector('.host-header').getBoundingClientRect();
  for (let x = r.right - 30; x > r.left; x -= 7) {
    const y = (r.top + r.bottom) / 2;
    const hit = document.elementFromPoint(x, y);
    if (hit && host.contains(hit) && !hit.closest('button')) return { x, y };
  }
  return null;
}"""


def time_drag(page, host, steps: int = 24) -> list[float]:
    """Milliseconds of each step of dragging ``host`` by its title bar: the mouse moved a few pixels and the
    frame after it drawn (the node moved, its edges redrawn). Dropped where it started, so nothing moves."""
    grab = host.evaluate(GRAB_POINT_JS)
    assert grab, "no free point on the host's title bar"
    x, y = grab["x"], grab["y"]
    page.mouse.move(x, y)
    page.mouse.down()
    times = []
    for k in range(1, steps + 1):
        dx, dy = (k if k <= steps // 2 else steps - k) * 6, (k if k <= steps // 2 else steps - k) * 3
        start = time.perf_counter()
        page.mouse.move(x + dx, y + dy)
        page.evaluate(NEXT_FRAME_JS)
        times.append((time.perf_counter() - start) * 1000)
    page.mouse.up()
    return times


def report_drag(name: str, times: list[float]) -> None:
    print(
        f"\n[bench designer] dragging a host, {name}: median {statistics.median(times):.0f} ms per step "
        f"(max {max(times):.0f}, {len(times)} steps of mouse move + next frame)"
    )


def report(name: str, measured: tuple[list[float], list[float]], goal: float) -> None:
    times, loads = measured
    median = statistics.median(times)
    verdict = "ok" if median < goal else "OVER GOAL"
    print(
        f"\n[bench designer] {name}: median {median:.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
        f"{len(times)} runs; goal < {goal:.0f} s: {verdict}); loading the objects: {statistics.median(loads):.2f} s"
    )


@pytest.fixture
def designer_page(live_server):
    """A logged-in designer's page in headless Chromium (its own browser: the bench runs outside tests/e2e)."""
    if not DIST_INDEX.exists() or not Path(CHROMIUM).exists():
        pytest.skip("needs frontend/dist and Chromium")
    from playwright.sync_api import sync_playwright

    user = User.objects.create_user(username="bench", password="pw-bench")
    user.groups.add(Group.objects.get_or_create(name="designer")[0])
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1500, "height": 900})
            page = context.new_page()
            page.goto(live_server.url + "/")
            login(page, "bench")
            yield page
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def test_benchmark_designer_canvas(designer_page, live_server) -> None:
    page = designer_page
    s10 = (ROOT / "examples" / "s10-vxlan-multicast.yaml").read_text()
    small: Design = in_thread(lambda: design_import_document(document_text=s10)[0])  # type: ignore[assignment]
    start = time.perf_counter()
    synthetic = synthetic_design()
    large: Design = in_thread(lambda: design_import_snapshot(snapshot=synthetic)[0])  # type: ignore[assignment]
    print(f"\n[bench designer] import of the 1,000-host design: {time.perf_counter() - start:.1f} s")
    small_url = f"{live_server.url}/#/designs/{small.pk}"
    large_url = f"{live_server.url}/#/designs/{large.pk}"

    report("S10, lazy", time_to_canvas(page, small_url, RUNS_SMALL), 2)
    report_drag("S10", time_drag(page, page.get_by_test_id("host-gateway")))
    report("1,000 hosts / 20,000 jails / 2,000 VMs, lazy", time_to_canvas(page, large_url, RUNS_LARGE), 4)
    report_drag("1,000 hosts", time_drag(page, page.locator(".react-flow__node-host").first))

    # Lazily loaded: a collapsed host shows the overview's counts, and expanding it fetches its objects.
    host = page.locator(".react-flow__node-host").first
    summary = host.locator(".host-summary").inner_text()
    counted = re.search(r"(\d+) switches · (\d+) jails · (\d+) VMs", summary)
    assert counted, summary
    shapes = {(len(h.switches), len(h.jails), len(h.vms)) for h in synthetic.hosts}  # the hosts differ
    assert (int(counted[1]), int(counted[2]), int(counted[3])) in shapes, summary
    with page.expect_response(lambda r: "/graph/?host=" in r.url):
        host.locator(".collapse-toggle").click()
    # Only the nodes in view are rendered (onlyRenderVisibleElements): some of the host's 20 jails.
    page.wait_for_function("() => document.querySelectorAll('.react-flow__node-jail').length > 0", timeout=30_000)
