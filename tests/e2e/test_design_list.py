"""End-to-end: designs as things one manages — search and sort the list, see owner and description, rename,
clone and archive a design in the browser."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from topology.models import Design, Host

from .conftest import in_thread

pytestmark = pytest.mark.django_db(transaction=True)


def create_designs() -> None:
    erin = User.objects.create_user(username="erin")
    web = Design.objects.create(name="web-farm", description="three jailhosts behind a gateway", owner=erin)
    Host.objects.create(design=web, name="jailhost-a", position_x=10, position_y=20)
    Design.objects.create(name="lab", description="playground")


def test_the_design_list_searches_sorts_renames_clones_and_archives(new_page, make_browser_user, app_url) -> None:
    make_browser_user("dana", "designer")
    in_thread(create_designs)
    page = new_page("dana")
    row = page.get_by_test_id("design-row-web-farm")
    row.wait_for()
    assert "erin" in row.inner_text() and "three jailhosts behind a gateway" in row.inner_text()

    page.get_by_label("Search designs").fill("gateway")
    page.get_by_test_id("design-row-lab").wait_for(state="detached")
    page.get_by_label("Search designs").fill("")
    page.get_by_test_id("design-row-lab").wait_for()
    page.get_by_label("Sort by").select_option("-created")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=design-list] tbody tr').dataset.testid === 'design-row-lab'"
    )
    page.get_by_label("Sort by").select_option("name")

    row.get_by_role("button", name="Clone").click()
    row.get_by_label("Name of the copy").fill("web-farm-2")
    row.get_by_role("button", name="Clone").click()
    copy = page.get_by_test_id("design-row-web-farm-2")
    copy.wait_for()
    assert "dana" in copy.inner_text()
    assert in_thread(
        lambda: list(Host.objects.filter(design__name="web-farm-2").values_list("position_x", flat=True))
    ) == [10.0]

    page.get_by_test_id("design-row-lab").get_by_role("button", name="Rename").click()
    page.get_by_test_id("design-row-lab").get_by_label("New name").fill("lab-old")
    page.get_by_test_id("design-row-lab").get_by_role("button", name="Rename").click()
    page.get_by_test_id("design-row-lab-old").wait_for()

    page.get_by_test_id("design-row-lab-old").get_by_role("button", name="Archive").click()
    page.get_by_test_id("design-row-lab-old").wait_for(state="detached")
    assert in_thread(lambda: Design.objects.get(name="lab-old").archived)
    page.get_by_label("show archived").check()
    page.get_by_test_id("design-row-lab-old").get_by_text("(archived)").wait_for()
