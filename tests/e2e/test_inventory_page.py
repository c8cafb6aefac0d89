"""End-to-end: the Inventory page's host detail when a Test connection request is refused (another test of the
host is still running): the refusal is said next to the button and the host's detail stays on the page."""

from __future__ import annotations

import pytest

from executors.models import Job, JobKind, JobState
from inventory.models import ManagedHost

from .conftest import in_thread

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_refused_test_connection_is_said_next_to_the_button_and_the_host_stays(
    new_page, make_browser_user, app_url
) -> None:
    def create() -> int:
        host = ManagedHost.objects.create(name="jh-1", management_address="192.0.2.10")
        Job.objects.create(
            kind=JobKind.HOST_TEST, design_name="", options={"managed_host": host.pk},
            source="api", state=JobState.RUNNING,
        )  # fmt: skip
        return host.pk

    host_id = in_thread(create)
    make_browser_user("otto", "operator")
    page = new_page("otto")
    page.goto(f"{app_url}/#/inventory/{host_id}")
    page.get_by_role("heading", name="jh-1").wait_for()

    page.get_by_role("button", name="Test connection").click()
    refusal = page.get_by_test_id("test-error")
    refusal.wait_for()
    assert "already testing this host" in refusal.inner_text()
    # The detail is still there, and the button can be pressed again once the other test has ended.
    assert page.get_by_role("heading", name="jh-1").is_visible()
    assert "192.0.2.10" in page.locator(".inventory-facts").inner_text()
    assert page.get_by_role("button", name="Test connection").is_enabled()
