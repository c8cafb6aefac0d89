"""Allow-lists at the API level, and what the API does with a value stored before they existed."""

from __future__ import annotations

import pytest

from topology.models import Host, Interface


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("zfs_pool", "tank;reboot"),
        ("vm_dir", "zfs:zroot/vms$(reboot)"),
        ("release", "14.1-RELEASE\n"),
        ("name", "jailhost-a\n"),
    ],
)
def test_api_refuses_a_hostile_value_with_a_field_error(env, designer_client, field, value):
    response = designer_client.patch(
        f"/api/hosts/{env.host_a.pk}/", {field: value, "version": env.host_a.version}, format="json"
    )
    env.host_a.refresh_from_db()
    if response.status_code == 200:  # DRF trims surrounding white space: the newline never reaches the model
        assert value.endswith("\n") and getattr(env.host_a, field) == value.strip()
        return
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert getattr(env.host_a, field) != value


def test_yaml_import_refuses_a_name_with_a_trailing_newline(db, designer_client):
    document = 'format: jailnet-design/1\nname: nl\nhosts:\n- name: "jailhost-a\\n"\n'
    response = designer_client.post("/api/designs/import/", {"document": document}, format="json")
    assert response.status_code == 400
    (key,) = response.json()
    assert key.startswith("hosts[") and key.endswith("].name"), key


def test_a_value_stored_before_the_allow_lists_is_reported_and_never_rendered(env, viewer_client):
    Host.objects.filter(pk=env.host_a.pk).update(zfs_pool="tank;reboot", name="jailhost-a\n")
    Interface.objects.filter(host=env.host_a).update(description='x"; reboot; "')
    findings = viewer_client.get(f"/api/designs/{env.design.pk}/validation/").json()["findings"]
    assert {f["code"] for f in findings} >= {"JN117"}
    response = viewer_client.get(f"/api/designs/{env.design.pk}/render/")
    assert response.status_code == 400
    assert "cannot" in response.json()["detail"]
    assert viewer_client.get(f"/api/designs/{env.design.pk}/export/").status_code == 200
