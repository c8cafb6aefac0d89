"""The examples as the designer loads them (``/api/designs/<id>/graph/``), kept as fixtures for the frontend's
layout tests (frontend/src/test/examples/*.json): the diagram of every example is checked there for edges
through host boxes and overlapping labels without a server.

``JAILNET_WRITE_FIXTURES=1`` writes the fixtures again; otherwise this checks they still hold the objects the
examples import to (by kind and display name), so a changed example or model cannot leave them stale.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from topology.services.designs import design_import_document

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("s*.yaml"))
FIXTURES = ROOT / "frontend" / "src" / "test" / "examples"
VOLATILE = {"created", "last_updated", "url"}


def strip(value: object) -> object:
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def names(graph: dict) -> dict[str, list[str]]:
    return {kind: sorted(obj.get("display", "") for obj in objs) for kind, objs in graph["objects"].items()}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_graph_fixture_is_current(example: Path) -> None:
    design, _ = design_import_document(document_text=example.read_text())
    client = Client()
    client.force_login(User.objects.create_superuser("fixtures", password="x"))
    response = client.get(f"/api/designs/{design.pk}/graph/")
    assert response.status_code == 200, response.content[:500]
    graph = strip(response.json())
    assert isinstance(graph, dict)
    path = FIXTURES / f"{example.stem}.json"
    if os.environ.get("JAILNET_WRITE_FIXTURES") == "1":
        FIXTURES.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(graph, indent=1, sort_keys=True) + "\n")
    assert path.exists(), f"run with JAILNET_WRITE_FIXTURES=1 to write {path}"
    assert names(json.loads(path.read_text())) == names(graph), f"{path} is stale: JAILNET_WRITE_FIXTURES=1"
