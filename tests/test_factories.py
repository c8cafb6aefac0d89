"""Every factory makes an object that passes its model's validation, and its parents agree with each other."""

from __future__ import annotations

import pytest
from factory.django import DjangoModelFactory

from tests import factories

FACTORIES = [
    f
    for f in vars(factories).values()
    if isinstance(f, type) and issubclass(f, DjangoModelFactory) and f is not DjangoModelFactory
]


@pytest.mark.django_db
@pytest.mark.parametrize("factory_class", FACTORIES, ids=lambda f: f.__name__)
def test_factory_makes_a_valid_object(factory_class) -> None:
    first, second = factory_class.create(), factory_class.create()
    for obj in (first, second):  # two in a row: numbered names never collide
        obj.full_clean()


@pytest.mark.django_db
def test_references_made_on_the_way_stay_on_one_host() -> None:
    nic = factories.JailNicFactory.create()
    assert nic.switch.host_id == nic.jail.host_id
    member = factories.VxlanMemberFactory.create()
    assert member.underlay_interface.host_id == member.host_id
    assert member.host.design_id == member.segment.design_id
    vlan = factories.VlanInterfaceFactory.create(vlan_tag=101)
    assert vlan.parent is not None
    assert vlan.name == f"{vlan.parent.name}.101" and vlan.parent.host_id == vlan.host_id
    assert factories.CredentialFactory.create(secret="s3cret").get_secret() == "s3cret"
