"""Snapshots for validation tests: the article's scenarios as valid designs, and helpers to break them.

Each test starts from a valid design, changes one thing with :func:`change`, and checks that exactly
the expected rule fires — and that it does not fire on the valid design.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from topology import snapshot as s
from topology.validation import Finding, validate


def vxlan_design(**changes: Any) -> s.DesignSnapshot:
    """The article's VXLAN example: a gateway and two jailhosts on VXLAN 111 and 222 (multicast)."""
    gateway = s.Host(
        name="gateway",
        role="gateway",
        gateway_enable=True,
        default_router="203.0.113.1",
        interfaces=(
            s.Interface(name="em0", address="203.0.113.2/24"),
            s.Interface(name="em1", address="192.168.0.1/24"),
        ),
        nat=(s.OutboundNat(interface="em0", engine="natd"),),
        firewall=s.FirewallPolicy(engine="ipfw", ipfw_type="open"),
    )
    jailhost_a = s.Host(
        name="jailhost-a",
        tools=("iocage", "vm-bhyve"),
        default_router="192.168.0.1",
        interfaces=(s.Interface(name="igb0", address="192.168.0.10/24"),),
        switches=(
            s.Switch(name="switch111", address="10.0.111.12/32"),
            s.Switch(name="switch222", address="10.0.222.12/32"),
        ),
        jails=(
            s.Jail(
                name="vnetjail-a",
                type="vnet",
                boot=True,
                default_router="10.0.222.1",
                nics=(s.JailNic(name="vnet0", switch="switch222", address="10.0.222.13/24", mtu=1450),),
            ),
        ),
        vms=(
            s.VirtualMachine(
                name="guest-a",
                boot=True,
                default_router="10.0.111.1",
                nics=(s.VmNic(switch="switch111", address="10.0.111.13/24", mtu=1450),),
            ),
        ),
    )
    jailhost_b = s.Host(
        name="jailhost-b",
        tools=("iocage", "vm-bhyve"),
        default_router="192.168.0.1",
        interfaces=(s.Interface(name="em0", address="192.168.0.20/24"),),
        switches=(
            s.Switch(name="switch111", address="10.0.111.22/32"),
            s.Switch(name="switch222", address="10.0.222.22/32"),
        ),
        jails=(
            s.Jail(
                name="plainjail-b",
                boot=True,
                allow_raw_sockets=True,
                addresses=(s.JailAddress(interface="vxlan111", address="10.0.111.21/32"),),
            ),
            s.Jail(
                name="vnetjail-b",
                type="vnet",
                boot=True,
                default_router="10.0.111.1",
                nics=(s.JailNic(name="vnet0", switch="switch111", address="10.0.111.23/24", mtu=1450),),
            ),
        ),
        vms=(
            s.VirtualMachine(
                name="guest-b",
                boot=True,
                default_router="10.0.222.1",
                nics=(s.VmNic(switch="switch222", address="10.0.222.23/24", mtu=1450),),
            ),
        ),
    )

    def segment(vni: int) -> s.VxlanSegment:
        return s.VxlanSegment(
            name=f"vxlan{vni}",
            vni=vni,
            subnet=f"10.0.{vni}.0/24",
            multicast_group=f"239.0.0.{vni}",
            members=(
                s.VxlanMember(
                    host="gateway", interface_name=f"vxlan{vni}", underlay_interface="em1", address=f"10.0.{vni}.1/24"
                ),
                s.VxlanMember(
                    host="jailhost-a",
                    interface_name=f"vxlan{vni}",
                    underlay_interface="igb0",
                    address=f"10.0.{vni}.10/24",
                    switch=f"switch{vni}",
                ),
                s.VxlanMember(
                    host="jailhost-b",
                    interface_name=f"vxlan{vni}",
                    underlay_interface="em0",
                    address=f"10.0.{vni}.20/24",
                    switch=f"switch{vni}",
                ),
            ),
        )

    design = s.DesignSnapshot(
        name="vxlan-example",
        hosts=(gateway, jailhost_a, jailhost_b),
        vxlan_segments=(segment(111), segment(222)),
    )
    return dataclasses.replace(design, **changes)


