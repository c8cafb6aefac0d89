"""The lab's model of a design as Linux sees it: namespaces and their interfaces, routes, NAT, firewalls,
the endpoints the reachability matrix speaks about, and the addresses the lab reserves. Pure data.

``network.build_network`` derives it from a snapshot; the renderer and the expectations read it.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from topology import snapshot as s

IPv4Interface = ipaddress.IPv4Interface
IPv4Network = ipaddress.IPv4Network
IPv4Address = ipaddress.IPv4Address

MGMT_NETWORK = IPv4Network("198.18.0.0/16")  # RFC 2544 benchmarking range: never a design address
MGMT_GATEWAY = IPv4Interface("198.18.0.1/16")
INTERNET_SERVER = IPv4Interface("198.51.100.80/32")  # the stub's "web server"
INTERNET_PORT = 80
SERVICE_PORT = 22  # every jail and VM listens here (the article checks ssh with nc)
UPLINK_FALLBACK = IPv4Network("203.0.113.0/24")  # for an uplink the design leaves unnumbered (DHCP)


def lab_id(design_name: str) -> str:
    """Short id prefixing every namespace of a design's lab: ``jn`` + 5 hex digits of the name's hash."""
    return "jn" + hashlib.sha256(design_name.encode()).hexdigest()[:5]


def iface(address: str) -> IPv4Interface:
    """A design address; without a prefix it means /32."""
    return IPv4Interface(address if "/" in address else f"{address}/32")


@dataclass
class NodeIface:
    """One interface of a namespace: its L2 domain, addresses and bridge port."""

    name: str
    domain: str
    addresses: list[IPv4Interface] = field(default_factory=list)
    bridge: str | None = None  # the bridge (domain-local id) this interface is a port of, for isolation
    isolated: bool = False
    via_host: str | None = None  # the host whose switch or vxlan carries this interface's frames


@dataclass(frozen=True)
class TunnelEnd:
    """A host's VXLAN endpoint in a domain: the underlay packets its firewall must let through."""

    iface: str  # Linux name of the underlay interface
    local: IPv4Address
    udp_port: int
    group: IPv4Address | None


@dataclass
class Route:
    """A route of a namespace (``gateway`` None: on-link out of ``iface``)."""

    destination: IPv4Network
    gateway: IPv4Address | None = None
    iface: str | None = None


@dataclass
class Node:
    """A network namespace of the lab: a host, a VNET jail, a VM or the internet stub."""

    name: str
    kind: str  # host | vnet-jail | vm | internet
    host: str | None
    netns: str
    ifaces: list[NodeIface] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    forwards: bool = False
    nat: list[tuple[str, IPv4Network | None]] = field(default_factory=list)  # (egress iface, source)
    redirects: list[tuple[str, str, int, IPv4Address, int]] = field(default_factory=list)
    tcp_listens: set[tuple[str, int]] = field(default_factory=set)  # ("*" or address, port)
    firewall: Firewall | None = None

    def local_addresses(self) -> set[IPv4Address]:
        """Every address configured in this namespace."""
        return {a.ip for i in self.ifaces for a in i.addresses}

    def iface_named(self, name: str) -> NodeIface | None:
        """The interface called ``name``."""
        return next((i for i in self.ifaces if i.name == name), None)

    def lookup(self, dst: IPv4Address) -> Route | None:
        """Longest-prefix match over connected and configured routes."""
        candidates = [r for r in self.all_routes() if dst in r.destination]
        return max(candidates, key=lambda r: r.destination.prefixlen, default=None)

    def all_routes(self) -> list[Route]:
        """Connected routes of the interface addresses, then the configured ones."""
        connected = [
            Route(a.network, None, i.name) for i in self.ifaces for a in i.addresses if a.network.prefixlen < 32
        ]
        return connected + self.routes


@dataclass(frozen=True)
class FirewallRuleSpec:
    """A pf rule as the lab applies it (interface names already the Linux ones)."""

    action: str
    direction: str  # any | in | out
    quick: bool
    iface: str | None
    protocol: str  # any | tcp | udp | icmp
    source: AddressMatch | None
    destination: AddressMatch | None
    port: int | None


