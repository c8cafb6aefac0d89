"""Change requests, revisions and the audit history through the REST API."""

from __future__ import annotations

import csv
import io

import pytest
from rest_framework.test import APIClient

from core.models import AuditEntry
from tests.factories import DesignFactory
from topology.models import JailNic
from topology.services.designs import design_import_document

from .test_change_requests import DOC

pytestmark = pytest.mark.django_db


@pytest.fixture
def design(db):
    return design_import_document(document_text=DOC)[0]


def client_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def team(make_user):
    return {role: make_user(f"{role}-1", role) for role in ("viewer", "designer", "approver", "operator", "admin")} | {
        "approver2": make_user("approver-2", "approver")
    }


def test_designer_submits_and_another_approver_approves_through_the_api(design, team):
    designer = client_as(team["designer"])
    created = designer.post("/api/change-requests/", {"design": design.pk, "title": "first"}, format="json")
    assert created.status_code == 201, created.content
    cr = created.json()
    assert cr["state"] == "draft"
    assert cr["hosts"] == [{"host_name": "jailhost", "changed": True}]
    assert designer.post(f"/api/change-requests/{cr['id']}/submit/").json()["state"] == "submitted"

    diff = client_as(team["viewer"]).get(f"/api/change-requests/{cr['id']}/hosts/jailhost/").json()
    assert "10.1.1.2" in diff["diff"]

    # designers cannot approve, approvers can
    denied = designer.post(f"/api/change-requests/{cr['id']}/review/", {"decision": "approve"}, format="json")
    assert denied.status_code == 403
    approved = client_as(team["approver"]).post(
        f"/api/change-requests/{cr['id']}/review/", {"decision": "approve", "comment": "looks right"}, format="json"
    )
    assert approved.status_code == 200
    body = approved.json()
    assert body["state"] == "approved"
    assert body["approvals"][0]["user"] == "approver-1"
    assert [t["to_state"] for t in body["transitions"]] == ["draft", "submitted", "approved"]


def test_state_conflicts_are_409_with_a_message(design, team):
    designer = client_as(team["designer"])
    cr = designer.post("/api/change-requests/", {"design": design.pk, "title": "x"}, format="json").json()
    response = client_as(team["operator"]).post(f"/api/change-requests/{cr['id']}/deploy/")
    assert response.status_code == 409
    assert "only approved requests can be deployed" in response.json()["detail"]


def test_waiting_for_me_lists_submitted_requests_of_others(design, team):
    designer = client_as(team["designer"])
    cr = designer.post("/api/change-requests/", {"design": design.pk, "title": "x"}, format="json").json()
    designer.post(f"/api/change-requests/{cr['id']}/submit/")
    approver = client_as(team["approver"])
    waiting = approver.get("/api/change-requests/?waiting_for_me=true").json()
    assert [r["id"] for r in waiting["results"]] == [cr["id"]]
    approver.post(f"/api/change-requests/{cr['id']}/review/", {"decision": "request_changes"}, format="json")
    assert approver.get("/api/change-requests/?waiting_for_me=true").json()["count"] == 0
    assert designer.get("/api/change-requests/?mine=true").json()["count"] == 1


def test_comments_on_a_request_and_on_a_host_diff(design, team):
    cr = (
        client_as(team["designer"])
        .post("/api/change-requests/", {"design": design.pk, "title": "x"}, format="json")
        .json()
    )
    viewer = client_as(team["viewer"])
    comment = {"body": "why /24?", "host_name": "jailhost", "line": 3}
    made = viewer.post(f"/api/change-requests/{cr['id']}/comments/", comment, format="json")
    assert made.status_code == 201
    listed = viewer.get(f"/api/change-requests/{cr['id']}/comments/").json()
    assert listed[0]["body"] == "why /24?" and listed[0]["user"] == "viewer-1"
    bad = viewer.post(f"/api/change-requests/{cr['id']}/comments/", {"body": "x", "host_name": "nope"}, format="json")
    assert bad.status_code == 409


def test_audit_history_filters_and_exports(design, team):
    client = client_as(team["designer"])
    nic = JailNic.objects.get()
    response = client.patch(f"/api/jail-nics/{nic.pk}/", {"address": "10.1.1.4/24"}, format="json")
    assert response.status_code == 200, response.content
    request_id = response["X-Request-ID"]
    history = client.get(f"/api/audit-entries/?object_type=topology.jailnic&object_id={nic.pk}").json()
    latest = history["results"][0]
    assert (latest["action"], latest["source"], latest["user_name"]) == ("update", "api", "designer-1")
    assert latest["request_id"] == request_id
    assert (latest["before"]["address"], latest["after"]["address"]) == ("10.1.1.2/24", "10.1.1.4/24")
    assert client.get("/api/audit-entries/?host=jailhost&action=update").json()["count"] == 1
    assert client.get("/api/audit-entries/?user=nobody").json()["count"] == 0

    exported = client.get("/api/audit-entries/export/?as=csv&action=update")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert exported["Content-Type"].startswith("text/csv")
    assert [r["user_name"] for r in rows] == ["designer-1"]
    as_json = client.get("/api/audit-entries/export/?as=json&action=update").json()
    assert as_json[0]["after"]["address"] == "10.1.1.4/24"