def services_design(**changes: Any) -> s.DesignSnapshot:
    """The article's single-host scenarios on one jailhost, plus a pot host.

    jailhost: a VLAN alias jail, a loopback jail with NAT and a web redirect, a vm-bhyve switch
    "services" with a VNET jail (pf inside, devfs ruleset 501) and a DHCP-configured VM served by
    dnsmasq with a reservation. pothost: pot's public bridge with a VNET pot and an exported port.
    """
    jailhost = s.Host(
        name="jailhost",
        tools=("iocage", "vm-bhyve", "dnsmasq"),
        default_router="192.168.0.1",
        gateway_enable=True,
        interfaces=(
            s.Interface(name="em0", address="192.168.0.2/24"),
            s.Interface(name="em0.101", kind="vlan", parent="em0", vlan_tag=101, address="10.2.1.1/24"),
            s.Interface(name="lo1", kind="loopback", address="172.31.255.17/32"),
        ),
        switches=(s.Switch(name="services", kind="vm-switch", address="10.1.1.1/24"),),
        jails=(
            s.Jail(name="simplecage", inherit=True),
            s.Jail(name="vlancage", addresses=(s.JailAddress(interface="em0.101", address="10.2.1.2"),)),
            s.Jail(name="locage", addresses=(s.JailAddress(interface="lo1", address="172.31.255.17/32"),)),
            s.Jail(
                name="vnetcage",
                type="vnet",
                default_router="10.1.1.1",
                devfs_ruleset=501,
                nics=(s.JailNic(name="vnet0", switch="services", address="10.1.1.2/24"),),
                firewall=s.FirewallPolicy(rules=(s.FirewallRule(action="block", quick=True, destination="1.1.1.1"),)),
            ),
        ),
        vms=(s.VirtualMachine(name="guest", nics=(s.VmNic(switch="services", dhcp=True, mac="58:9c:fc:00:00:01"),)),),
        dhcp=(
            s.DhcpService(
                switch="services",
                range_start="10.1.1.10",
                range_end="10.1.1.20",
                static_leases=(s.DhcpStaticLease(mac="58:9c:fc:00:00:01", address="10.1.1.60"),),
            ),
        ),
        nat=(
            s.OutboundNat(interface="em0", source="172.31.255.17"),
            s.OutboundNat(interface="em0", source="10.1.1.0/24"),
        ),
        redirects=(
            s.PortRedirect(interface="em0", protocol="tcp", external_port=80, target_port=80, target_jail="locage"),
        ),
        firewall=s.FirewallPolicy(
            default_block=True,
            antispoof=True,
            rules=(
                s.FirewallRule(action="pass", direction="in", interface="em0", protocol="tcp", port=22),
                s.FirewallRule(action="pass", direction="out", interface="em0"),
            ),
        ),
    )
    pothost = s.Host(
        name="pothost",
        tools=("pot",),
        default_router="192.168.0.1",
        interfaces=(s.Interface(name="em0", address="192.168.0.3/24"),),
        switches=(s.Switch(name="bridge0", kind="pot-bridge", address="10.192.0.1/10"),),
        jails=(
            s.Jail(
                name="vnetpot1",
                type="vnet",
                manager="pot",
                default_router="10.192.0.1",
                nics=(s.JailNic(name="vnet0", switch="bridge0", address="10.192.0.3/10"),),
            ),
        ),
        nat=(s.OutboundNat(interface="em0", source="10.192.0.0/10", engine="pot"),),
        redirects=(
            s.PortRedirect(interface="em0", protocol="tcp", external_port=80, target_port=80, target_jail="vnetpot1"),
        ),
    )
    design = s.DesignSnapshot(name="services-example", hosts=(jailhost, pothost))
    return dataclasses.replace(design, **changes)


