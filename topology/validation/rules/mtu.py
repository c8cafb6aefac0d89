"""JN4xx — MTU along the path: underlay, VXLAN, bridges and the guests on them."""

from __future__ import annotations

from collections.abc import Iterator

from .. import refs
from ..findings import Issue, Severity
from ..index import DEFAULT_MTU, DesignIndex
from ..registry import rule

VXLAN_OVERHEAD = 50  # outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers


@rule(
    "JN401",
    Severity.ERROR,
    "VXLAN MTU too large for the underlay",
    f"A VXLAN frame carries {VXLAN_OVERHEAD} bytes of headers, so the segment's MTU may be at most "
    "the underlay MTU minus 50 (1450 on a 1500-byte underlay) — the underlay interface's own mtu, or "
    "the design's underlay MTU. Larger frames are dropped or fragmented by the underlay.",
)
def vxlan_mtu_above_underlay(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        for member in segment.members:
            hi = index.hosts.get(member.host)
            underlay = hi.interfaces.get(member.underlay_interface) if hi else None
            underlay_mtu = (underlay.mtu if underlay else None) or index.snapshot.underlay_mtu
            if segment.mtu > underlay_mtu - VXLAN_OVERHEAD:
                yield Issue(
                    f"VXLAN segment {segment.name} MTU {segment.mtu} exceeds {member.host} "
                    f"{member.underlay_interface} MTU {underlay_mtu} minus {VXLAN_OVERHEAD} "
                    f"(at most {underlay_mtu - VXLAN_OVERHEAD})",
                    (refs.segment_ref(segment), refs.member_ref(segment, member)),
                )


@rule(
    "JN402",
    Severity.ERROR,
    "Switch members with different MTUs",
    "if_bridge(4) takes the MTU of its first member and refuses members with another MTU "
    "('BRDGADD: Invalid argument', dmesg 'invalid MTU'). The VXLAN interfaces and ports of a switch, "
    "and the switch's own mtu when set, must agree (e.g. a 1450 VXLAN member and a 1500 em1 port do not).",
    scope="host",
)
def switch_members_mtu_mismatch(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        for switch in hi.switches.values():
            members: list[tuple[str, int]] = [
                (member.interface_name, segment.mtu) for segment, member in hi.members_by_switch.get(switch.name, ())
            ]
            for port in switch.ports:
                interface = hi.interfaces.get(port.interface)
                if interface is not None:
                    members.append((port.interface, interface.mtu or DEFAULT_MTU))
            if switch.mtu:
                members.append((f"{switch.interface_name} itself", switch.mtu))
            if len({mtu for _, mtu in members}) > 1:
                listed = ", ".join(f"{name} {mtu}" for name, mtu in members)
                yield Issue(
                    f"{hi.name} {switch.interface_name} has members with different MTUs: {listed}",
                    (refs.switch_ref(hi.host, switch),),
                )


@rule(
    "JN403",
    Severity.ERROR,
    "Guest MTU differs from its switch's",
    "A VNET jail NIC or VM NIC must have the MTU of the switch it joins: the switch's own mtu, or the "
    "smallest MTU of its members (1450 with a VXLAN member). FreeBSD lowers the host side of the epair "
    "or tap to the bridge's MTU, but the guest side keeps 1500 unless told, and its large frames are "
    "dropped. A NIC without mtu counts as 1500.",
    scope="host",
)
def guest_mtu_mismatch(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        mtus = hi.switch_mtus
        for jail in host.jails:
            if jail.type != "vnet":
                continue
            for nic in jail.nics:
                switch_mtu = mtus.get(nic.switch)
                nic_mtu = nic.mtu or DEFAULT_MTU
                if switch_mtu is not None and nic_mtu != switch_mtu.mtu:
                    yield Issue(
                        f"{jail.name} NIC {nic.name} MTU {nic_mtu} differs from {nic.switch}'s MTU {switch_mtu.mtu} "
                        f"(from {switch_mtu.source}); set the NIC's mtu to {switch_mtu.mtu}",
                        (refs.jail_nic_ref(host, jail, nic),),
                    )
        for vm in host.vms:
            for position, vm_nic in enumerate(vm.nics):
                switch_mtu = mtus.get(vm_nic.switch)
                nic_mtu = vm_nic.mtu or DEFAULT_MTU
                if switch_mtu is not None and nic_mtu != switch_mtu.mtu:
                    yield Issue(
                        f"VM {vm.name} NIC {position} MTU {nic_mtu} differs from {vm_nic.switch}'s MTU "
                        f"{switch_mtu.mtu} (from {switch_mtu.source}); set the NIC's mtu to {switch_mtu.mtu}",
                        (refs.vm_nic_ref(host, vm, position, vm_nic),),
                    )


@rule(
    "JN404",
    Severity.ERROR,
    "VLAN MTU above its parent's",
    "A vlan(4) interface cannot carry larger frames than its parent interface.",
    scope="host",
)
def vlan_mtu_above_parent(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        for interface in hi.interfaces.values():
            if interface.kind != "vlan" or not interface.mtu or not interface.parent:
                continue
            parent = hi.interfaces.get(interface.parent)
            if parent is None:
                continue
            parent_mtu = parent.mtu or DEFAULT_MTU
            if interface.mtu > parent_mtu:
                yield Issue(
                    f"{hi.name} {interface.name} MTU {interface.mtu} is above its parent {parent.name}'s MTU "
                    f"{parent_mtu}",
                    (refs.interface_ref(hi.host, interface), refs.interface_ref(hi.host, parent)),
                )
