"""The ``lab`` management command and ``/api/labs/``: root-only, with a clear refusal otherwise; the last check is
kept cell by cell (``/api/labs/{id}/report/``) until the next ``up``."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone

from core.models import AuditEntry
from executors.lab.lifecycle import leftovers
from executors.lab.services import lab_run_check, lab_start, lab_stop
from executors.models import Job, Lab, LabState
from topology.models import Design
from topology.render.lab import lab_id
from topology.services.designs import design_import_document

from .documents import S7
from .support import needs_lab, unique_name

NAME = unique_name("lab-command")
DOC = S7.replace("name: lab-s07-iocage", f"name: {NAME}")

urlpatterns = [path("api/", include("executors.api.urls"))]


def _after(entry: AuditEntry) -> dict[str, Any]:
    """The values after a recorded lab operation (a lab operation always has them: it deletes nothing)."""
    assert entry.after is not None
    return entry.after


@pytest.fixture
def not_root(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(os, "geteuid", lambda: 1000)


@pytest.mark.django_db
def test_command_without_root_says_why_and_exits_2(not_root):  # type: ignore[no-untyped-def]
    design_import_document(document_text=DOC)
    with pytest.raises(CommandError, match="the lab needs root") as raised:
        call_command("lab", "up", NAME)
    assert raised.value.returncode == 2


@pytest.mark.django_db
def test_command_if_root_is_quiet_without_root(not_root, capsys):  # type: ignore[no-untyped-def]
    design_import_document(document_text=DOC)
    call_command("lab", "up", NAME, "--if-root")
    assert "not started" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.lab.test_lab_command_api")
def test_api_needs_no_root_the_worker_does(not_root, monkeypatch, client_for, jobs_on_worker):  # type: ignore[no-untyped-def]
    """The web process only queues the job; the worker (root here) runs it."""
    design, _ = design_import_document(document_text=DOC)
    response = client_for("operator").post("/api/labs/up/", {"design": design.pk}, format="json")
    assert response.status_code == 202 and response.json()["state"] == "queued"
    job = Job.objects.get(pk=response.json()["id"])
    for _ in range(600):
        job.refresh_from_db()
        if job.state not in ("queued", "running"):
            break
        time.sleep(0.1)
    try:
        assert job.state == "succeeded", job.message
    finally:
        monkeypatch.undo()  # the clean-up runs here, as root
        call_command("lab", "down", NAME)


@pytest.mark.django_db
@pytest.mark.urls("tests.lab.test_lab_command_api")
def test_api_up_needs_the_deploy_role(client_for):  # type: ignore[no-untyped-def]
    design, _ = design_import_document(document_text=DOC)
    assert client_for("viewer").post("/api/labs/up/", {"design": design.pk}, format="json").status_code == 403


@pytest.mark.django_db
@pytest.mark.urls("tests.lab.test_lab_command_api")
def test_report_of_a_lab_not_checked_is_404_with_the_reason(client_for):  # type: ignore[no-untyped-def]
    design, _ = design_import_document(document_text=DOC)
    lab = Lab.objects.create(design=design, lab_id=lab_id(NAME))
    response = client_for("viewer").get(f"/api/labs/{lab.pk}/report/")
    assert response.status_code == 404
    assert response.json()["detail"] == f"the lab of {NAME} has not been checked since it was brought up"
    assert client_for("anonymous").get(f"/api/labs/{lab.pk}/report/").status_code in (401, 403)

    # Checked before the cells were kept: the counts are there, the cells are not.
    Lab.objects.filter(pk=lab.pk).update(last_check_at=timezone.now(), check_total=3, check_matched=3)
    response = client_for("operator").get(f"/api/labs/{lab.pk}/report/")
    assert response.status_code == 404 and "before its cells were kept" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.urls("tests.lab.test_lab_command_api")
def test_lab_list_never_reads_the_cells(client_for, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    viewer = client_for("viewer")
    for n in range(5):
        design = Design.objects.create(name=f"{NAME}-{n}")
        Lab.objects.create(design=design, lab_id=lab_id(design.name), check_cells=[{"source": "a"}] * 100)
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(4):
        labs = viewer.get("/api/labs/").json()["results"]
    assert len(labs) == 5 and all("cells" not in lab and "check_cells" not in lab for lab in labs)
    assert not any("check_cells" in query["sql"] for query in queries.captured_queries)


@needs_lab
@pytest.mark.django_db
def test_check_keeps_every_cell_until_the_next_up(tmp_path: Path, settings):  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path
    design, _ = design_import_document(document_text=DOC)
    try:
        lab, _ = lab_start(design=design)
        lab, report = lab_run_check(design=design)
        cells = report.as_dict()["cells"]
        assert cells and Lab.objects.get(pk=lab.pk).check_cells == cells
        assert lab.check_total == len(cells) and lab.has_check_report

        # Down leaves the last check as it was: the page shows it as from an earlier run.
        lab, _ = lab_stop(design=design)
        lab.refresh_from_db()
        assert lab.state == LabState.DOWN and lab.check_cells == cells and lab.has_check_report

        # A new lab has not been checked: up forgets the check of the one it replaces.
        lab, _ = lab_start(design=design)
        lab.refresh_from_db()
        assert lab.state == LabState.UP and lab.check_cells == [] and lab.last_check_at is None
        assert (lab.check_total, lab.check_matched, lab.check_mismatched, lab.check_seconds) == (0, 0, 0, None)
        assert not lab.has_check_report
    finally:
        call_command("lab", "down", NAME)
    assert leftovers(NAME) == {"namespaces": [], "processes": []}


def _finished(job_id: int) -> Job:
    for _ in range(600):
        job = Job.objects.get(pk=job_id)
        if job.state not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end within 60 s")


@needs_lab
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.lab.test_lab_command_api")
def test_command_and_api_run_a_lab(tmp_path: Path, client_for, capsys, jobs_on_worker):  # type: ignore[no-untyped-def]
    document = tmp_path / f"{NAME}.yaml"
    document.write_text(DOC)
    client, viewer = client_for("operator"), client_for("viewer")
    try:
        call_command("lab", "up", str(document), user="operator-user")
        assert f"lab {NAME} up" in capsys.readouterr().out
        lab = Lab.objects.get(design__name=NAME)
        assert lab.state == LabState.UP and lab.notes
        call_command("lab", "check", NAME, user="operator-user")
        lab.refresh_from_db()
        assert lab.check_total > 0 and lab.check_mismatched == 0
        job = _finished(client.post(f"/api/labs/{lab.pk}/check/").json()["id"])
        assert job.state == "succeeded", job.message
        report = viewer.get(f"/api/labs/{lab.pk}/report/").json()
        assert report["total"] == lab.check_total and report["mismatched"] == 0
        assert len(report["cells"]) == report["total"] and report["checked_at"]
        # Anyone who may read sees the last check later, cell by cell, exactly as the check answered it.
        assert viewer.get(f"/api/labs/{lab.pk}/report/").json() == report
        assert viewer.post(f"/api/labs/{lab.pk}/check/").status_code == 403
        # The list stays light: counts and when, no cells.
        (listed,) = [row for row in client.get("/api/labs/").json()["results"] if row["id"] == lab.pk]
        assert listed["last_check_at"] == report["checked_at"] and "cells" not in listed
        assert "check_cells" not in listed
        detail = client.get(f"/api/labs/{lab.pk}/").json()
        assert detail["state"] == "up" and detail["live"]["sshd_alive"] == 1
        assert _finished(client.post(f"/api/labs/{lab.pk}/down/").json()["id"]).state == "succeeded"
        assert client.get(f"/api/labs/{lab.pk}/").json()["state"] == "down"
        # After down the report is still there; the lab's state says it is from an earlier run.
        assert viewer.get(f"/api/labs/{lab.pk}/report/").json() == report
    finally:
        call_command("lab", "down", NAME)
    assert leftovers(NAME) == {"namespaces": [], "processes": []}

    # Every operation is in the audit history, with who, from where and the lab's state before and after;
    # the refused check of the viewer is not, and the cells stay in the report.
    entries = AuditEntry.objects.filter(object_type__model="lab", object_id=lab.pk).order_by("id")
    steps = [(e.source, e.user_name, e.action, (e.before or {}).get("state"), _after(e)["state"]) for e in entries]
    assert steps == [
        ("command", "operator-user", "create", None, "up"),
        ("command", "operator-user", "update", "up", "up"),  # check
        ("task", "operator-user", "update", "up", "up"),  # check, run by the worker for the API's user
        ("task", "operator-user", "update", "up", "down"),
        ("command", "", "update", "down", "down"),  # the final clean-up, run without --user
    ]
    assert (entries[1].before or {})["check_total"] == 0 and _after(entries[1])["check_total"] == report["total"]
    assert all(e.design_name == NAME and "check_cells" not in _after(e) for e in entries)