# --- changing one thing ---------------------------------------------------------------------------------


def change(obj: Any, /, **changes: Any) -> Any:
    """A copy of a frozen dataclass with some fields replaced."""
    return dataclasses.replace(obj, **changes)


def with_host(design: s.DesignSnapshot, name: str, /, **changes: Any) -> s.DesignSnapshot:
    """``design`` with host ``name`` changed."""
    hosts = tuple(change(h, **changes) if h.name == name else h for h in design.hosts)
    return change(design, hosts=hosts)


def host(design: s.DesignSnapshot, name: str) -> s.Host:
    """The host called ``name`` (it must exist)."""
    found = design.host(name)
    assert found is not None, name
    return found


def with_jail(design: s.DesignSnapshot, host_name: str, jail_name: str, /, **changes: Any) -> s.DesignSnapshot:
    """``design`` with one jail changed."""
    jails = tuple(change(j, **changes) if j.name == jail_name else j for j in host(design, host_name).jails)
    return with_host(design, host_name, jails=jails)


def with_vm(design: s.DesignSnapshot, host_name: str, vm_name: str, /, **changes: Any) -> s.DesignSnapshot:
    """``design`` with one VM changed."""
    vms = tuple(change(v, **changes) if v.name == vm_name else v for v in host(design, host_name).vms)
    return with_host(design, host_name, vms=vms)


def with_nic(design: s.DesignSnapshot, host_name: str, jail_name: str, /, **changes: Any) -> s.DesignSnapshot:
    """``design`` with the first NIC of a jail changed."""
    jail = next(j for j in host(design, host_name).jails if j.name == jail_name)
    return with_jail(design, host_name, jail_name, nics=(change(jail.nics[0], **changes), *jail.nics[1:]))


def with_vm_nic(design: s.DesignSnapshot, host_name: str, vm_name: str, /, **changes: Any) -> s.DesignSnapshot:
    """``design`` with the first NIC of a VM changed."""
    vm = next(v for v in host(design, host_name).vms if v.name == vm_name)
    return with_vm(design, host_name, vm_name, nics=(change(vm.nics[0], **changes), *vm.nics[1:]))


def with_segment(design: s.DesignSnapshot, name: str, /, **changes: Any) -> s.DesignSnapshot:
    """``design`` with one VXLAN segment changed."""
    segments = tuple(change(seg, **changes) if seg.name == name else seg for seg in design.vxlan_segments)
    return change(design, vxlan_segments=segments)


def with_member(design: s.DesignSnapshot, segment: str, host_name: str, /, **changes: Any) -> s.DesignSnapshot:
    """``design`` with the member of ``segment`` on ``host_name`` changed."""
    seg = next(x for x in design.vxlan_segments if x.name == segment)
    members = tuple(change(m, **changes) if m.host == host_name else m for m in seg.members)
    return with_segment(design, segment, members=members)


def replace_item(items: tuple[Any, ...], position: int, /, **changes: Any) -> tuple[Any, ...]:
    """``items`` with the one at ``position`` changed."""
    return (*items[:position], change(items[position], **changes), *items[position + 1 :])


# --- looking at findings --------------------------------------------------------------------------------


def findings(design: s.DesignSnapshot, code: str) -> list[Finding]:
    """The findings of rule ``code`` for ``design``."""
    return [f for f in validate(design).findings if f.code == code]


def assert_finding(design: s.DesignSnapshot, code: str, severity: str, *paths: str) -> Finding:
    """Exactly one finding of ``code``, with ``severity``, about exactly the objects at ``paths``."""
    found = findings(design, code)
    assert len(found) == 1, [f.message for f in found] or f"no {code} finding"
    finding = found[0]
    assert finding.severity == severity, finding
    assert [ref.path for ref in finding.objects] == list(paths), finding
    return finding


def assert_no_finding(design: s.DesignSnapshot, code: str) -> None:
    """Rule ``code`` finds nothing in ``design``."""
    assert findings(design, code) == []
