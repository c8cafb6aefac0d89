"""End-to-end: an approver reads a change request's live plan, host by host, with the management-path warning
first; a designer is not offered the Plan button. The plan job itself is stored as a worker ends it (the worker
side is tests/lab/test_deploy_plan_job.py)."""

from __future__ import annotations

import pytest

from executors.models import Job, JobKind, JobState
from tests.factories import DesignFactory, HostFactory, InterfaceFactory
from topology.changes import services

from .conftest import in_thread

pytestmark = pytest.mark.django_db(transaction=True)

RESULT = {
    "change_request": 0,
    "target": "lab",
    "hosts": [
        {
            "host": "jailhost-a", "management_interface": "em0", "error": "", "unchanged": False,
            "actions": {
                "interfaces_created": ["interface switch111 created"],
                "addresses_removed": ["address 192.168.0.2 removed from em0"],
                "restarts": ["jail vnetcage restarted"],
            },
            "warnings": ["address 192.168.0.2 removed from em0: the address the controller reaches this host by"],
        },
        {"host": "jailhost-b", "management_interface": "em0", "error": "", "unchanged": True, "actions": {},
         "warnings": []},
    ],
}  # fmt: skip


def _submitted_request_with_a_plan(author, approver) -> int:
    design = DesignFactory.create(name="planned")
    host = HostFactory.create(design=design, name="jailhost-a")
    InterfaceFactory.create(host=host, name="em0", address="192.168.0.2/24")
    cr = services.change_request_create(design=design, user=author, title="new switch")
    cr = services.change_request_submit(change_request=cr, user=author)
    Job.objects.create(
        kind=JobKind.DEPLOY_PLAN, design=design, design_name=design.name, change_request=cr, state=JobState.SUCCEEDED,
        options={"change_request": cr.pk, "target": "lab"}, result={**RESULT, "change_request": cr.pk},
        requested_by=approver, requested_by_name=approver.username, message="1 of 2 hosts would change",
    )  # fmt: skip
    return cr.pk


def test_an_approver_reads_the_plan_per_host_with_the_management_warning(new_page, app_url, make_browser_user):
    author, approver = make_browser_user("dana", "designer"), make_browser_user("alex", "approver")
    cr_id = in_thread(lambda: _submitted_request_with_a_plan(author, approver))

    alex = new_page("alex")
    alex.goto(f"{app_url}/#/change-requests/{cr_id}")
    plan = alex.get_by_test_id("deploy-plan")
    plan.get_by_test_id("plan-button").wait_for()
    a = plan.locator('[data-testid="host-plan"][data-host="jailhost-a"]')
    a.get_by_test_id("plan-warnings").filter(has_text="the address the controller reaches this host by").wait_for()
    assert "interface switch111 created" in a.get_by_test_id("plan-interfaces_created").inner_text()
    assert "jail vnetcage restarted" in a.get_by_test_id("plan-restarts").inner_text()
    b = plan.locator('[data-testid="host-plan"][data-host="jailhost-b"]')
    assert b.get_by_test_id("host-plan-summary").inner_text() == "nothing would change"
    assert plan.get_by_test_id("plan-state").inner_text() == "succeeded"

    dana = new_page("dana")
    dana.goto(f"{app_url}/#/change-requests/{cr_id}")
    dana.get_by_test_id("deploy-plan").locator('[data-testid="host-plan"]').first.wait_for()
    assert dana.get_by_test_id("plan-button").count() == 0  # the author (a designer) may read, not plan
