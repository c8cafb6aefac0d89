"""Everything the rules look up, indexed once per validation run.

Rules never scan other hosts in a loop: they read dictionaries built here (objects by name per host,
VXLAN members per host, broadcast domains, address uses). Expensive parts are computed on first use
(``cached_property``) so the identity checks the importer runs stay cheap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Set
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from .. import snapshot as s
from ..snapshot import ObjectRef
from . import refs
from .ip import Cidr, Network, parse_cidr, parse_ip

DEFAULT_MTU = 1500  # what FreeBSD gives an Ethernet interface (and an epair or tap) unless told otherwise

Member = tuple[s.VxlanSegment, s.VxlanMember]
DomainKey = tuple[str, ...]


class AddressUse(NamedTuple):
    """One IPv4 address configured somewhere in the design."""

    cidr: Cidr
    text: str  # as written in the design
    host: str
    domain: DomainKey  # root of the broadcast domain (layer 2 segment) the address lives on
    interface: str  # FreeBSD interface on the host stack; "" for a VNET jail's or VM's own stack
    owner: str  # interface | switch | vxlan-member | jail-address | jail-nic | vm-nic
    label: str  # readable name of the object, e.g. "vnetjail-a NIC vnet0"
    ref: ObjectRef
    guest: str | None = None  # jail or VM name for jail-address / jail-nic / vm-nic uses
    mac: str | None = None  # the NIC's MAC, when set
    switch: str | None = None  # the switch a VNET jail NIC or VM NIC joins

    @property
    def on_host_stack(self) -> bool:
        """Addresses of the host itself: its interfaces, switches, VXLAN interfaces and plain jail aliases."""
        return self.owner in ("interface", "switch", "vxlan-member", "jail-address")


@dataclass(frozen=True)
class SwitchMtu:
    """The MTU a switch (bridge) ends up with, and where that figure comes from."""

    mtu: int
    source: str  # "its mtu setting", "vxlan111", "em0", "the default"


class HostIndex:
    """One host's objects by name. The first of duplicate names wins (duplicates are identity findings)."""

    def __init__(self, host: s.Host, members: list[Member]):
        self.host = host
        self.interfaces: dict[str, s.Interface] = {}
        for interface in host.interfaces:
            self.interfaces.setdefault(interface.name, interface)
        self.switches: dict[str, s.Switch] = {}
        self.switches_by_ifname: dict[str, s.Switch] = {}
        for switch in host.switches:
            self.switches.setdefault(switch.name, switch)
            self.switches_by_ifname.setdefault(switch.interface_name, switch)
        self.jails: dict[str, s.Jail] = {}
        for jail in host.jails:
            self.jails.setdefault(jail.name, jail)
        self.vms: dict[str, s.VirtualMachine] = {}
        for vm in host.vms:
            self.vms.setdefault(vm.name, vm)
        self.members = members
        self.members_by_ifname: dict[str, Member] = {}
        self.members_by_switch: dict[str, list[Member]] = defaultdict(list)
        for segment, member in members:
            self.members_by_ifname.setdefault(member.interface_name, (segment, member))
            if member.switch:
                self.members_by_switch[member.switch].append((segment, member))

    @property
    def name(self) -> str:
        """The host's name."""
        return self.host.name

    def switch_for_interface(self, name: str) -> s.Switch | None:
        """The switch whose FreeBSD interface is ``name`` (``vm-services``), or whose name it is."""
        return self.switches_by_ifname.get(name) or self.switches.get(name)

    def has_interface(self, name: str) -> bool:
        """Whether ``name`` is an interface on this host: physical/VLAN/loopback, VXLAN or switch."""
        return name in self.interfaces or name in self.members_by_ifname or self.switch_for_interface(name) is not None

    def interface_names(self) -> list[str]:
        """Every FreeBSD interface name this host gets from the design, for messages."""
        names = (
            list(self.interfaces) + list(self.members_by_ifname) + [sw.interface_name for sw in self.switches.values()]
        )
        return sorted(set(names))

    def domain_key(self, interface: str) -> DomainKey:
        """The union-find key of the layer 2 segment a host interface name is on."""
        switch = self.switch_for_interface(interface)
        if switch is not None:
            return ("switch", self.name, switch.name)
        if interface in self.members_by_ifname:
            return ("vxlan", self.name, interface)
        return ("interface", self.name, interface)

    def local_address(self, member: s.VxlanMember) -> int | None:
        """The member's vxlanlocal address: explicit, or the underlay interface's address."""
        if member.local_address:
            return parse_ip(member.local_address)
        underlay = self.interfaces.get(member.underlay_interface)
        cidr = parse_cidr(underlay.address) if underlay else None
        return cidr.ip if cidr else None

    @cached_property
    def switch_mtus(self) -> dict[str, SwitchMtu]:
        """MTU per switch name: its own mtu, else the smallest MTU of its member interfaces, else 1500.

        A bridge takes the MTU of its first member and refuses members with another MTU, and the host
        side of an epair or tap is lowered to the bridge's MTU, so this is the MTU every guest on the
        switch must use too.
        """
        result: dict[str, SwitchMtu] = {}
        for switch in self.switches.values():
            if switch.mtu:
                result[switch.name] = SwitchMtu(switch.mtu, "its mtu setting")
                continue
            candidates = [
                SwitchMtu(segment.mtu, member.interface_name)
                for segment, member in self.members_by_switch.get(switch.name, ())
            ]
            for port in switch.ports:
                interface = self.interfaces.get(port.interface)
                if interface is not None:
                    candidates.append(SwitchMtu(interface.mtu or DEFAULT_MTU, port.interface))
            result[switch.name] = (
                min(candidates, key=lambda c: c.mtu) if candidates else SwitchMtu(DEFAULT_MTU, "the default")
            )
        return result

    @cached_property
    def switch_networks(self) -> dict[str, list[tuple[Network, str]]]:
        """Subnets a guest on each switch can be on, with where each comes from.

        The switch's own address (unless it is a /32 host address, as the article uses on VXLAN-backed
        switches), the subnet and address of each VXLAN member on it, and the address of each port.
        """
        result: dict[str, list[tuple[Network, str]]] = {}
        for switch in self.switches.values():
            networks: list[tuple[Network, str]] = []
            cidr = parse_cidr(switch.address)
            if cidr is not None and cidr.prefixlen < 32:
                networks.append((cidr.network, f"{switch.interface_name}'s subnet"))
            for segment, member in self.members_by_switch.get(switch.name, ()):
                subnet = parse_cidr(segment.subnet)
                if subnet is not None and subnet.prefixlen < 32:
                    networks.append((subnet.network, f"the subnet of VXLAN segment {segment.name}"))
                cidr = parse_cidr(member.address)
                if cidr is not None and cidr.prefixlen < 32:
                    networks.append((cidr.network, f"{member.interface_name}'s subnet"))
            for port in switch.ports:
                interface = self.interfaces.get(port.interface)
                cidr = parse_cidr(interface.address) if interface else None
                if cidr is not None and cidr.prefixlen < 32:
                    networks.append((cidr.network, f"{port.interface}'s subnet"))
            result[switch.name] = _unique_networks(networks)
        return result

    def interface_networks(self, name: str) -> list[tuple[Network, str]]:
        """Subnets on the host interface ``name`` (physical/VLAN, VXLAN member or switch)."""
        switch = self.switch_for_interface(name)
        if switch is not None:
            return self.switch_networks.get(switch.name, [])
        networks: list[tuple[Network, str]] = []
        if name in self.members_by_ifname:
            segment, member = self.members_by_ifname[name]
            cidr = parse_cidr(member.address)
            if cidr is not None and cidr.prefixlen < 32:
                networks.append((cidr.network, f"{name}'s subnet"))
            subnet = parse_cidr(segment.subnet)
            if subnet is not None and subnet.prefixlen < 32:
                networks.append((subnet.network, f"the subnet of VXLAN segment {segment.name}"))
            return _unique_networks(networks)
        interface = self.interfaces.get(name)
        cidr = parse_cidr(interface.address) if interface else None
        if cidr is not None and cidr.prefixlen < 32:
            networks.append((cidr.network, f"{name}'s subnet"))
        return networks

    @cached_property
    def attached_networks(self) -> list[Network]:
        """Networks directly attached to the host's own stack (a default router or gateway must be on one)."""
        networks: list[Network] = []
        for interface in self.interfaces.values():
            cidr = parse_cidr(interface.address)
            if cidr is not None and cidr.prefixlen < 32:
                networks.append(cidr.network)
        for switch in self.switches.values():
            cidr = parse_cidr(switch.address)
            if cidr is not None and cidr.prefixlen < 32:
                networks.append(cidr.network)
        for _, member in self.members:
            cidr = parse_cidr(member.address)
            if cidr is not None and cidr.prefixlen < 32:
                networks.append(cidr.network)
        return networks

    @property
    def uses_dhcp(self) -> bool:
        """Whether an interface of the host gets its address by DHCP (its subnet is then unknown)."""
        return any(interface.dhcp for interface in self.interfaces.values())


