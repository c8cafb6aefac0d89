"""End-to-end: the path of a change in the browser, with live events over the websocket.

A designer changes a jail's address and submits the design for review; an approver, notified live in
another browser, reads the per-host diff side by side and approves; the designer's page follows without a
reload. The author is offered no approve button. The audit page shows who changed what. A design's
history diffs two deployed revisions and restores one as a draft request.

These tests run the app under uvicorn (``asgi_server``): pytest-django's live server has no websockets.
"""

from __future__ import annotations

import pytest

from tests.factories import DesignFactory, HostFactory, InterfaceFactory, JailFactory, JailNicFactory, SwitchFactory
from topology.changes import services
from topology.models import ChangeRequest, Design, JailNic

from .conftest import in_thread, screenshot
from .designer import fill, select

pytestmark = pytest.mark.django_db(transaction=True)


def deployed_design(author, approver, operator) -> Design:
    """jailhost-a with a VNET jail at 10.1.1.3 on switch "services", deployed once (revision 1)."""
    design = DesignFactory.create(name="shared")
    host = HostFactory.create(design=design, name="jailhost-a", has_iocage=True)
    InterfaceFactory.create(host=host, name="em0", address="192.168.0.2/24")
    switch = SwitchFactory.create(host=host, name="services", address="10.1.1.1/24")
    jail = JailFactory.create(host=host, name="vnetcage", type="vnet", default_router="10.1.1.1")
    JailNicFactory.create(jail=jail, name="vnet0", switch=switch, address="10.1.1.3/24")
    deploy(design, author, approver, operator, "first deploy")
    return design


def deploy(design: Design, author, approver, operator, title: str) -> ChangeRequest:
    """Take the design through a change request to a deployed revision (the deploy itself is simulated)."""
    cr = services.change_request_create(design=design, user=author, title=title)
    cr = services.change_request_submit(change_request=cr, user=author)
    cr = services.change_request_review(change_request=cr, user=approver, decision="approve", comment="ok")
    cr = services.deployment_start(change_request=cr, user=operator)
    return services.deployment_finish(change_request=cr, user=operator, outcome="deployed")


def wait_live(page) -> None:
    """Wait until the page's notification websocket is connected."""
    page.locator('[data-testid="notifications"][data-live="true"]').wait_for()


@pytest.fixture
def team(make_browser_user):
    """dana designs (and holds the approver role too), alex approves, olga operates."""
    return (
        make_browser_user("dana", "designer", "approver"),
        make_browser_user("alex", "approver"),
        make_browser_user("olga", "operator"),
    )


def test_change_request_is_submitted_reviewed_and_approved_live(new_live_page, asgi_server, team) -> None:
    design = in_thread(lambda: deployed_design(*team))
    url = asgi_server.url
    dana = new_live_page("dana")
    alex = new_live_page("alex")
    wait_live(dana)
    wait_live(alex)

    # dana changes the jail's address in the designer (an audited change) and submits the design.
    dana.goto(f"{url}/#/designs/{design.pk}")
    dana.get_by_test_id("design-name").filter(has_text="shared").wait_for()
    select(dana, "jail-vnetcage")
    fill(dana, "jailNic", {"address": "10.1.1.2/24"})
    dana.get_by_test_id("submit-for-review").click()
    dana.get_by_label("Title").fill("Move vnetcage to .2")
    dana.get_by_label("Description").fill("The old address goes to the new proxy.")
    dana.get_by_role("button", name="Submit", exact=True).click()
    dana.get_by_test_id("change-request").wait_for()
    dana.get_by_test_id("state").filter(has_text="submitted").wait_for()
    # The author is never offered the review buttons, even holding the approver role.
    dana.get_by_test_id("author-note").wait_for()
    assert dana.get_by_role("button", name="Approve").count() == 0

    # alex is told live, and opens the request from the notification.
    toast = alex.get_by_test_id("toast")
    toast.filter(has_text="dana asks for your review").wait_for()
    screenshot(alex, "notification")
    toast.get_by_role("link").click()
    alex.get_by_test_id("change-request").wait_for()
    diff = alex.get_by_test_id("host-diff-jailhost-a")
    right = diff.locator("td.code.right.added", has_text="10.1.1.2").first
    right.wait_for()
    assert diff.locator("td.code.left.removed", has_text="10.1.1.3").count() >= 1
    assert diff.locator("td.code.left", has_text="10.1.1.2").count() == 0
    screenshot(alex, "change-request")

    alex.get_by_label("Review comment").fill("Looks right.")
    alex.get_by_role("button", name="Approve").click()
    alex.get_by_test_id("state").filter(has_text="approved").wait_for()
    assert alex.get_by_test_id("approvals").inner_text() == "1/1"

    # dana's page follows without a reload, and a toast says so.
    dana.get_by_test_id("state").filter(has_text="approved").wait_for()
    dana.get_by_test_id("toast").filter(has_text="approved").wait_for()
    dana.get_by_role("tab", name="Timeline").click()
    timeline = dana.get_by_test_id("timeline")
    timeline.filter(has_text="alex approved").wait_for()
    assert "Looks right." in timeline.inner_text()

    # The list shows it; the waiting-for-review filter no longer does for alex.
    alex.goto(f"{url}/#/change-requests")
    alex.get_by_test_id("cr-row").filter(has_text="Move vnetcage to .2").wait_for()
    screenshot(alex, "change-request-list")
    alex.get_by_label("Waiting for my review").check()
    alex.get_by_test_id("no-requests").wait_for()

    # The audit history names dana and shows the field that changed.
    alex.goto(f"{url}/#/audit")
    alex.get_by_label("User").fill("dana")
    alex.get_by_role("button", name="Filter").click()
    row = alex.get_by_test_id("audit-row").filter(has_text="10.1.1.2/24")
    row.first.wait_for()
    assert "dana" in row.first.inner_text()
    assert "10.1.1.3/24" in row.first.inner_text()
    screenshot(alex, "audit")


def test_design_history_diffs_revisions_and_restores_one(new_live_page, asgi_server, team) -> None:
    def two_revisions() -> Design:
        design = deployed_design(*team)
        JailNic.objects.filter(address="10.1.1.3/24").update(address="10.1.1.4/24")
        author, approver, operator = team
        deploy(Design.objects.get(pk=design.pk), author, approver, operator, "second deploy")
        return design

    design = in_thread(two_revisions)
    dana = new_live_page("dana")
    dana.goto(f"{asgi_server.url}/#/designs/{design.pk}/history")
    dana.get_by_test_id("revisions").wait_for()
    dana.get_by_label("from 1").check()
    dana.get_by_label("to 2").check()
    dana.get_by_role("button", name="Compare").click()
    diff = dana.get_by_test_id("revision-diff")
    diff.locator("td.code.right.added", has_text="10.1.1.4").first.wait_for()
    screenshot(dana, "design-history")

    dana.once("dialog", lambda dialog: dialog.accept())
    # Revisions are listed newest first: the second row is revision 1.
    dana.locator("table[data-testid=revisions] tbody tr").nth(1).get_by_role("button", name="Restore").click()
    dana.get_by_test_id("change-request").wait_for()
    dana.get_by_test_id("state").filter(has_text="draft").wait_for()
    assert ChangeRequest.objects.filter(design=design, state="draft").exists()
