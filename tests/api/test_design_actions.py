"""Design-level actions: validation, rendering, export and import, and the list of validation rules."""

from __future__ import annotations

import importlib

import pytest
import yaml

from topology.models import Design, Switch


def _missing(module: str, *names: str) -> bool:
    """Whether ``module`` (written by another part of the project) or one of its ``names`` is not there yet."""
    try:
        imported = importlib.import_module(module)
    except ImportError:
        return True
    return not all(hasattr(imported, name) for name in names)


needs_validation = pytest.mark.skipif(
    _missing("topology.validation", "validate", "identity_findings"), reason="topology.validation not written yet"
)
needs_render = pytest.mark.skipif(
    _missing("topology.render.freebsd", "render_design", "render_host"),
    reason="topology.render.freebsd not written yet",
)


def test_export_returns_the_yaml_document(env, viewer_client):
    response = viewer_client.get(f"/api/designs/{env.design.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    document = yaml.safe_load(response.content)
    assert document["name"] == "lab"
    assert {h["name"] for h in document["hosts"]} == {"jailhost-a", "jailhost-b"}


def test_export_of_a_missing_design_is_404(db, viewer_client):
    assert viewer_client.get("/api/designs/999/export/").status_code == 404


@needs_validation
def test_import_creates_then_reports_unchanged(env, viewer_client, designer_client):
    document = viewer_client.get(f"/api/designs/{env.design.pk}/export/").content.decode()
    copy = document.replace("name: lab", "name: lab-copy", 1)
    created = designer_client.post("/api/designs/import/", {"document": copy}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["name"] == "lab-copy" and created.json()["changed"] is True
    again = designer_client.post("/api/designs/import/", {"document": copy}, format="json")
    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert Switch.objects.filter(host__design__name="lab-copy").count() == 3


@needs_validation
def test_import_preview_lists_each_change_and_saves_nothing(env, viewer_client, designer_client):
    from core.models import AuditEntry

    document = viewer_client.get(f"/api/designs/{env.design.pk}/export/").content.decode()
    entries_before = AuditEntry.objects.count()
    versions_before = sorted(Switch.objects.values_list("pk", "version"))

    same = designer_client.post("/api/designs/import-preview/", {"document": document}, format="json").json()
    assert same == {"exists": True, "changed": False, "changes": []}

    edited = yaml.safe_load(document)
    host = edited["hosts"][0]
    assert host.pop("dhcp")  # its DHCP service (and reservations) go
    host["switches"].append({"name": "dmz", "address": "10.9.9.1/24"})
    host["default_router"] = "192.0.2.254"
    preview = designer_client.post(
        "/api/designs/import-preview/", {"document": yaml.safe_dump(edited)}, format="json"
    ).json()
    assert "changes" in preview, preview
    changes = {(c["action"], c["object_type"], c["object_repr"]) for c in preview["changes"]}
    assert ("create", "switch", "switch dmz") in changes, changes
    assert any(c[0] == "delete" and c[1] == "dhcpservice" for c in changes), changes
    update = next(c for c in preview["changes"] if c["action"] == "update" and c["object_type"] == "host")
    assert update["after"]["default_router"] == "192.0.2.254"
    created = next(c for c in preview["changes"] if c["action"] == "create" and c["object_type"] == "switch")
    assert created["references"]["host_id"]["name"] == host["name"]

    # A dry run: nothing stored, nothing recorded.
    assert AuditEntry.objects.count() == entries_before
    assert sorted(Switch.objects.values_list("pk", "version")) == versions_before
    assert not Switch.objects.filter(name="dmz").exists()


@needs_validation
def test_import_preview_of_a_broken_document_is_400_and_viewers_may_not_preview(env, viewer_client, designer_client):
    response = designer_client.post("/api/designs/import-preview/", {"document": "name: [unclosed"}, format="json")
    assert response.status_code == 400 and "document" in response.json()
    document = viewer_client.get(f"/api/designs/{env.design.pk}/export/").content.decode()
    assert viewer_client.post("/api/designs/import-preview/", {"document": document}, format="json").status_code == 403


@needs_validation
def test_import_of_a_broken_document_is_400_and_stores_nothing(db, designer_client):
    response = designer_client.post("/api/designs/import/", {"document": "name: [unclosed"}, format="json")
    assert response.status_code == 400
    assert "document" in response.json()
    assert not Design.objects.exists()


@needs_validation
def test_validation_reports_findings(env, viewer_client):
    response = viewer_client.get(f"/api/designs/{env.design.pk}/validation/")
    assert response.status_code == 200
    assert "findings" in response.json()


@needs_validation
def test_validation_rules_are_listed(db, viewer_client):
    response = viewer_client.get("/api/validation-rules/")
    assert response.status_code == 200
    rules = response.json()
    assert rules and {"code", "severity", "title", "description"} <= rules[0].keys()


@needs_render
def test_render_returns_script_and_files_per_host(env, viewer_client):
    response = viewer_client.get(f"/api/designs/{env.design.pk}/render/")
    assert response.status_code == 200
    hosts = {item["host"]: item for item in response.json()}
    assert set(hosts) == {"jailhost-a", "jailhost-b"}
    assert all({"path", "content", "mode"} <= f.keys() for item in hosts.values() for f in item["files"])
    one = viewer_client.get(f"/api/designs/{env.design.pk}/render/", {"host": "jailhost-b"}).json()
    assert [item["host"] for item in one] == ["jailhost-b"]


@needs_render
def test_render_of_an_unknown_host_is_404(env, viewer_client):
    assert viewer_client.get(f"/api/designs/{env.design.pk}/render/", {"host": "nope"}).status_code == 404


def test_designs_have_an_owner_and_are_searched_sorted_renamed_cloned_and_archived(db, make_user, designer_client):
    from topology.models import Host

    made = designer_client.post("/api/designs/", {"name": "alpha", "description": "the web farm"}, format="json")
    assert made.status_code == 201, made.json()
    alpha = made.json()
    assert alpha["owner"] == "designer-user"  # the designer_client's user
    Host.objects.create(design_id=alpha["id"], name="jailhost-a", position_x=5, position_y=7)
    designer_client.post("/api/designs/", {"name": "beta", "description": "lab"}, format="json")

    found = designer_client.get("/api/designs/?search=web").json()["results"]
    assert [d["name"] for d in found] == ["alpha"]
    ordered = designer_client.get("/api/designs/?ordering=-name").json()["results"]
    assert [d["name"] for d in ordered] == ["beta", "alpha"]

    renamed = designer_client.patch(
        f"/api/designs/{alpha['id']}/", {"name": "alpha2", "version": alpha["version"]}, format="json"
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "alpha2"

    clone = designer_client.post(f"/api/designs/{alpha['id']}/clone/", {"name": "alpha-copy"}, format="json")
    assert clone.status_code == 201, clone.json()
    copy = Design.objects.get(name="alpha-copy")
    assert copy.description == "the web farm"
    assert copy.owner is not None and copy.owner.username == "designer-user"
    assert list(copy.hosts.values_list("name", "position_x", "position_y")) == [("jailhost-a", 5.0, 7.0)]
    taken = designer_client.post(f"/api/designs/{alpha['id']}/clone/", {"name": "beta"}, format="json")
    assert taken.status_code == 400 and "name" in taken.json()

    archived = designer_client.patch(
        f"/api/designs/{copy.pk}/", {"archived": True, "version": copy.version}, format="json"
    )
    assert archived.status_code == 200
    listed = designer_client.get("/api/designs/?archived=false").json()["results"]
    assert sorted(d["name"] for d in listed) == ["alpha2", "beta"]