def _unique_networks(networks: list[tuple[Network, str]]) -> list[tuple[Network, str]]:
    seen: set[Network] = set()
    result = []
    for network, source in networks:
        if network not in seen:
            seen.add(network)
            result.append((network, source))
    return result


class DesignIndex:
    """The snapshot, indexed for the rules.

    ``design_networks``, when given, is what :attr:`design_networks` answers: the networks of a larger
    design this snapshot is a part of (incremental validation runs the rules on parts of a design, see
    ``topology.validation.incremental``); by default they are the snapshot's own.
    """

    def __init__(self, snapshot: s.DesignSnapshot, *, design_networks: tuple[Set[Network], list[int]] | None = None):
        self.snapshot = snapshot
        members_by_host: dict[str, list[Member]] = defaultdict(list)
        for segment in snapshot.vxlan_segments:
            for member in segment.members:
                members_by_host[member.host].append((segment, member))
        self.members_by_host = members_by_host
        self.segments: dict[str, s.VxlanSegment] = {}
        for segment in snapshot.vxlan_segments:
            self.segments.setdefault(segment.name, segment)
        if design_networks is not None:
            self.__dict__["design_networks"] = design_networks

    @cached_property
    def hosts(self) -> dict[str, HostIndex]:
        """One index per distinct host name (built on first use: design-wide rules may not need them)."""
        hosts: dict[str, HostIndex] = {}
        for host in self.snapshot.hosts:
            if host.name not in hosts:
                hosts[host.name] = HostIndex(host, self.members_by_host.get(host.name, []))
        return hosts

    def host_indexes(self) -> list[HostIndex]:
        """One index per distinct host name, in document order."""
        return list(self.hosts.values())

    # --- broadcast domains ------------------------------------------------------------------------

    @cached_property
    def _domain_parent(self) -> dict[DomainKey, DomainKey]:
        """Union-find forest joining switches with their ports and VXLAN members, and members with segments."""
        parent: dict[DomainKey, DomainKey] = {}

        def find(key: DomainKey) -> DomainKey:
            root = parent.setdefault(key, key)
            while root != parent[root]:
                parent[root] = parent[parent[root]]
                root = parent[root]
            return root

        def union(a: DomainKey, b: DomainKey) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)  # deterministic root

        for hi in self.hosts.values():
            for switch in hi.switches.values():
                key: DomainKey = ("switch", hi.name, switch.name)
                find(key)
                for port in switch.ports:
                    union(key, ("interface", hi.name, port.interface))
        for segment in self.snapshot.vxlan_segments:
            for member in segment.members:
                key = ("vxlan", member.host, member.interface_name)
                union(key, ("segment", segment.name))
                if member.switch:
                    union(key, ("switch", member.host, member.switch))
        for key in list(parent):
            find(key)
        return parent

    def domain(self, key: DomainKey) -> DomainKey:
        """The root key of the broadcast domain ``key`` belongs to."""
        parent = self._domain_parent
        root = key
        while root in parent and parent[root] != root:
            root = parent[root]
        return root

    @cached_property
    def domain_labels(self) -> dict[DomainKey, str]:
        """A readable name per domain root: the VXLAN segment if there is one, else the switch or interface."""
        labels: dict[DomainKey, str] = {}
        rank = {"segment": 0, "switch": 1, "vxlan": 2, "interface": 3}
        best: dict[DomainKey, DomainKey] = {}
        for key in self._domain_parent:
            root = self.domain(key)
            if root not in best or (rank[key[0]], key) < (rank[best[root][0]], best[root]):
                best[root] = key
        for root, key in best.items():
            labels[root] = _domain_label(key)
        return labels

    @cached_property
    def uplinked_domains(self) -> set[DomainKey]:
        """Domains with a host's physical or VLAN interface as a switch port: they reach a LAN outside the design."""
        return {self.domain(key) for key in self._domain_parent if key[0] == "interface"}

    def domain_label(self, root: DomainKey) -> str:
        """Readable name of a broadcast domain."""
        return self.domain_labels.get(root) or _domain_label(root)

    # --- addresses --------------------------------------------------------------------------------

    @cached_property
    def address_uses(self) -> list[AddressUse]:
        """Every parseable address of the design with where it is configured."""
        uses: list[AddressUse] = []
        add = uses.append
        for hi in self.hosts.values():
            host = hi.host
            for interface in hi.interfaces.values():
                cidr = parse_cidr(interface.address)
                if cidr is not None:
                    add(
                        AddressUse(
                            cidr,
                            interface.address or "",
                            host.name,
                            self.domain(hi.domain_key(interface.name)),
                            interface.name,
                            "interface",
                            f"{host.name} {interface.name}",
                            refs.interface_ref(host, interface),
                        )
                    )
            for switch in hi.switches.values():
                cidr = parse_cidr(switch.address)
                if cidr is not None:
                    add(
                        AddressUse(
                            cidr,
                            switch.address or "",
                            host.name,
                            self.domain(("switch", host.name, switch.name)),
                            switch.interface_name,
                            "switch",
                            f"{host.name} {switch.interface_name}",
                            refs.switch_ref(host, switch),
                        )
                    )
            for segment, member in hi.members:
                cidr = parse_cidr(member.address)
                if cidr is not None:
                    add(
                        AddressUse(
                            cidr,
                            member.address or "",
                            host.name,
                            self.domain(("vxlan", host.name, member.interface_name)),
                            member.interface_name,
                            "vxlan-member",
                            f"{host.name} {member.interface_name}",
                            refs.member_ref(segment, member),
                        )
                    )
            for jail in host.jails:
                if jail.type == "vnet":
                    for nic in jail.nics:
                        cidr = parse_cidr(nic.address)
                        if cidr is not None:
                            add(
                                AddressUse(
                                    cidr,
                                    nic.address or "",
                                    host.name,
                                    self.domain(("switch", host.name, nic.switch)),
                                    "",
                                    "jail-nic",
                                    f"{jail.name} NIC {nic.name}",
                                    refs.jail_nic_ref(host, jail, nic),
                                    jail.name,
                                    nic.mac,
                                    switch=nic.switch,
                                )
                            )
                else:
                    for position, alias in enumerate(jail.addresses):
                        cidr = parse_cidr(alias.address, 32)
                        if cidr is not None:
                            # A switch may be named by its name or its FreeBSD interface name (vm-services).
                            on_switch = hi.switch_for_interface(alias.interface) if alias.interface else None
                            alias_on = on_switch.interface_name if on_switch else (alias.interface or "")
                            domain = self.domain(hi.domain_key(alias_on)) if alias_on else ("host", host.name)
                            add(
                                AddressUse(
                                    cidr,
                                    alias.address,
                                    host.name,
                                    domain,
                                    alias_on,
                                    "jail-address",
                                    f"plain jail {jail.name}",
                                    refs.jail_address_ref(host, jail, position, alias),
                                    jail.name,
                                )
                            )
            for vm in host.vms:
                for position, vm_nic in enumerate(vm.nics):
                    cidr = parse_cidr(vm_nic.address)
                    if cidr is not None:
                        add(
                            AddressUse(
                                cidr,
                                vm_nic.address or "",
                                host.name,
                                self.domain(("switch", host.name, vm_nic.switch)),
                                "",
                                "vm-nic",
                                f"VM {vm.name} NIC {position}",
                                refs.vm_nic_ref(host, vm, position, vm_nic),
                                vm.name,
                                vm_nic.mac,
                                switch=vm_nic.switch,
                            )
                        )
        return uses

    @cached_property
    def networks(self) -> set[Network]:
        """Every network of the snapshot: of each address (its subnet and the address as a /32) and each
        VXLAN segment's subnet."""
        networks: set[Network] = set()
        for use in self.address_uses:
            networks.add(use.cidr.network)
            networks.add(Network(use.cidr.ip, 32))
        for segment in self.snapshot.vxlan_segments:
            subnet = parse_cidr(segment.subnet)
            if subnet is not None:
                networks.add(subnet.network)
        return networks

    @cached_property
    def design_networks(self) -> tuple[Set[Network], list[int]]:
        """The networks of the whole design and their start addresses in order (for range lookups)."""
        return self.networks, sorted(n.start for n in self.networks)

    @cached_property
    def addresses_by_domain(self) -> dict[DomainKey, list[AddressUse]]:
        """Address uses grouped by broadcast domain root."""
        result: dict[DomainKey, list[AddressUse]] = defaultdict(list)
        for use in self.address_uses:
            result[use.domain].append(use)
        return result


def _domain_label(key: DomainKey) -> str:
    kind = key[0]
    if kind == "segment":
        return f"VXLAN segment {key[1]}"
    if kind == "host":
        return f"host {key[1]}"
    return f"{key[2]} on {key[1]}"
