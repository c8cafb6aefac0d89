"""End-to-end: every action of the designer's top bar can be seen and clicked on a window 1280 px wide and up
(the actions wrap onto a second row rather than run out of sight), for a user with only the designer role."""

from __future__ import annotations

from pathlib import Path

import pytest

from topology.services.designs import design_import_document

from .conftest import in_thread

pytestmark = pytest.mark.django_db(transaction=True)

S10 = Path(__file__).resolve().parents[2] / "examples" / "s10-vxlan-multicast.yaml"

# Every link and button of the top bar: inside the window and on top (the point at its centre hits it).
# Returns those that are not, with where they are.
HIDDEN_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('.app-header a, .app-header button')) {
    const r = el.getBoundingClientRect();
    const [x, y] = [(r.left + r.right) / 2, (r.top + r.bottom) / 2];
    const hit = document.elementFromPoint(x, y);
    const outside = r.left < 0 || r.right > innerWidth || r.top < 0 || r.bottom > innerHeight;
    if (!r.width || outside || !(hit && el.contains(hit)))
      out.push(`${el.textContent.trim()} at ${Math.round(r.left)}..${Math.round(r.right)} of ${innerWidth}`);
  }
  return out;
}"""


def test_every_designer_action_is_within_reach_from_1280_px(new_page, make_browser_user, app_url) -> None:
    design = in_thread(lambda: design_import_document(document_text=S10.read_text())[0])
    make_browser_user("tess", "designer")
    page = new_page("tess")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{app_url}/#/designs/{design.pk}")
    page.get_by_test_id("submit-for-review").wait_for()
    for width in (1280, 1500, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_function("(w) => window.innerWidth === w", arg=width)
        assert page.evaluate(HIDDEN_JS) == [], f"{width} px"
        for name in ("Auto-layout", "Fit", "Collapse hosts", "Diagnostics", "Submit for review"):
            page.get_by_role("button", name=name, exact=True).click(trial=True)
        for name in ("Export YAML", "History", "Lab"):
            page.get_by_role("link", name=name, exact=True).last.click(trial=True)
        page.get_by_role("button", name="Log out").click(trial=True)
    # The export link downloads the design's document.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export YAML").click()
    assert download.value.suggested_filename.endswith((".yaml", ".yml"))
