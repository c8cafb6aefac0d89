"""CRUD of every design and inventory endpoint, one test class per endpoint (see ``crud.CrudTests``)."""

from __future__ import annotations

from inventory.models import Credential, ManagedHost
from tests.factories import (
    CredentialFactory,
    DesignFactory,
    DhcpServiceFactory,
    DhcpStaticLeaseFactory,
    FirewallPolicyFactory,
    FirewallRuleFactory,
    HostFactory,
    InterfaceFactory,
    JailAddressFactory,
    JailFactory,
    JailNicFactory,
    ManagedHostFactory,
    OutboundNatFactory,
    PortRedirectFactory,
    StaticRouteFactory,
    SwitchFactory,
    SwitchPortFactory,
    VirtualMachineFactory,
    VmNicFactory,
    VxlanMemberFactory,
    VxlanSegmentFactory,
)
from topology.models import (
    Design,
    DhcpService,
    DhcpStaticLease,
    FirewallPolicy,
    FirewallRule,
    Host,
    Interface,
    Jail,
    JailAddress,
    JailNic,
    OutboundNat,
    PortRedirect,
    StaticRoute,
    Switch,
    SwitchPort,
    VirtualMachine,
    VmNic,
    VxlanMember,
    VxlanSegment,
)

from .crud import CrudTests


class TestDesigns(CrudTests):
    endpoint, model = "designs", Design
    update_data = {"description": "the article's lab"}

    def make(self, env, i):
        return DesignFactory.create(name=f"design-{i}")

    def create_data(self, env):
        return {"name": "branch-office", "underlay_mtu": 9000}

    def bad_data(self, env):
        return {"name": "Not A Name!"}, "name"


class TestHosts(CrudTests):
    endpoint, model = "hosts", Host
    update_data = {"release": "13.2-RELEASE"}

    def make(self, env, i):
        return HostFactory.create(design=env.design, name=f"host{i}")

    def create_data(self, env):
        return {"design": env.design.pk, "name": "gateway", "role": "gateway", "has_pot": True}

    def bad_data(self, env):
        return {"default_router": "10.1.1.300"}, "default_router"


class TestInterfaces(CrudTests):
    endpoint, model = "interfaces", Interface
    update_data = {"description": "uplink"}

    def make(self, env, i):
        return InterfaceFactory.create(host=env.host_a, name=f"lo{i + 1}", kind="loopback")

    def create_data(self, env):
        return {"host": env.host_a.pk, "name": "em1", "address": "10.1.1.2/24"}

    def bad_data(self, env):
        return {"address": "10.1.1.300/24"}, "address"


class TestStaticRoutes(CrudTests):
    endpoint, model = "static-routes", StaticRoute
    update_data = {"gateway": "192.168.0.254"}

    def make(self, env, i):
        return StaticRouteFactory.create(host=env.host_a, name=f"net{i}", destination=f"10.{i}.0.0/16")

    def create_data(self, env):
        return {"host": env.host_a.pk, "name": "vxlangroup", "destination": "239.1.1.111", "interface": "em0"}

    def bad_data(self, env):
        return {"destination": "10.2.0.0/33"}, "destination"


class TestSwitches(CrudTests):
    endpoint, model = "switches", Switch
    update_data = {"private": True}

    def make(self, env, i):
        return SwitchFactory.create(host=env.host_a, name=f"bridge{i + 10}")

    def create_data(self, env):
        return {"host": env.host_a.pk, "name": "switch333", "address": "10.3.3.1/24"}

    def bad_data(self, env):
        return {"name": "not a name"}, "name"


class TestSwitchPorts(CrudTests):
    endpoint, model = "switch-ports", SwitchPort
    update_data = {"private": True}

    def make(self, env, i):
        return SwitchPortFactory.create(switch=env.switch_a, interface__name=f"em{i + 10}")

    def create_data(self, env):
        return {"switch": env.switch_a.pk, "interface": env.em0_a.pk}

    def bad_data(self, env):
        return {"interface": env.em0_b.pk}, "interface"  # em0 of the other host


