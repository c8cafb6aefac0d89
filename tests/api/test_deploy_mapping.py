"""Design hosts mapped to registered hosts (API), and what a deploy refuses before any job runs: unmapped or unpinned
registered hosts, a design busy with another operation, a retry of a deployment that has nothing to retry."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from core.audit import change_context
from core.models.audit import AuditEntry
from executors.deploy.models import Deployment
from executors.jobs.services import job_create
from executors.models import Job, JobKind
from inventory.models import ManagedHost
from tests.lab.documents import S10
from topology.changes.services import change_request_create, change_request_review, change_request_submit
from topology.models import ChangeRequest, Host
from topology.services.designs import design_import_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def design():  # type: ignore[no-untyped-def]
    return design_import_document(document_text=S10.replace("name: lab-s10-vxlan", "name: mapping-s10"))[0]


@pytest.fixture
def registered():  # type: ignore[no-untyped-def]
    pinned = [
        ManagedHost.objects.create(name=f"fw-{n}", management_address=f"192.0.2.{n}", host_key_state="pinned")
        for n in (1, 2, 3)
    ]
    offered = ManagedHost.objects.create(name="new-box", management_address="192.0.2.9", host_key_state="offered")
    return [*pinned, offered]


def _approved(design, make_user) -> ChangeRequest:  # type: ignore[no-untyped-def]
    author, approver = make_user("author", "designer"), make_user("approver", "approver")
    cr = change_request_create(design=design, user=author, title="deploy me")
    cr = change_request_submit(change_request=cr, user=author)
    return change_request_review(change_request=cr, user=approver, decision="approve")


def test_hosts_are_mapped_once_per_design_with_the_pinned_state_shown_and_audited(design, registered, client_for):
    operator = client_for("operator")
    url = f"/api/designs/{design.pk}/host-mapping/"
    assert [e["managed_host"] for e in operator.get(url).json()] == [None, None, None]
    answer = operator.put(url, {"mapping": {"gateway": registered[0].pk, "jailhost-a": registered[3].pk}},
                          format="json")  # fmt: skip
    assert answer.status_code == 200, answer.json()
    by_host = {e["host"]: e for e in answer.json()}
    assert by_host["gateway"] == {**by_host["gateway"], "managed_host_name": "fw-1", "pinned": True}
    assert by_host["jailhost-a"]["host_key_state"] == "offered" and by_host["jailhost-a"]["pinned"] is False
    assert by_host["jailhost-b"]["managed_host"] is None

    twice = operator.put(url, {"mapping": {"jailhost-b": registered[0].pk}}, format="json")
    assert twice.status_code == 400 and "fw-1 -> gateway and jailhost-b" in twice.json()["detail"]
    unknown = operator.put(url, {"mapping": {"nope": registered[1].pk, "jailhost-b": registered[1].pk}}, format="json")
    assert unknown.status_code == 400 and "no host named nope" in unknown.json()["detail"]
    missing = operator.put(url, {"mapping": {"jailhost-b": 999999}}, format="json")
    assert missing.status_code == 400 and "999999" in missing.json()["detail"]
    assert Host.objects.get(design=design, name="jailhost-b").managed_host_id is None  # nothing half-saved
    # Moving fw-1 from gateway to jailhost-b in one request is fine.
    moved = operator.put(url, {"mapping": {"gateway": None, "jailhost-b": registered[0].pk}}, format="json")
    assert moved.status_code == 200
    assert {e["host"]: e["managed_host_name"] for e in moved.json()} == {
        "gateway": "",
        "jailhost-a": "new-box",
        "jailhost-b": "fw-1",
    }
    assert client_for("designer").put(url, {"mapping": {"gateway": None}}, format="json").status_code == 403
    assert client_for("viewer").get(url).status_code == 200
    entries = AuditEntry.objects.filter(object_type=ContentType.objects.get_for_model(Host), design_id=design.pk)
    assert entries.filter(user_name="operator-user", after__managed_host_id=registered[0].pk).exists()


def test_mapping_a_host_leaves_an_approved_request_approved(design, registered, client_for, make_user):
    cr = _approved(design, make_user)
    operator = client_for("operator")
    operator.put(f"/api/designs/{design.pk}/host-mapping/", {"mapping": {"gateway": registered[0].pk}}, format="json")
    cr.refresh_from_db()
    assert cr.state == "approved" and not cr.stale


def test_a_deploy_to_registered_hosts_refuses_unmapped_and_unpinned_hosts(design, registered, client_for, make_user):
    cr = _approved(design, make_user)
    operator = client_for("operator")
    body = {"change_request": cr.pk, "target": "inventory"}
    unmapped = operator.post("/api/deployments/", body, format="json")
    assert unmapped.status_code == 409 and "gateway is not mapped to a registered host" in unmapped.json()["detail"]
    operator.put(f"/api/designs/{design.pk}/host-mapping/",
                 {"mapping": {"gateway": registered[0].pk, "jailhost-a": registered[1].pk,
                              "jailhost-b": registered[3].pk}}, format="json")  # fmt: skip
    unpinned = operator.post("/api/deployments/", body, format="json")
    assert unpinned.status_code == 409
    assert "jailhost-b -> new-box: its host key is not pinned" in unpinned.json()["detail"]
    assert not Deployment.objects.exists() and not Job.objects.filter(kind="deploy").exists()
    cr.refresh_from_db()
    assert cr.state == "approved"


def test_a_deploy_is_refused_while_another_operation_holds_the_design(design, client_for, make_user):
    cr = _approved(design, make_user)
    with change_context(source="api"):
        holder = job_create(kind=JobKind.LAB_UP, design=design, enqueue=False)
    answer = client_for("operator").post("/api/deployments/", {"change_request": cr.pk, "target": "lab"}, format="json")
    assert answer.status_code == 409 and f"job {holder.pk} (lab up" in answer.json()["detail"]
    assert not Deployment.objects.exists()
    cr.refresh_from_db()
    assert cr.state == "approved"


def test_a_deploy_creates_its_job_and_a_retry_needs_a_finished_deployment(design, client_for, make_user):
    cr = _approved(design, make_user)
    operator = client_for("operator")
    created = operator.post("/api/deployments/", {"change_request": cr.pk, "target": "lab"}, format="json").json()
    job = Job.objects.get(pk=created["job"])
    assert (job.kind, job.state, job.change_request_id, job.design_id) == ("deploy", "queued", cr.pk, design.pk)
    assert job.options["deployment"] == created["id"]
    early = operator.post(f"/api/deployments/{created['id']}/retry/")
    assert early.status_code == 409 and "still queued" in early.json()["detail"]
    assert client_for("designer").post(f"/api/deployments/{created['id']}/retry/").status_code == 403
    # The job cancelled before it ran: its hosts are cancelled, the deployment and the request failed.
    assert operator.post(f"/api/jobs/{job.pk}/cancel/").status_code == 200
    after = operator.get(f"/api/deployments/{created['id']}/").json()
    assert after["state"] == "failed" and {h["outcome"] for h in after["hosts"]} == {"cancelled"}
    cr.refresh_from_db()
    assert cr.state == "failed"
    retried = operator.post(f"/api/deployments/{created['id']}/retry/").json()
    assert retried["state"] == "queued" and retried["job"] != job.pk
    assert {h["outcome"] for h in retried["hosts"]} == {"pending"}
    cr.refresh_from_db()
    assert cr.state == "deploying"
