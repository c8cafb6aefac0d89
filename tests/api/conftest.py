"""Fixtures of the API tests: a small design with two hosts to attach objects to."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from inventory.models import Credential, ManagedHost
from tests.factories import (
    CredentialFactory,
    DesignFactory,
    DhcpServiceFactory,
    FirewallPolicyFactory,
    HostFactory,
    InterfaceFactory,
    JailFactory,
    ManagedHostFactory,
    SwitchFactory,
    VirtualMachineFactory,
    VxlanSegmentFactory,
)
from topology.models import (
    Design,
    DhcpService,
    FirewallPolicy,
    Host,
    Interface,
    Jail,
    Switch,
    VirtualMachine,
    VxlanSegment,
)


@dataclass
class Env:
    """The objects every endpoint test can refer to: two hosts (a, b) of one design, each with em0 and a switch."""

    design: Design
    host_a: Host
    host_b: Host
    em0_a: Interface
    em0_b: Interface
    switch_a: Switch
    switch_b: Switch
    dhcp_switch_a: Switch
    jail_a: Jail
    jail_b: Jail
    vm_a: VirtualMachine
    segment: VxlanSegment
    dhcp_a: DhcpService
    policy_b: FirewallPolicy
    credential: Credential
    managed_host: ManagedHost


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """API tests create many users; hashing their passwords with PBKDF2 would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def env(db) -> Env:
    """A design ``lab`` with jailhost-a and jailhost-b, their em0, a switch each, a jail each, a VM, a segment."""
    design = DesignFactory.create(name="lab")
    host_a = HostFactory.create(design=design, name="jailhost-a", has_iocage=True, has_vm_bhyve=True)
    host_b = HostFactory.create(design=design, name="jailhost-b", has_iocage=True)
    dhcp_switch_a = SwitchFactory.create(host=host_a, name="switch222", address="10.2.2.1/24")
    credential = CredentialFactory.create(
        name="root-key", username="root", secret="-----BEGIN OPENSSH PRIVATE KEY----- test"
    )
    return Env(
        design=design,
        host_a=host_a,
        host_b=host_b,
        em0_a=InterfaceFactory.create(host=host_a, name="em0", address="192.168.0.2/24"),
        em0_b=InterfaceFactory.create(host=host_b, name="em0", address="192.168.0.3/24"),
        switch_a=SwitchFactory.create(host=host_a, name="switch111", address="10.1.1.1/24"),
        switch_b=SwitchFactory.create(host=host_b, name="switch111", address="10.1.1.254/24"),
        dhcp_switch_a=dhcp_switch_a,
        jail_a=JailFactory.create(host=host_a, name="vnetjail-a", type="vnet"),
        jail_b=JailFactory.create(host=host_b, name="vnetjail-b", type="vnet"),
        vm_a=VirtualMachineFactory.create(host=host_a, name="guest-a"),
        segment=VxlanSegmentFactory.create(design=design, name="vx111", vni=111, multicast_group="239.1.1.111"),
        dhcp_a=DhcpServiceFactory.create(
            host=host_a, switch=dhcp_switch_a, range_start="10.2.2.100", range_end="10.2.2.200"
        ),
        policy_b=FirewallPolicyFactory.create(host=host_b),
        credential=credential,
        managed_host=ManagedHostFactory.create(name="jh-a", management_address="192.0.2.10", credential=credential),
    )
