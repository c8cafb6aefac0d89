"""End-to-end: S10 drawn in the browser — the LAN the hosts share and the gateway's uplink as nodes the
physical interfaces attach to, VXLAN and underlay edges routed around the host boxes they do not belong to,
and no two edge labels on top of each other (measured on the rendered SVG and labels, before and after the
auto-layout)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) {
      const [a, b] = [labels[i].r, labels[j].r];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
        problems.push(`labels ${labels[i].text} / ${labels[j].text} overlap`);
    }
  return problems;
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

    page.get_by_test_id("auto-layout").click()
    page.get_by_test_id("undo").filter(has_not_text="x").and_(page.locator(":enabled")).wait_for()
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Fit", exact=True).click()
    page.wait_for_timeout(800)
    assert page.evaluate(PROBLEMS_JS) == [], "after the auto-layout"
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
