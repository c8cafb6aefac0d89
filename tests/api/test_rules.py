"""Cross-object rules, deletes of objects in use, the write-only credential secret and the schema."""

from __future__ import annotations

import pytest

from inventory.models import Credential
from tests.factories import JailNicFactory, VlanInterfaceFactory
from topology.models import Interface, Switch

SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- plaintext-marker-5f2c"


def test_vlan_parent_on_another_host_is_400_naming_parent(env, designer_client):
    response = designer_client.post(
        "/api/interfaces/",
        {"host": env.host_a.pk, "name": "em0.101", "kind": "vlan", "parent": env.em0_b.pk, "vlan_tag": 101},
        format="json",
    )
    assert response.status_code == 400
    assert "parent" in response.json()
    assert not Interface.objects.filter(name="em0.101").exists()


def test_moving_a_nic_to_another_hosts_switch_is_400_and_changes_nothing(env, designer_client):
    nic = JailNicFactory.create(jail=env.jail_a, switch=env.switch_a)
    response = designer_client.patch(f"/api/jail-nics/{nic.pk}/", {"switch": env.switch_b.pk}, format="json")
    assert response.status_code == 400
    assert "switch" in response.json()
    nic.refresh_from_db()
    assert nic.switch_id == env.switch_a.pk and nic.version == 1


def test_duplicate_name_is_400_not_a_database_error(env, designer_client):
    response = designer_client.post("/api/switches/", {"host": env.host_a.pk, "name": "switch111"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_unknown_related_id_is_400(env, designer_client):
    response = designer_client.post("/api/switches/", {"host": 987654, "name": "switch9"}, format="json")
    assert response.status_code == 400
    assert "host" in response.json()


def test_deleting_a_switch_with_nics_is_409_naming_the_nic(env, designer_client):
    JailNicFactory.create(jail=env.jail_a, switch=env.switch_a)
    response = designer_client.delete(f"/api/switches/{env.switch_a.pk}/")
    assert response.status_code == 409
    body = response.json()
    assert "in use" in body["detail"]
    assert body["in_use_by"][0]["display"].endswith("vnet0")
    assert Switch.objects.filter(pk=env.switch_a.pk).exists()


def test_deleting_a_design_removes_everything_it_holds(env, designer_client):
    JailNicFactory.create(jail=env.jail_a, switch=env.switch_a)
    VlanInterfaceFactory.create(host=env.host_a, parent=env.em0_a, vlan_tag=101)
    response = designer_client.delete(f"/api/designs/{env.design.pk}/")
    assert response.status_code == 204, response.content
    assert not Switch.objects.exists()


def test_nested_references_are_brief_objects(env, viewer_client):
    body = viewer_client.get(f"/api/switches/{env.switch_a.pk}/").json()
    assert body["host"] == {
        "id": env.host_a.pk,
        "url": f"http://testserver/api/hosts/{env.host_a.pk}/",
        "display": "jailhost-a",
        "name": "jailhost-a",
    }


def test_filters_pair_id_and_name(env, viewer_client):
    by_name = viewer_client.get("/api/switches/", {"host": "jailhost-b"}).json()
    by_id = viewer_client.get("/api/switches/", {"host_id": env.host_b.pk}).json()
    assert [s["id"] for s in by_name["results"]] == [s["id"] for s in by_id["results"]] == [env.switch_b.pk]
    by_design = viewer_client.get("/api/jail-nics/", {"design": "other"}).json()
    assert by_design["count"] == 0
    assert viewer_client.get("/api/firewall-policies/", {"host": "jailhost-b"}).json()["count"] == 1


def test_out_of_range_ids_are_not_server_errors(env, viewer_client, designer_client):
    huge = 10**30
    assert viewer_client.get(f"/api/hosts/{huge}/").status_code == 404
    assert viewer_client.get("/api/hosts/", {"design_id": huge}).status_code == 400
    assert designer_client.post("/api/hosts/", {"design": huge, "name": "x"}, format="json").status_code == 400


# --- credentials -------------------------------------------------------------------------------------------------


def test_credential_secret_is_write_only_and_stored_encrypted(db, client_for):
    operator = client_for("operator")
    created = operator.post(
        "/api/credentials/", {"name": "deploy", "kind": "private-key", "secret": SECRET}, format="json"
    )
    assert created.status_code == 201
    assert SECRET.encode() not in created.content
    assert created.json()["has_secret"] is True
    pk = created.json()["id"]

    credential = Credential.objects.get(pk=pk)
    assert SECRET.encode() not in bytes(credential.encrypted_secret)
    assert credential.get_secret() == SECRET

    responses = [
        operator.get("/api/credentials/"),
        operator.get(f"/api/credentials/{pk}/"),
        operator.patch(f"/api/credentials/{pk}/", {"username": "admin"}, format="json"),
        operator.patch(f"/api/credentials/{pk}/", {"secret": SECRET + "-2"}, format="json"),
        client_for("viewer").get(f"/api/credentials/{pk}/"),
        operator.get("/api/schema/"),
    ]
    for response in responses:
        assert response.status_code == 200
        assert SECRET.encode() not in response.content
    credential.refresh_from_db()
    assert credential.get_secret() == SECRET + "-2"


def test_credential_needs_a_secret_on_create(db, client_for):
    response = client_for("operator").post("/api/credentials/", {"name": "empty"}, format="json")
    assert response.status_code == 400
    assert "secret" in response.json()


def test_managed_host_facts_and_host_key_are_read_only(env, client_for):
    response = client_for("operator").patch(
        f"/api/managed-hosts/{env.managed_host.pk}/", {"host_key": "ssh-ed25519 AAAA", "facts": {"x": 1}}, format="json"
    )
    assert response.status_code == 200
    env.managed_host.refresh_from_db()
    assert env.managed_host.host_key == "" and env.managed_host.facts == {}


def test_designer_cannot_edit_inventory(env, designer_client):
    assert designer_client.post("/api/credentials/", {"name": "x", "secret": "y"}, format="json").status_code == 403


# --- schema -------------------------------------------------------------------------------------------------------


def test_schema_is_public_and_documents_conflicts(db, client_for):
    response = client_for("anonymous").get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    patch = schema["paths"]["/api/jail-nics/{id}/"]["patch"]
    assert "409" in patch["responses"]
    delete = schema["paths"]["/api/jail-nics/{id}/"]["delete"]
    assert any(p["name"] == "version" and p["in"] == "query" for p in delete["parameters"])
    credential = schema["components"]["schemas"]["Credential"]["properties"]
    assert "secret" not in credential and "has_secret" in credential


@pytest.mark.parametrize("path", ["/api/hosts/", "/api/credentials/"])
def test_list_is_paginated(env, viewer_client, path):
    body = viewer_client.get(path, {"limit": 1}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) == 1