class TestVxlanSegments(CrudTests):
    endpoint, model = "vxlan-segments", VxlanSegment
    update_data = {"mtu": 1400}

    def make(self, env, i):
        return VxlanSegmentFactory.create(design=env.design, name=f"seg{i}", vni=1000 + i)

    def create_data(self, env):
        return {"design": env.design.pk, "name": "vx222", "vni": 222, "multicast_group": "239.1.1.222"}

    def bad_data(self, env):
        return {"multicast_group": "239.1.1.300"}, "multicast_group"


class TestVxlanMembers(CrudTests):
    endpoint, model = "vxlan-members", VxlanMember
    update_data = {"private": True}

    def make(self, env, i):
        return VxlanMemberFactory.create(
            segment=env.segment, host=env.host_a, interface_name=f"vxlan{i}", underlay_interface=env.em0_a
        )

    def create_data(self, env):
        return {
            "segment": env.segment.pk,
            "host": env.host_a.pk,
            "interface_name": "vxlan111",
            "underlay_interface": env.em0_a.pk,
            "switch": env.switch_a.pk,
        }

    def bad_data(self, env):
        return {"underlay_interface": env.em0_b.pk}, "underlay_interface"


class TestJails(CrudTests):
    endpoint, model = "jails", Jail
    update_data = {"boot": True}

    def make(self, env, i):
        return JailFactory.create(host=env.host_a, name=f"jail{i}")

    def create_data(self, env):
        return {"host": env.host_a.pk, "name": "www", "type": "vnet", "manager": "pot"}

    def bad_data(self, env):
        return {"default_router": "10.1.1"}, "default_router"


class TestJailAddresses(CrudTests):
    endpoint, model = "jail-addresses", JailAddress
    update_data = {"index": 5}

    def make(self, env, i):
        return JailAddressFactory.create(jail=env.jail_a, index=i, address=f"192.168.0.{10 + i}/24")

    def create_data(self, env):
        return {"jail": env.jail_a.pk, "interface_name": "em0", "address": "192.168.0.50/24"}

    def bad_data(self, env):
        return {"address": "10.1.1.300/24"}, "address"


class TestJailNics(CrudTests):
    endpoint, model = "jail-nics", JailNic
    update_data = {"mac": "58:9c:fc:00:00:01"}

    def make(self, env, i):
        return JailNicFactory.create(jail=env.jail_a, name=f"vnet{i}", switch=env.switch_a)

    def create_data(self, env):
        return {"jail": env.jail_a.pk, "switch": env.switch_a.pk, "address": "10.1.1.2/24"}

    def bad_data(self, env):
        return {"switch": env.switch_b.pk}, "switch"  # a switch of the other host


class TestVirtualMachines(CrudTests):
    endpoint, model = "vms", VirtualMachine
    update_data = {"cpu": 2}

    def make(self, env, i):
        return VirtualMachineFactory.create(host=env.host_a, name=f"vm{i + 10}")

    def create_data(self, env):
        return {"host": env.host_a.pk, "name": "guest-b", "memory": "1G"}

    def bad_data(self, env):
        return {"memory": "lots"}, "memory"


class TestVmNics(CrudTests):
    endpoint, model = "vm-nics", VmNic
    update_data = {"mac": "58:9c:fc:00:00:02"}

    def make(self, env, i):
        return VmNicFactory.create(vm=env.vm_a, index=i, switch=env.switch_a)

    def create_data(self, env):
        return {"vm": env.vm_a.pk, "switch": env.switch_a.pk, "dhcp": True}

    def bad_data(self, env):
        return {"switch": env.switch_b.pk}, "switch"


class TestOutboundNat(CrudTests):
    endpoint, model = "nat-rules", OutboundNat
    update_data = {"engine": "natd"}

    def make(self, env, i):
        return OutboundNatFactory.create(host=env.host_a, source=f"10.{i}.0.0/24")

    def create_data(self, env):
        return {"host": env.host_a.pk, "interface": "em0", "source": "10.1.1.0/24"}

    def bad_data(self, env):
        return {"engine": "iptables"}, "engine"


