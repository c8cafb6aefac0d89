"""factory_boy factories for the stored objects tests need: a valid object with one call, parents created on
the way unless given (``JailNicFactory(jail=env.jail_a)`` puts the NIC's switch on the jail's host).

Defaults are the article's shapes (``em0`` with an address, a bridge ``switch…``, a VNET jail ``vnetjail…``);
names are numbered so that objects made in one test never collide. Objects are stored with ``create`` — no
service, no audit entry — like the hand-written setup they replace; tests of services call the services.
Call ``XFactory.create(...)`` (typed: it returns the model instance) rather than ``XFactory(...)``.
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from executors.models import Lab
from inventory.models import Credential, ManagedHost
from topology import models as m
from topology.render.lab import lab_id


class DesignFactory(DjangoModelFactory[m.Design]):
    class Meta:
        model = m.Design

    name = factory.Sequence(lambda n: f"design-{n}")


class HostFactory(DjangoModelFactory[m.Host]):
    class Meta:
        model = m.Host

    design = factory.SubFactory(DesignFactory)
    name = factory.Sequence(lambda n: f"jailhost-{n}")


class InterfaceFactory(DjangoModelFactory[m.Interface]):
    class Meta:
        model = m.Interface

    host = factory.SubFactory(HostFactory)
    name = factory.Sequence(lambda n: f"em{n}")


class VlanInterfaceFactory(InterfaceFactory):
    """A VLAN interface ``<parent>.<tag>`` on ``parent`` (default: a new physical interface of the host)."""

    kind = "vlan"
    parent = factory.SubFactory(InterfaceFactory, host=factory.SelfAttribute("..host"))
    vlan_tag = factory.Sequence(lambda n: 100 + n % 3900)
    name = factory.LazyAttribute(lambda o: f"{o.parent.name}.{o.vlan_tag}")  # type: ignore[assignment]


class StaticRouteFactory(DjangoModelFactory[m.StaticRoute]):
    class Meta:
        model = m.StaticRoute

    host = factory.SubFactory(HostFactory)
    name = factory.Sequence(lambda n: f"net{n}")
    destination = factory.Sequence(lambda n: f"10.{n % 250}.0.0/16")
    gateway = "192.168.0.1"


class SwitchFactory(DjangoModelFactory[m.Switch]):
    class Meta:
        model = m.Switch

    host = factory.SubFactory(HostFactory)
    name = factory.Sequence(lambda n: f"switch{n}")


class SwitchPortFactory(DjangoModelFactory[m.SwitchPort]):
    class Meta:
        model = m.SwitchPort

    switch = factory.SubFactory(SwitchFactory)
    interface = factory.SubFactory(InterfaceFactory, host=factory.SelfAttribute("..switch.host"))


class JailFactory(DjangoModelFactory[m.Jail]):
    class Meta:
        model = m.Jail

    host = factory.SubFactory(HostFactory)
    name = factory.Sequence(lambda n: f"jail{n}")


class JailAddressFactory(DjangoModelFactory[m.JailAddress]):
    class Meta:
        model = m.JailAddress

    jail = factory.SubFactory(JailFactory)
    interface_name = "em0"
    address = factory.Sequence(lambda n: f"192.168.0.{10 + n % 240}/24")


class JailNicFactory(DjangoModelFactory[m.JailNic]):
    class Meta:
        model = m.JailNic

    jail = factory.SubFactory(JailFactory, type="vnet")
    switch = factory.SubFactory(SwitchFactory, host=factory.SelfAttribute("..jail.host"))


class VirtualMachineFactory(DjangoModelFactory[m.VirtualMachine]):
    class Meta:
        model = m.VirtualMachine

    host = factory.SubFactory(HostFactory)
    name = factory.Sequence(lambda n: f"vm{n}")


class VmNicFactory(DjangoModelFactory[m.VmNic]):
    class Meta:
        model = m.VmNic

    vm = factory.SubFactory(VirtualMachineFactory)
    switch = factory.SubFactory(SwitchFactory, host=factory.SelfAttribute("..vm.host"))


class VxlanSegmentFactory(DjangoModelFactory[m.VxlanSegment]):
    class Meta:
        model = m.VxlanSegment

    design = factory.SubFactory(DesignFactory)
    name = factory.Sequence(lambda n: f"seg{n}")
    vni = factory.Sequence(lambda n: 1000 + n)


class VxlanMemberFactory(DjangoModelFactory[m.VxlanMember]):
    class Meta:
        model = m.VxlanMember

    segment = factory.SubFactory(VxlanSegmentFactory)
    host = factory.SubFactory(HostFactory, design=factory.SelfAttribute("..segment.design"))
    interface_name = factory.Sequence(lambda n: f"vxlan{n}")
    underlay_interface = factory.SubFactory(InterfaceFactory, host=factory.SelfAttribute("..host"))


class OutboundNatFactory(DjangoModelFactory[m.OutboundNat]):
    class Meta:
        model = m.OutboundNat

    host = factory.SubFactory(HostFactory)
    interface = "em0"
    source = factory.Sequence(lambda n: f"10.{n % 250}.0.0/24")


class PortRedirectFactory(DjangoModelFactory[m.PortRedirect]):
    class Meta:
        model = m.PortRedirect

    host = factory.SubFactory(HostFactory)
    interface = "em0"
    external_port = factory.Sequence(lambda n: 8000 + n % 50000)
    target_port = 80


class DhcpServiceFactory(DjangoModelFactory[m.DhcpService]):
    class Meta:
        model = m.DhcpService

    host = factory.SubFactory(HostFactory)
    switch = factory.SubFactory(SwitchFactory, host=factory.SelfAttribute("..host"))
    range_start = "10.9.9.10"
    range_end = "10.9.9.20"


class DhcpStaticLeaseFactory(DjangoModelFactory[m.DhcpStaticLease]):
    class Meta:
        model = m.DhcpStaticLease

    service = factory.SubFactory(DhcpServiceFactory)
    mac = factory.Sequence(lambda n: f"58:9c:fc:00:{n // 256 % 256:02x}:{n % 256:02x}")
    address = factory.Sequence(lambda n: f"10.2.2.{10 + n % 240}")


class FirewallPolicyFactory(DjangoModelFactory[m.FirewallPolicy]):
    """The firewall of a host (give ``jail=...`` and ``host=None`` for a jail's)."""

    class Meta:
        model = m.FirewallPolicy

    host = factory.SubFactory(HostFactory)


class FirewallRuleFactory(DjangoModelFactory[m.FirewallRule]):
    class Meta:
        model = m.FirewallRule

    policy = factory.SubFactory(FirewallPolicyFactory)
    index = factory.Sequence(lambda n: n)


class CredentialFactory(DjangoModelFactory[Credential]):
    """A credential whose secret is stored encrypted (``secret`` is the plaintext)."""

    class Meta:
        model = Credential

    name = factory.Sequence(lambda n: f"cred{n}")
    secret = factory.Sequence(lambda n: f"secret-{n}")

    @classmethod
    def _create(cls, model_class, *args, secret, **kwargs):  # type: ignore[no-untyped-def]
        credential = model_class(*args, **kwargs)
        credential.set_secret(secret)
        credential.save()
        return credential


class ManagedHostFactory(DjangoModelFactory[ManagedHost]):
    class Meta:
        model = ManagedHost

    name = factory.Sequence(lambda n: f"mh{n}")
    management_address = factory.Sequence(lambda n: f"192.0.2.{n % 250 + 1}")  # documentation addresses
    credential = factory.SubFactory(CredentialFactory)


class LabFactory(DjangoModelFactory[Lab]):
    class Meta:
        model = Lab

    design = factory.SubFactory(DesignFactory)
    lab_id = factory.LazyAttribute(lambda o: lab_id(o.design.name))
