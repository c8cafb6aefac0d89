"""Four eyes: nobody approves a change request whose frozen content includes a change they made."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from core.audit import change_context
from core.services import object_update
from topology.changes.services import (
    change_request_create,
    change_request_refresh,
    change_request_review,
    change_request_submit,
    deployment_finish,
    deployment_start,
)
from topology.models import ChangeRequest, Host, JailNic
from topology.services.designs import design_import_document

from ..topology.changes.test_change_requests import DOC


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("author", "designer"),
        # Every admin holds both the designer and the approver role.
        "admin": make_user("admin-both", "designer", "approver"),
        "approver": make_user("approver", "approver"),
        "operator": make_user("operator", "operator"),
    }


def _edit_as(user, instance, **data):
    with change_context(source="api", user=user):
        return object_update(instance=instance, data=data, user=user)


@pytest.fixture
def submitted(db, people):
    with change_context(source="api", user=people["author"]):
        design, _ = design_import_document(document_text=DOC)
    cr = change_request_create(design=design, user=people["author"], title="first deploy")
    return change_request_submit(change_request=cr, user=people["author"])


def test_approver_who_edited_the_design_under_someone_elses_request_cannot_approve_it(submitted, people):
    admin = people["admin"]
    _edit_as(admin, JailNic.objects.get(), address="10.1.1.66/24")
    cr = change_request_refresh(change_request=submitted, user=admin)
    cr = change_request_submit(change_request=cr, user=admin)
    assert cr.author == people["author"]
    with pytest.raises(PermissionDenied, match="your own changes"):
        change_request_review(change_request=cr, user=admin, decision="approve")
    assert ChangeRequest.objects.get(pk=cr.pk).state == "submitted"
    assert not cr.approvals.exists()
    # Someone who did not touch it may.
    assert change_request_review(change_request=cr, user=people["approver"], decision="approve").state == "approved"


def test_contributors_are_frozen_with_the_request(submitted, people):
    assert set(submitted.contributors.values_list("username", flat=True)) == {"author"}
    _edit_as(people["admin"], Host.objects.get(), default_router="192.168.0.254")
    cr = change_request_refresh(change_request=submitted, user=people["author"])
    assert set(cr.contributors.values_list("username", flat=True)) == {"author", "admin-both"}


def test_a_canvas_move_is_no_contribution(submitted, people):
    _edit_as(people["admin"], Host.objects.get(), position_x=300.0, position_y=20.0)
    cr = change_request_refresh(change_request=submitted, user=people["author"])
    cr = change_request_submit(change_request=cr, user=people["author"])
    assert not cr.contributors.filter(pk=people["admin"].pk).exists()
    assert change_request_review(change_request=cr, user=people["admin"], decision="approve").state == "approved"


def test_changes_before_the_last_deployed_revision_do_not_count(submitted, people):
    cr = change_request_review(change_request=submitted, user=people["approver"], decision="approve")
    cr = deployment_start(change_request=cr, user=people["operator"])
    deployment_finish(change_request=cr, user=people["operator"], outcome="deployed")
    # The approver made the next change: they may not approve it, the admin (no change since) may.
    _edit_as(people["approver"], JailNic.objects.get(), address="10.1.1.3/24")
    nxt = change_request_create(design=cr.design, user=people["author"], title="second")
    nxt = change_request_submit(change_request=nxt, user=people["author"])
    assert set(nxt.contributors.values_list("username", flat=True)) == {"approver"}
    with pytest.raises(PermissionDenied):
        change_request_review(change_request=nxt, user=people["approver"], decision="approve")
    assert change_request_review(change_request=nxt, user=people["admin"], decision="approve").state == "approved"


def test_contributor_may_still_request_changes(submitted, people):
    _edit_as(people["admin"], JailNic.objects.get(), address="10.1.1.66/24")
    cr = change_request_submit(
        change_request=change_request_refresh(change_request=submitted, user=people["author"]), user=people["author"]
    )
    cr = change_request_review(change_request=cr, user=people["admin"], decision="request_changes", comment="hm")
    assert cr.state == "changes_requested"


def test_api_shows_contributors_and_hides_the_request_from_their_review_queue(submitted, people, client):
    from rest_framework.test import APIClient

    admin = people["admin"]
    _edit_as(admin, JailNic.objects.get(), address="10.1.1.66/24")
    change_request_submit(
        change_request=change_request_refresh(change_request=submitted, user=people["author"]), user=people["author"]
    )
    api = APIClient()
    api.force_authenticate(admin)
    detail = api.get(f"/api/change-requests/{submitted.pk}/").json()
    assert detail["contributors"] == ["admin-both", "author"]
    assert api.get("/api/change-requests/?waiting_for_me=true").json()["count"] == 0
    refused = api.post(f"/api/change-requests/{submitted.pk}/review/", {"decision": "approve"}, format="json")
    assert refused.status_code == 403, refused.content
    other = APIClient()
    other.force_authenticate(people["approver"])
    assert other.get("/api/change-requests/?waiting_for_me=true").json()["count"] == 1
