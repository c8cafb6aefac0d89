"""The ``lab`` management command and ``/api/labs/``: root-only, with a clear refusal otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import include, path

from executors.lab.lifecycle import leftovers
from executors.models import Lab, LabState
from topology.services.designs import design_import_document

from .documents import S7
from .support import needs_lab, unique_name

NAME = unique_name("lab-command")
DOC = S7.replace("name: lab-s07-iocage", f"name: {NAME}")

urlpatterns = [path("api/", include("executors.api.urls"))]


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


@pytest.mark.django_db
@pytest.mark.urls("tests.lab.test_lab_command_api")
def test_api_without_root_answers_409(not_root, client_for):  # type: ignore[no-untyped-def]
    design, _ = design_import_document(document_text=DOC)
    response = client_for("operator").post("/api/labs/up/", {"design": design.pk}, format="json")
    assert response.status_code == 409
    assert "the lab needs root" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.urls("tests.lab.test_lab_command_api")
def test_api_up_needs_the_deploy_role(client_for):  # type: ignore[no-untyped-def]
    design, _ = design_import_document(document_text=DOC)
    assert client_for("viewer").post("/api/labs/up/", {"design": design.pk}, format="json").status_code == 403


@needs_lab
@pytest.mark.django_db
@pytest.mark.urls("tests.lab.test_lab_command_api")
def test_command_and_api_run_a_lab(tmp_path: Path, settings, client_for, capsys):  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path
    document = tmp_path / f"{NAME}.yaml"
    document.write_text(DOC)
    try:
        call_command("lab", "up", str(document))
        assert f"lab {NAME} up" in capsys.readouterr().out
        lab = Lab.objects.get(design__name=NAME)
        assert lab.state == LabState.UP and lab.notes
        call_command("lab", "check", NAME)
        lab.refresh_from_db()
        assert lab.check_total > 0 and lab.check_mismatched == 0
        client = client_for("operator")
        report = client.post(f"/api/labs/{lab.pk}/check/").json()
        assert report["total"] == lab.check_total and report["mismatched"] == 0
        detail = client.get(f"/api/labs/{lab.pk}/").json()
        assert detail["state"] == "up" and detail["live"]["sshd_alive"] == 1
        assert client.post(f"/api/labs/{lab.pk}/down/").json()["state"] == "down"
    finally:
        call_command("lab", "down", NAME)
    assert leftovers(NAME) == {"namespaces": [], "processes": []}
