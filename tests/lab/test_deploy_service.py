"""Deploying an approved change request to its lab through the API and a real Celery worker on real Redis:
bundles from the database, per-host outcomes, the request's state and revision, the audit history."""

from __future__ import annotations

import time

import pytest
from django.contrib.contenttypes.models import ContentType
from rest_framework.test import APIClient

from core.models.audit import AuditEntry
from executors.deploy.models import Deployment, DeploymentHost
from tests.executors.conftest import celery_worker, jobs_on_worker, live_events, redis_url  # noqa: F401 - fixtures
from topology.changes.services import change_request_create
from topology.models import ChangeRequest, Revision

from .deploying import HOSTS, approved, deploy_people, s10_lab
from .support import needs_lab

pytestmark = [needs_lab, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(make_user):  # type: ignore[no-untyped-def]
    return deploy_people(make_user)


@pytest.fixture
def design_with_lab(people):  # type: ignore[no-untyped-def]
    with s10_lab("lab-deploy-svc") as (design, _):
        yield design


def _deploy(people, cr: ChangeRequest) -> dict:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(people["operator"])
    answer = client.post("/api/deployments/", {"change_request": cr.pk, "target": "lab", "confirm_seconds": 20},
                         format="json")  # fmt: skip
    assert answer.status_code == 201, answer.json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # bounded: the worker deploys three lab hosts in seconds
        body = client.get(f"/api/deployments/{answer.json()['id']}/").json()
        if body["finished_at"]:
            return body
        time.sleep(0.25)
    raise AssertionError(f"the deployment did not finish in 120 s: {body}")


def test_a_deploy_runs_in_the_worker_and_the_request_follows_then_a_redeploy_is_unchanged(
    design_with_lab,
    people,
    jobs_on_worker,  # noqa: F811
):
    cr = approved(design_with_lab, people, "first")
    body = _deploy(people, cr)
    assert body["state"] == "deployed", body
    assert {h["host_name"]: h["outcome"] for h in body["hosts"]} == dict.fromkeys(HOSTS, "deployed")
    assert body["verify"]["ok"] is True and body["verify"]["matched"] == body["verify"]["total"]
    cr.refresh_from_db()
    assert cr.state == "deployed"
    revision = Revision.objects.get(change_request=cr)
    assert revision.content_hash == cr.content_hash
    rows = DeploymentHost.objects.filter(deployment_id=body["id"])
    assert all(len(r.digest) == 64 and r.bundle["files"] is not None for r in rows)  # bundles from the database

    again = _deploy(people, approved(design_with_lab, people, "again, nothing changed"))
    assert again["state"] == "deployed"
    assert {h["host_name"]: (h["outcome"], h["changes"]) for h in again["hosts"]} == dict.fromkeys(
        HOSTS, ("unchanged", [])
    )

    host_type = ContentType.objects.get_for_model(DeploymentHost)
    entries = AuditEntry.objects.filter(object_type=host_type, design_id=design_with_lab.pk)
    assert {(e.host_name, (e.after or {}).get("outcome")) for e in entries} >= {(h, "deployed") for h in HOSTS}
    assert all(e.user_name == "operator" and e.source == "task" for e in entries)
    assert Deployment.objects.filter(design_id=design_with_lab.pk).count() == 2


def test_a_request_that_is_not_approved_is_not_deployed(design_with_lab, people):
    cr = change_request_create(design=design_with_lab, user=people["author"], title="draft")
    client = APIClient()
    client.force_authenticate(people["operator"])
    answer = client.post("/api/deployments/", {"change_request": cr.pk, "target": "lab"}, format="json")
    assert answer.status_code == 409 and "approved" in answer.json()["detail"]
    assert not Deployment.objects.exists()