def test_audit_entries_name_the_objects_their_reference_fields_point_at(design, team, django_assert_max_num_queries):
    client = client_as(team["viewer"])
    nic = JailNic.objects.select_related("jail", "switch").get()
    created = client.get(f"/api/audit-entries/?object_type=topology.jailnic&object_id={nic.pk}").json()["results"][-1]
    assert created["after"]["jail_id"] == nic.jail_id  # the history keeps ids (links use them) ...
    refs = created["references"]
    assert refs["jail_id"] == {"kind": "jail", "id": nic.jail_id, "name": nic.jail.name}  # ... and shows names
    assert refs["switch_id"] == {"kind": "switch", "id": nic.switch_id, "name": nic.switch.name}
    # Names are looked up per page, not per entry.
    client.get("/api/audit-entries/?limit=5")
    with django_assert_max_num_queries(14):
        page = client.get("/api/audit-entries/?limit=40").json()["results"]
    assert any(e["references"].get("host_id", {}).get("name") == "jailhost" for e in page)


def test_audit_history_is_read_only_through_the_api(design, team):
    admin = client_as(team["admin"])
    entry = AuditEntry.objects.latest("time", "id")
    assert admin.delete(f"/api/audit-entries/{entry.pk}/").status_code == 405
    assert admin.patch(f"/api/audit-entries/{entry.pk}/", {"user_name": "x"}, format="json").status_code == 405
    assert admin.post("/api/audit-entries/", {}, format="json").status_code == 405


def test_audit_list_runs_a_constant_number_of_queries(design, team, django_assert_max_num_queries):
    client = client_as(team["viewer"])
    client.get("/api/audit-entries/?limit=5")  # warm caches (content types, roles)
    for i in range(30):
        DesignFactory.create(name=f"d{i}")
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/audit-entries/?limit=5").json()["results"]) == 5
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/audit-entries/?limit=30").json()["results"]) == 30


ENDPOINTS = ["/api/change-requests/", "/api/revisions/", "/api/audit-entries/", "/api/audit-entries/export/"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_anonymous_and_role_less_users_are_refused(path, make_user):
    assert APIClient().get(path).status_code in (401, 403)
    assert client_as(make_user("nobody")).get(path).status_code == 403


@pytest.mark.parametrize(
    ("role", "create", "review"),
    [
        ("viewer", 403, 403),
        ("designer", 201, 403),
        ("approver", 403, 200),
        ("operator", 403, 403),
        ("admin", 201, 200),
    ],
)
def test_permission_matrix_for_change_request_actions(design, team, make_user, role, create, review):
    client = client_as(team[role])
    made = client.post("/api/change-requests/", {"design": design.pk, "title": "m"}, format="json")
    assert made.status_code == create
    author = client_as(make_user("author-x", "designer"))
    cr = author.post("/api/change-requests/", {"design": design.pk, "title": "n"}, format="json").json()
    author.post(f"/api/change-requests/{cr['id']}/submit/")
    got = client.post(f"/api/change-requests/{cr['id']}/review/", {"decision": "approve"}, format="json")
    assert got.status_code == review, got.content


def test_audit_time_filters_accept_any_iso_offset(design, team):
    client = client_as(team["viewer"])
    # ISO 8601 allows offsets PostgreSQL does not store; they are compared in UTC
    response = client.get("/api/audit-entries/", {"since": "0263-08-14T17:59:37+20:54"})
    assert response.status_code == 200
    assert response.json()["count"] == AuditEntry.objects.count()
    assert client.get("/api/audit-entries/", {"until": "2000-01-01T00:00:00-16:46"}).json()["count"] == 0


def test_history_endpoints_share_the_base_viewset_brief_form_and_json_only_writes(design, team):
    designer = client_as(team["designer"])
    cr = designer.post("/api/change-requests/", {"design": design.pk, "title": "brief"}, format="json").json()
    for path in ("/api/change-requests/", "/api/audit-entries/"):
        [first, *_] = client_as(team["viewer"]).get(path, {"brief": "1"}).json()["results"]
        assert set(first) <= {"id", "url", "display", "name"} and first["url"].endswith(f"/{first['id']}/")
    brief = client_as(team["viewer"]).get(f"/api/change-requests/{cr['id']}/", {"brief": "1"}).json()
    assert set(brief) == {"id", "url", "display"}
    # Like every endpoint, the workflow takes JSON only.
    form = designer.post(
        "/api/change-requests/", f"design={design.pk}&title=form", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 415
