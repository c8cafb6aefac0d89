"""Change requests are history: a design that has them is not deleted, and every action is audited."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.audit import change_context
from core.models import AuditEntry
from core.services import ObjectInUse, object_update
from topology.changes.services import (
    change_request_comment,
    change_request_create,
    change_request_refresh,
    change_request_review,
    change_request_submit,
    deployment_finish,
    deployment_start,
)
from topology.models import ChangeRequest, Design, JailNic, Revision
from topology.services.designs import design_delete, design_import_document

from ..topology.changes.test_change_requests import DOC


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("author", "designer"),
        "approver": make_user("approver", "approver"),
        "approver2": make_user("approver2", "approver"),
        "operator": make_user("operator", "operator"),
    }


@pytest.fixture
def deployed(db, people):
    design, _ = design_import_document(document_text=DOC)
    cr = change_request_create(design=design, user=people["author"], title="first")
    cr = change_request_submit(change_request=cr, user=people["author"])
    cr = change_request_review(change_request=cr, user=people["approver"], decision="approve")
    cr = deployment_start(change_request=cr, user=people["operator"])
    return deployment_finish(change_request=cr, user=people["operator"], outcome="deployed")


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_deleting_a_design_with_an_approved_request_is_refused_and_the_request_stays(db, people, make_user):
    design, _ = design_import_document(document_text=DOC)
    cr = change_request_create(design=design, user=people["author"], title="approved one")
    cr = change_request_submit(change_request=cr, user=people["author"])
    change_request_review(change_request=cr, user=people["approver"], decision="approve")
    response = _api(make_user("designer-x", "designer")).delete(f"/api/designs/{design.pk}/")
    assert response.status_code == 409, response.content
    assert "history" in response.json()["detail"]
    assert Design.objects.filter(pk=design.pk).exists()
    assert _api(people["approver"]).get(f"/api/change-requests/{cr.pk}/").status_code == 200


def test_deleting_a_design_with_only_closed_requests_keeps_them(deployed, people):
    with pytest.raises(ObjectInUse, match="history"):
        design_delete(design=deployed.design, user=people["author"])
    assert ChangeRequest.objects.filter(pk=deployed.pk, state="deployed").exists()
    assert Revision.objects.filter(design=deployed.design).count() == 1


def test_a_design_without_requests_is_still_deleted(db, people):
    design, _ = design_import_document(document_text=DOC)
    design_delete(design=design, user=people["author"])
    assert not Design.objects.exists()


def _cr_history(cr) -> list[tuple[str, str, dict]]:
    entries = AuditEntry.objects.filter(design_id=cr.design_id, object_type__model__in=["changerequest", "approval",
                                        "changerequestcomment"]).order_by("time", "id")  # fmt: skip
    return [(e.object_type.model, e.action, e.after or {}) for e in entries]


def test_every_change_request_action_is_in_the_audit_history(db, people):
    with change_context(source="api", user=people["author"]):
        design, _ = design_import_document(document_text=DOC)
    cr = change_request_create(design=design, user=people["author"], title="audited")
    cr.required_approvals = 2
    cr.save()
    with change_context(source="api", user=people["author"]):
        cr = change_request_submit(change_request=cr, user=people["author"])
        change_request_comment(change_request=cr, user=people["author"], body="please look")
    with change_context(source="api", user=people["approver"]):
        cr = change_request_review(change_request=cr, user=people["approver"], decision="approve")
    with change_context(source="api", user=people["author"]):
        object_update(instance=JailNic.objects.get(), data={"address": "10.1.1.9/24"}, user=people["author"])
        cr = change_request_refresh(change_request=cr, user=people["author"])
        ChangeRequest.objects.filter(pk=cr.pk).update(required_approvals=2)
        cr = change_request_submit(change_request=cr, user=people["author"])
    with change_context(source="api", user=people["approver"]):
        cr = change_request_review(change_request=cr, user=people["approver"], decision="approve")
    with change_context(source="api", user=people["approver2"]):
        cr = change_request_review(change_request=cr, user=people["approver2"], decision="approve")
    with change_context(source="api", user=people["operator"]):
        cr = deployment_start(change_request=cr, user=people["operator"])
        cr = deployment_finish(change_request=cr, user=people["operator"], outcome="deployed")
    history = _cr_history(cr)
    states = [after.get("state") for model, _, after in history if model == "changerequest"]
    assert states[0] == "draft"  # created
    assert states[-3:] == ["approved", "deploying", "deployed"], states
    assert "submitted" in states
    # The edit made the request stale and voided the first approval: both recorded.
    assert any(m == "changerequest" and a.get("stale") is True for m, _, a in history)
    assert any(m == "approval" and action == "update" and a.get("voided") is True for m, action, a in history)
    approvals = [a for m, action, a in history if m == "approval" and action == "create"]
    assert len(approvals) == 3 and all(a["decision"] == "approve" for a in approvals)
    assert any(m == "changerequestcomment" for m, _, _ in history)
    users = set(AuditEntry.objects.filter(object_type__model="changerequest").values_list("user_name", flat=True))
    assert {"author", "approver2", "operator"} <= users
    # Bulky frozen content stays on the request, not in the history.
    assert all("document" not in a for _, _, a in history)


def test_change_request_actions_make_no_request_stale_and_count_as_no_contribution(db, people):
    design, _ = design_import_document(document_text=DOC)
    first = change_request_submit(
        change_request=change_request_create(design=design, user=people["author"], title="one"), user=people["author"]
    )
    with change_context(source="api", user=people["approver"]):
        change_request_comment(change_request=first, user=people["approver"], body="hm")
    assert not ChangeRequest.objects.get(pk=first.pk).stale
    approved = change_request_review(change_request=first, user=people["approver"], decision="approve")
    assert approved.state == "approved"


@pytest.mark.parametrize("who", ["author", "approver", "operator"])
def test_deleting_a_user_the_history_names_is_refused_by_the_admin_and_the_request_stays(deployed, people, who, client):
    """Another way to erase a request: delete its author or approver (the operator's transitions keep the name)."""
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("history-admin", password="history-admin-pw")
    client.force_login(admin)
    user = people[who]
    transitions_before = list(deployed.transitions.values_list("pk", "to_state", "user_name"))
    page = client.post(f"/admin/auth/user/{user.pk}/delete/", {"post": "yes"})
    if who == "operator":  # named by transitions only (SET_NULL): the user goes, the history keeps the name
        assert page.status_code == 302
    else:
        assert page.status_code == 200 and b"Cannot delete" in page.content, page.status_code
        assert User.objects.filter(pk=user.pk).exists()
    cr = ChangeRequest.objects.get(pk=deployed.pk)
    assert cr.state == "deployed" and cr.approvals.count() == 1
    assert list(cr.transitions.values_list("pk", "to_state", "user_name")) == transitions_before
    assert Revision.objects.filter(change_request=cr).exists()
