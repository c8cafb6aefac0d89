"""End-to-end: S10 drawn in the browser — the LAN the hosts share and the gateway's uplink as nodes the
physical interfaces attach to, VXLAN and underlay edges routed around the host boxes they do not belong to,
no two edge labels on top of each other and none on a node or a host's title bar (measured on the rendered
SVG and labels, before and after the auto-layout, and in the middle of dragging a host); the nodes' handles
shown whole; every action of the designer's toolbar reachable on a 1280 px wide window."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from topology.models import Interface
from topology.services.designs import design_import_document

from .conftest import SCREENSHOTS, in_thread

pytestmark = pytest.mark.django_db(transaction=True)

S10 = Path(__file__).resolve().parents[2] / "examples" / "s10-vxlan-multicast.yaml"

# In screen pixels: each edge path sampled every 4 px; its own hosts are those holding one of its ends.
# Returns the problems found (an edge through a host box, two labels overlapping), empty when none.
PROBLEMS_JS = """() => {
  const problems = [];
  const hosts = [...document.querySelectorAll('.react-flow__node-host')]
    .map((n) => ({ id: n.dataset.id, r: n.getBoundingClientRect() }));
  const inside = (r, p, m) => p.x > r.left + m && p.x < r.right - m && p.y > r.top + m && p.y < r.bottom - m;
  for (const edge of document.querySelectorAll('.react-flow__edge')) {
    const path = edge.querySelector('path.react-flow__edge-path');
    if (!path) continue;
    const matrix = path.getScreenCTM();
    const length = path.getTotalLength();
    const at = (l) => { const p = path.getPointAtLength(l); return new DOMPoint(p.x, p.y).matrixTransform(matrix); };
    const [start, end] = [at(0), at(length)];
    const own = hosts.filter((h) => inside(h.r, start, -2) || inside(h.r, end, -2)).map((h) => h.id);
    for (let l = 0; l <= length; l += 4) {
      const p = at(l);
      const through = hosts.find((h) => !own.includes(h.id) && inside(h.r, p, 2));
      if (through) { problems.push(`${edge.dataset.id} through ${through.id}`); break; }
    }
  }
  const labels = [...document.querySelectorAll('[data-testid=edge-label]')]
    .map((l) => ({ text: l.textContent, r: l.getBoundingClientRect() }));
  const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++)
      if (overlap(labels[i].r, labels[j].r)) problems.push(`labels ${labels[i].text} / ${labels[j].text} overlap`);
  // A label on a host's title bar hides its name; on a node, what the node says.
  const covered = [
    ...[...document.querySelectorAll('.host-header')]
      .map((h) => ({ what: `title of ${h.textContent}`, r: h.getBoundingClientRect() })),
    ...[...document.querySelectorAll('.react-flow__node:not(.react-flow__node-host)')]
      .map((n) => ({ what: n.dataset.id, r: n.getBoundingClientRect() })),
  ];
  for (const label of labels)
    for (const c of covered) if (overlap(label.r, c.r)) problems.push(`label ${label.text} on ${c.what}`);
  return problems;
}"""

# Each handle one can draw a connection from or to, of the nodes in view: seen whole (the point at each of its four
# edges, just inside, hits the handle, not the node that would clip it) and at least 10 px across. Returns the
# handles that are not.
HANDLES_JS = """() => {
  const bad = [];
  const handles = [...document.querySelectorAll('.react-flow__node .react-flow__handle.connectionindicator')];
  for (const h of handles) {
    const r = h.getBoundingClientRect();
    if (r.right < 0 || r.bottom < 0 || r.left > innerWidth || r.top > innerHeight) continue;
    const [cx, cy] = [(r.left + r.right) / 2, (r.top + r.bottom) / 2];
    const inside = [[cx, r.top + 1.5], [cx, r.bottom - 1.5], [r.left + 1.5, cy], [r.right - 1.5, cy]];
    const hits = inside.map(([x, y]) => document.elementFromPoint(x, y)).filter((e) => e !== h);
    const hidden = hits.map((e) => `${e?.tagName}.${e?.getAttribute('class')}`);
    if (hidden.length || h.offsetWidth < 10 || h.offsetHeight < 10)
      bad.push(`${h.closest('.react-flow__node').dataset.id} ${h.dataset.handlepos}: `
        + `${h.offsetWidth}x${h.offsetHeight}, hidden by ${hidden.join(' ')}`);
  }
  return { count: handles.length, bad };
}"""

# Each edge's drawn path by edge id.
PATHS_JS = """() => Object.fromEntries([...document.querySelectorAll('.react-flow__edge')]
  .map((e) => [e.dataset.id, e.querySelector('path.react-flow__edge-path')?.getAttribute('d')]))"""


def corners(path: str) -> list[tuple[float, float]]:
    """The corners of an orthogonal SVG path (rounded corners as their end points), to the pixel: points
    within a pixel of the one before, and points in the middle of a straight run, left out."""
    numbers = [float(n) for n in re.findall(r"-?[0-9.]+", path)]
    points = [(numbers[k], numbers[k + 1]) for k in range(0, len(numbers), 2)]
    out: list[tuple[float, float]] = []
    for p in points:
        if out and abs(p[0] - out[-1][0]) <= 1 and abs(p[1] - out[-1][1]) <= 1:
            continue
        if len(out) >= 2 and any(abs(out[-2][i] - out[-1][i]) <= 1 and abs(out[-1][i] - p[i]) <= 1 for i in (0, 1)):
            out.pop()
        out.append(p)
    return out


def same_path(a: str, b: str) -> bool:
    """Whether two SVG paths draw the same line, to the pixel (a dropped position is saved rounded)."""
    ca, cb = corners(a), corners(b)
    return len(ca) == len(cb) and all(
        abs(p - q) <= 1 for u, v in zip(ca, cb, strict=True) for p, q in zip(u, v, strict=True)
    )


# Text lines of every node inside the node's box (the node no longer clips, each line does).
OVERFLOW_JS = """() => {
  const out = [];
  for (const node of document.querySelectorAll('.canvas-node, .small-node')) {
    const box = node.getBoundingClientRect();
    for (const line of node.querySelectorAll(':scope > strong, :scope > .kind-tag, :scope > .detail')) {
      const r = line.getBoundingClientRect();
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        out.push(`${node.dataset.testid}: ${line.textContent}`);
    }
  }
  return out;
}"""


def test_s10_draws_the_lan_and_uplink_and_routes_edges_around_hosts(new_page, make_browser_user, app_url) -> None:
    design = in_thread(lambda: design_import_document(document_text=S10.read_text())[0])
    make_browser_user("dana", "designer")
    page = new_page("dana")
    page.set_viewport_size({"width": 1900, "height": 1000})
    page.goto(f"{app_url}/#/designs/{design.pk}")

    lan = page.get_by_test_id("underlay:192.168.0.0/24")
    lan.wait_for()
    assert "LAN 192.168.0.0/24" in lan.inner_text() and "VXLAN underlay" in lan.inner_text()
    uplink = page.locator('[data-testid^="uplink:"]')
    assert "203.0.113.0/24 via 203.0.113.1" in uplink.inner_text()
    # Three physical interfaces on the LAN, the gateway's em0 on the uplink; the VXLAN members are drawn.
    page.locator(".react-flow__edge.edge-underlayEdge").nth(3).wait_for()
    assert page.locator(".react-flow__edge.edge-underlayEdge").count() == 4
    assert page.locator(".react-flow__edge.edge-vxlanMember").count() == 6

    page.wait_for_timeout(300)
    assert page.evaluate(PROBLEMS_JS) == [], "as imported (hosts on the default grid)"
    handles = page.evaluate(HANDLES_JS)
    assert handles["count"] >= 12 and handles["bad"] == [], handles
    assert page.evaluate(OVERFLOW_JS) == []

    page.get_by_test_id("auto-layout").click()
    page.get_by_test_id("undo").filter(has_not_text="x").and_(page.locator(":enabled")).wait_for()
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Fit", exact=True).click()
    page.wait_for_timeout(800)
    assert page.evaluate(PROBLEMS_JS) == [], "after the auto-layout"
    # The LAN is placed with its hosts: above each of them, over the interfaces plugged in.
    lan_box = lan.bounding_box()
    for name in ("gateway", "jailhost-a", "jailhost-b"):
        assert lan_box["y"] + lan_box["height"] < page.get_by_test_id(f"host-{name}").bounding_box()["y"], name
    interfaces = in_thread(
        lambda: {
            (i.host.name, i.name): i.pk
            for i in Interface.objects.filter(host__design=design).select_related("host")  # type: ignore[misc]
        }
    )
    ends = [
        page.locator(f'.react-flow__node[data-id="interface:{interfaces[end]}"]').bounding_box()
        for end in (("gateway", "em1"), ("jailhost-a", "igb0"), ("jailhost-b", "em0"))
    ]
    assert min(e["x"] for e in ends) <= lan_box["x"] + lan_box["width"] / 2 <= max(e["x"] + e["width"] for e in ends)

    # In the middle of dragging a host (the mouse still down) its edges are routed around the boxes too, and
    # dropping it changes none of them: no jump from a plain path to the route.
    gateway = page.get_by_test_id("host-gateway").locator(".host-header .kind-tag")
    before = page.evaluate(PATHS_JS)
    start = gateway.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + 4 * step, y + 9 * step)
    page.wait_for_timeout(300)
    during = page.evaluate(PATHS_JS)
    moved = sorted(k for k in during if during[k] != before.get(k))
    assert any(k.startswith("vxlanMember:") for k in moved) and any(k.startswith("underlayEdge:") for k in moved), moved
    assert [p for p in page.evaluate(PROBLEMS_JS) if " through " in p] == [], "while a host is dragged"
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/api/hosts/" in r.url):
        page.mouse.up()
    page.wait_for_timeout(500)
    after = page.evaluate(PATHS_JS)
    # The same paths (to the pixel: a dropped position is saved rounded).
    assert [k for k in moved if not same_path(after[k], during[k])] == [], {k: (during[k], after[k]) for k in moved}
    assert page.evaluate(PROBLEMS_JS) == [], "after the drag"
    page.keyboard.press("Control+z")
    page.wait_for_timeout(500)
    if os.environ.get("JAILNET_SCREENSHOTS") == "1":
        # The diagram only: the union of the nodes' boxes, with a margin.
        box = page.evaluate(
            """() => {
              const rs = [...document.querySelectorAll('.react-flow__node')].map((n) => n.getBoundingClientRect());
              const x = Math.min(...rs.map((r) => r.left)) - 24, y = Math.min(...rs.map((r) => r.top)) - 24;
              const right = Math.max(...rs.map((r) => r.right)) + 24;
              const bottom = Math.max(...rs.map((r) => r.bottom)) + 24;
              return { x, y, width: right - x, height: bottom - y };
            }"""
        )
        page.screenshot(path=str(SCREENSHOTS / "s10-underlay.png"), clip=box)