@dataclass(frozen=True)
class AddressMatch:
    """A pf address term: a network, possibly negated (``!192.168.0.2``)."""

    network: IPv4Network
    negated: bool = False

    @classmethod
    def parse(cls, text: str) -> AddressMatch:
        """``10.1.1.0/24``, ``192.168.0.2`` or ``!192.168.0.2``."""
        negated = text.startswith("!")
        return cls(IPv4Network(text.lstrip("!").strip(), strict=False), negated)

    def __contains__(self, address: IPv4Address) -> bool:
        return (address in self.network) != self.negated

    def nft(self) -> str:
        """The nftables form: ``10.1.1.0/24`` or ``!= 192.168.0.2/32``."""
        return f"!= {self.network}" if self.negated else str(self.network)


@dataclass(frozen=True)
class Firewall:
    """A pf policy (or an ipfw ``open``/``closed`` type) of a host or VNET jail, as nftables will enforce it.

    pf semantics: ``quick`` rules decide at the first match, otherwise the last matching rule decides, and
    without a match the default applies (``block`` when ``default_block``). State is kept: replies pass.
    """

    default_block: bool
    rules: tuple[FirewallRuleSpec, ...]

    def allows(
        self, direction: str, iface: str, src: IPv4Address, dst: IPv4Address, protocol: str, port: int | None
    ) -> tuple[bool, str]:
        """Whether a new connection's packet passes, and the deciding rule."""

        def matches(r: FirewallRuleSpec) -> bool:
            return (
                r.direction in ("any", direction)
                and (r.iface is None or r.iface == iface)
                and (r.protocol == "any" or r.protocol == protocol)
                and (r.port is None or (protocol in ("tcp", "udp") and r.port == port))
                and (r.source is None or src in r.source)
                and (r.destination is None or dst in r.destination)
            )

        for index, r in enumerate(self.rules):
            if r.quick and matches(r):
                return r.action == "pass", f"rule {index + 1} ({r.action} quick)"
        for index in reversed(range(len(self.rules))):
            r = self.rules[index]
            if not r.quick and matches(r):
                return r.action == "pass", f"rule {index + 1} ({r.action})"
        return not self.default_block, "default block" if self.default_block else "default pass"


def firewall_of(
    policy: s.FirewallPolicy | None, iface_name: Callable[[str], str], where: str, notes: list[str]
) -> Firewall | None:
    """The lab's view of a firewall policy, with notes for what it cannot enforce."""
    if policy is None:
        return None
    if policy.engine == "ipfw" and policy.rules:
        # ipfw's own rules: the first match decides, as a pf rule marked quick does.
        return Firewall(
            default_block=policy.default_block,
            rules=tuple(replace(r, quick=True) for r in _rule_specs(policy, iface_name)),
        )
    if policy.engine == "ipfw":
        if policy.ipfw_type in ("open", "closed"):
            return Firewall(default_block=policy.ipfw_type == "closed", rules=())
        notes.append(f"{where}: ipfw firewall_type {policy.ipfw_type}: not emulated (treated as open)")
        return None
    if policy.antispoof:
        notes.append(f"{where}: pf antispoof: not emulated")
    return Firewall(default_block=policy.default_block, rules=_rule_specs(policy, iface_name))


def _rule_specs(policy: s.FirewallPolicy, iface_name: Callable[[str], str]) -> tuple[FirewallRuleSpec, ...]:
    return tuple(
        FirewallRuleSpec(
            action=r.action,
            direction=r.direction,
            quick=r.quick,
            iface=iface_name(r.interface) if r.interface else None,
            protocol=r.protocol,
            source=AddressMatch.parse(r.source) if r.source else None,
            destination=AddressMatch.parse(r.destination) if r.destination else None,
            port=r.port,
        )
        for r in policy.rules
    )