class TestPortRedirects(CrudTests):
    endpoint, model = "port-redirects", PortRedirect
    update_data = {"target_port": 8081}

    def make(self, env, i):
        return PortRedirectFactory.create(host=env.host_a, external_port=8000 + i, target_jail=env.jail_a)

    def create_data(self, env):
        return {
            "host": env.host_a.pk,
            "interface": "em0",
            "external_port": 8080,
            "target_port": 80,
            "target_jail": env.jail_a.pk,
        }

    def bad_data(self, env):
        return {"target_jail": env.jail_b.pk}, "target_jail"


class TestDhcpServices(CrudTests):
    endpoint, model = "dhcp-services", DhcpService
    update_data = {"lease_time": "1h"}

    def make(self, env, i):
        return DhcpServiceFactory.create(host=env.host_a, switch__name=f"dhcp{i}")

    def create_data(self, env):
        return {
            "host": env.host_a.pk,
            "switch": env.switch_a.pk,
            "range_start": "10.1.1.100",
            "range_end": "10.1.1.200",
        }

    def bad_data(self, env):
        return {"switch": env.switch_b.pk}, "switch"


class TestDhcpStaticLeases(CrudTests):
    endpoint, model = "dhcp-static-leases", DhcpStaticLease
    update_data = {"hostname": "guest"}

    def make(self, env, i):
        return DhcpStaticLeaseFactory.create(
            service=env.dhcp_a, mac=f"58:9c:fc:00:00:{i:02x}", address=f"10.2.2.{10 + i}"
        )

    def create_data(self, env):
        return {"service": env.dhcp_a.pk, "mac": "58:9c:fc:00:01:01", "address": "10.2.2.50"}

    def bad_data(self, env):
        return {"mac": "58-9C-FC-00-01-01"}, "mac"


class TestFirewallPolicies(CrudTests):
    endpoint, model = "firewall-policies", FirewallPolicy
    update_data = {"antispoof": True}

    def make(self, env, i):
        return FirewallPolicyFactory.create(host__design=env.design, host__name=f"fw{i}")

    def create_data(self, env):
        return {"host": env.host_a.pk, "default_block": True}

    def bad_data(self, env):
        return {"jail": env.jail_a.pk}, "non_field_errors"  # both a host and a jail


class TestFirewallRules(CrudTests):
    endpoint, model = "firewall-rules", FirewallRule
    update_data = {"comment": "ssh"}

    def make(self, env, i):
        return FirewallRuleFactory.create(policy=env.policy_b, index=i)

    def create_data(self, env):
        return {"policy": env.policy_b.pk, "action": "block", "protocol": "tcp", "port": 22}

    def bad_data(self, env):
        return {"port": 70000}, "port"


class TestCredentials(CrudTests):
    endpoint, model = "credentials", Credential
    writer_role = "operator"
    update_data = {"username": "admin"}

    def make(self, env, i):
        return CredentialFactory.create(name=f"cred{i}", secret=f"secret-{i}")

    def create_data(self, env):
        return {"name": "deploy", "kind": "password", "secret": "correct horse battery staple"}

    def bad_data(self, env):
        return {"kind": "token"}, "kind"


class TestManagedHosts(CrudTests):
    endpoint, model = "managed-hosts", ManagedHost
    writer_role = "operator"
    update_data = {"ssh_port": 2222}

    def make(self, env, i):
        return ManagedHostFactory.create(
            name=f"mh{i}", management_address=f"192.0.2.{i + 1}", credential=env.credential
        )

    def create_data(self, env):
        return {"name": "jh-b", "management_address": "192.0.2.11", "credential": env.credential.pk}

    def bad_data(self, env):
        return {"ssh_port": 70000}, "ssh_port"
