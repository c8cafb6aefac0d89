"""Lookups for rendering one host, and the names FreeBSD derives (bridgeN, vxlanN), computed once."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from ...snapshot import DesignSnapshot, Host, Jail, Switch, VxlanMember, VxlanSegment

Member = tuple[VxlanSegment, VxlanMember]

_CLONE_NAME = {"bridge": re.compile(r"bridge(\d+)"), "vxlan": re.compile(r"vxlan(\d+)")}
DEFAULT_VXLAN_PORT = 4789


def members_by_host(snapshot: DesignSnapshot) -> dict[str, list[Member]]:
    """Every VXLAN member interface of the design, grouped by host, in document order (one pass)."""
    result: dict[str, list[Member]] = defaultdict(list)
    for segment in snapshot.vxlan_segments:
        for member in segment.members:
            result[member.host].append((segment, member))
    return result


def address_of(cidr: str | None) -> str | None:
    """The address part of ``10.0.111.10/24`` (or the text itself when it has no prefix)."""
    return cidr.split("/", 1)[0] if cidr else None


def clone_units(names: list[str], cloner: str) -> dict[str, str]:
    """The clone each name is created as: itself when it is ``<cloner>N``, else the lowest free ``<cloner>N``.

    ``switch111`` and ``switch222`` (in that order) become ``bridge0`` and ``bridge1`` and are renamed
    after cloning (rc.conf ``ifconfig_bridge0_name``); a switch already called ``bridge5`` keeps unit 5.
    """
    pattern = _CLONE_NAME[cloner]
    taken = {int(m.group(1)) for name in names if (m := pattern.fullmatch(name))}
    result: dict[str, str] = {}
    unit = 0
    for name in names:
        if pattern.fullmatch(name):
            result[name] = name
            continue
        while unit in taken:
            unit += 1
        taken.add(unit)
        result[name] = f"{cloner}{unit}"
    return result


@dataclass
class HostContext:
    """One host of a design with its objects by name and the derived FreeBSD names."""

    design: str
    host: Host
    members: list[Member]
    switches: dict[str, Switch] = field(init=False)
    jails: dict[str, Jail] = field(init=False)
    bridge_clones: dict[str, str] = field(init=False)  # bridge-kind switch name -> bridgeN it is cloned as
    vxlan_clones: dict[str, str] = field(init=False)  # vxlan interface name -> vxlanN it is cloned as
    members_by_switch: dict[str, list[Member]] = field(init=False)
    ext_if: str | None = field(init=False)

    def __post_init__(self) -> None:
        host = self.host
        self.interfaces = {i.name: i for i in host.interfaces}
        self.switches = {s.name: s for s in host.switches}
        self.jails = {j.name: j for j in host.jails}
        self.vms = {v.name: v for v in host.vms}
        bridges = sorted(s.name for s in host.switches if s.kind == "bridge")
        self.bridge_clones = clone_units(bridges, "bridge")
        self.vxlan_clones = clone_units([m.interface_name for _, m in self.members], "vxlan")
        self.members_by_switch = defaultdict(list)
        for segment, member in self.members:
            if member.switch:
                self.members_by_switch[member.switch].append((segment, member))
        self.ext_if = self._external_interface()

    def _external_interface(self) -> str | None:
        """pf's ``$ext_if`` / pot's POT_EXTIF: the NAT interface, else a redirect's, else the first addressed NIC."""
        for nat in self.host.nat:
            return nat.interface
        for redirect in self.host.redirects:
            return redirect.interface
        for interface in self.host.interfaces:
            if interface.kind == "physical" and (interface.address or interface.dhcp):
                return interface.name
        return None

    def switch_interface(self, switch_name: str) -> str:
        """The FreeBSD interface name of a switch (``vm-services`` for a vm-bhyve standard switch)."""
        switch = self.switches.get(switch_name)
        return switch.interface_name if switch else switch_name

    def interface_address(self, name: str) -> str | None:
        """The address (without prefix) of a host interface, switch or VXLAN interface called ``name``."""
        interface = self.interfaces.get(name)
        if interface is not None:
            return address_of(interface.address)
        for switch in self.host.switches:
            if switch.interface_name == name or switch.name == name:
                return address_of(switch.address)
        for _, member in self.members:
            if member.interface_name == name:
                return address_of(member.address)
        return None

    def local_address(self, member: VxlanMember) -> str | None:
        """A VXLAN member's ``vxlanlocal``: explicit, or the address of its underlay interface."""
        if member.local_address:
            return member.local_address
        underlay = self.interfaces.get(member.underlay_interface)
        return address_of(underlay.address) if underlay else None

    def private_members(self, switch_name: str) -> bool:
        """Whether jails and VMs joining ``switch_name`` are private members (the switch's private flag)."""
        switch = self.switches.get(switch_name)
        return bool(switch and switch.private)

    @property
    def tools(self) -> set[str]:
        """The packages the design says the host has, plus those its objects need."""
        tools = set(self.host.tools)
        for jail in self.host.jails:
            if jail.manager in ("iocage", "pot"):
                tools.add(jail.manager)
        if self.host.vms or any(s.kind == "vm-switch" for s in self.host.switches):
            tools.add("vm-bhyve")
        if self.host.dhcp:
            tools.add("dnsmasq")
        return tools