@dataclass
class Endpoint:
    """Something the reachability matrix speaks about: a host, a jail (plain or VNET), a VM, the internet."""

    name: str  # "jailhost-a", "jailhost-a/vnetjail-a", "jailhost-a/guest-a", "internet"
    kind: str  # host | plain-jail | vnet-jail | vm | internet
    host: str | None
    node: str  # the Node it lives in (a plain jail lives in its host's node)
    netns: str
    addresses: list[IPv4Address] = field(default_factory=list)
    source: IPv4Address | None = None  # plain jails send from their alias
    tcp_ports: tuple[int, ...] = ()
    dhcp_ifaces: tuple[str, ...] = ()  # addresses learnt at check time from these interfaces


@dataclass
class GuestNic:
    """A VNET jail or VM NIC as the lab cables it: ``host_side`` on the switch, ``guest_side`` in the guest."""

    host_side: str
    guest_side: str
    switch_iface: str
    address: IPv4Interface | None
    dhcp: bool
    mac: str
    mtu: int | None
    isolated: bool


@dataclass
class Guest:
    """A VNET jail or VM: its namespace and NICs."""

    kind: str  # vnet-jail | vm
    name: str
    netns: str
    nics: list[GuestNic]
    default_router: str | None


@dataclass
class Uplink:
    """Where the internet stub attaches: a LAN, the stub's address on it, and the host address NAT uses."""

    lan: str
    stub_iface: str
    stub_address: IPv4Interface
    host: str
    host_iface: str
    host_address: IPv4Interface
    assigned_host_address: bool  # the design left the uplink unnumbered; the lab chose the address
    default_route_added: bool  # the design has no default router on this LAN; the lab routes via the stub


@dataclass
class LabNetwork:
    """Everything derived from a snapshot that the renderer and the expectations share."""

    lab_id: str
    hosts: list[str]
    host_netns: dict[str, str]
    mgmt_address: dict[str, IPv4Interface]
    lans: dict[str, list[tuple[str, str]]]  # lan name -> [(host, physical iface)]
    # VLANs by (parent LAN, tag): "lan0v101" -> [(host, VLAN iface)]; cabled as links of their own (one
    # bridge per VLAN) where the kernel has no 802.1Q, tagged on the parent's LAN otherwise.
    vlan_lans: dict[str, list[tuple[str, str]]]
    lan_of: dict[tuple[str, str], str]
    uplinks: list[Uplink]
    effective_iface: dict[tuple[str, str], str]  # (host, design iface) -> Linux iface carrying its addresses
    guests: dict[str, list[Guest]]
    nodes: dict[str, Node]
    endpoints: list[Endpoint]
    bridge_uplink_isolated: dict[str, bool]  # bridge -> its VXLAN/physical uplink port is private
    vxlan_members: dict[str, list[tuple[s.VxlanSegment, s.VxlanMember]]]
    tunnels: dict[tuple[str, str], TunnelEnd]  # (host, L2 domain) -> its VXLAN endpoint
    notes: list[str]

    @property
    def underlay_netns(self) -> str:
        """The namespace holding the underlay bridges."""
        return f"{self.lab_id}-underlay"

    @property
    def mgmt_netns(self) -> str:
        """The namespace the lab's SSH connections start from."""
        return f"{self.lab_id}-mgmt"

    @property
    def internet_netns(self) -> str:
        """The stub internet."""
        return f"{self.lab_id}-internet"

    def all_netns(self) -> list[str]:
        """Every namespace the lab creates, fabric first."""
        names = [self.underlay_netns, self.mgmt_netns]
        if self.uplinks:
            names.append(self.internet_netns)
        names += [self.host_netns[h] for h in self.hosts]
        names += [g.netns for h in self.hosts for g in self.guests[h]]
        return names


def host_forwards(host: s.Host) -> bool:
    """Whether the lab host forwards IPv4: ``gateway_enable``, or NAT/redirects that need it."""
    return host.gateway_enable or bool(host.nat) or bool(host.redirects)
