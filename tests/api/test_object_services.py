"""The object services behind the API and the admin: validation, cross-object rules, versions, deletes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEntry
from core.services import ObjectInUse, VersionConflict, object_create, object_delete, object_update, versioned
from inventory.models import Credential
from tests.factories import (
    JailNicFactory,
    PortRedirectFactory,
    SwitchPortFactory,
    VlanInterfaceFactory,
    VxlanMemberFactory,
)
from topology.models import FirewallPolicy, Host, Interface, JailNic, PortRedirect, Switch, SwitchPort, VxlanMember


def test_create_runs_model_validation(env):
    with pytest.raises(ValidationError) as caught:
        object_create(model=Interface, data={"host": env.host_a, "name": "em1", "address": "10.1.1.300/24"})
    assert "address" in caught.value.message_dict


def test_update_bumps_version_and_refuses_a_stale_one(env):
    switch = object_update(instance=env.switch_a, data={"private": True}, expected_version=1)
    assert switch.version == 2
    with pytest.raises(VersionConflict) as caught:
        object_update(instance=Switch.objects.get(pk=switch.pk), data={"mtu": 9000}, expected_version=1)
    assert caught.value.current_version == 2
    assert Switch.objects.get(pk=switch.pk).mtu is None


def test_update_without_version_is_last_writer_wins(env):
    assert object_update(instance=env.switch_a, data={"mtu": 9000}).version == 2


@pytest.mark.parametrize(
    "model, data, field",
    [
        (JailNic, lambda e: {"jail": e.jail_a, "switch": e.switch_b}, "switch"),
        (SwitchPort, lambda e: {"switch": e.switch_a, "interface": e.em0_b}, "interface"),
        (
            VxlanMember,
            lambda e: {
                "segment": e.segment,
                "host": e.host_a,
                "interface_name": "vxlan1",
                "underlay_interface": e.em0_b,
            },
            "underlay_interface",
        ),
        (
            VxlanMember,
            lambda e: {
                "segment": e.segment,
                "host": e.host_a,
                "interface_name": "vxlan1",
                "underlay_interface": e.em0_a,
                "switch": e.switch_b,
            },
            "switch",
        ),
        (
            Interface,
            lambda e: {"host": e.host_a, "name": "em0.5", "kind": "vlan", "parent": e.em0_b, "vlan_tag": 5},
            "parent",
        ),
        (
            PortRedirect,
            lambda e: {
                "host": e.host_a,
                "interface": "em0",
                "external_port": 80,
                "target_port": 80,
                "target_vm": None,
                "target_jail": e.jail_b,
            },
            "target_jail",
        ),
        (FirewallPolicy, lambda e: {}, "__all__"),
        (FirewallPolicy, lambda e: {"host": e.host_a, "jail": e.jail_a}, "__all__"),
    ],
)
def test_cross_object_rules(env, model, data, field):
    with pytest.raises(ValidationError) as caught:
        object_create(model=model, data=data(env))
    assert field in caught.value.message_dict


def test_delete_of_an_object_in_use_lists_what_uses_it(env):
    nic = JailNicFactory.create(jail=env.jail_a, switch=env.switch_a)
    with pytest.raises(ObjectInUse) as caught:
        object_delete(instance=env.switch_a)
    assert caught.value.blockers == [nic]
    assert Switch.objects.filter(pk=env.switch_a.pk).exists()


def test_deleting_a_host_deletes_what_it_holds_even_across_protected_references(env):
    JailNicFactory.create(jail=env.jail_a, switch=env.switch_a)
    SwitchPortFactory.create(switch=env.switch_a, interface=env.em0_a)
    vlan = VlanInterfaceFactory.create(host=env.host_a, parent=env.em0_a, vlan_tag=101)
    VlanInterfaceFactory.create(host=env.host_a, parent=vlan, vlan_tag=7)
    PortRedirectFactory.create(host=env.host_a, external_port=80, target_jail=env.jail_a)
    VxlanMemberFactory.create(
        segment=env.segment, host=env.host_a, interface_name="vxlan1", underlay_interface=env.em0_a
    )
    object_delete(instance=env.host_a, expected_version=1)
    assert not Host.objects.filter(pk=env.host_a.pk).exists()
    assert Switch.objects.filter(host=env.host_b).exists()


def test_write_only_attribute_goes_through_its_setter(db):
    credential = object_create(model=Credential, data={"name": "k", "secret": "s3cret"})
    assert credential.get_secret() == "s3cret"
    assert b"s3cret" not in bytes(credential.encrypted_secret)


def test_unknown_field_is_a_validation_error(env):
    with pytest.raises(ValidationError) as caught:
        object_update(instance=env.switch_a, data={"colour": "red"})
    assert "colour" in caught.value.message_dict


def test_only_versioned_objects_are_written_by_the_services():
    host = Host(name="h")
    assert versioned(host) is host
    with pytest.raises(TypeError, match="AuditEntry is not a BaseModel"):
        versioned(AuditEntry())
