"""The lab's model of a design as Linux sees it: namespaces, links, L2 domains, routes, NAT. Pure.

Both the lab renderer (what to configure) and the expectation function (what must be reachable) read this
model, so a translation choice (say, addresses of a bridge member moving onto the bridge) is made once.

Translation choices, FreeBSD -> Linux, each reported as a note where the user could be surprised:

* an address on a bridge member (``vxlan111`` in ``switch111``) is configured on the bridge: Linux does not
  deliver IP traffic to an enslaved port, FreeBSD does;
* a host that NATs or redirects forwards IPv4 even without ``gateway_enable`` (pf NAT for jails behind a
  bridge needs forwarding on FreeBSD as well);
* physical interfaces are cabled by subnet: interfaces whose addresses share a subnet sit on one underlay
  bridge ("LAN"); interfaces without an address share one more LAN (VLAN trunks);
* the "internet" is a stub namespace on documentation addresses attached to the LAN of each NAT or redirect
  interface, at the design's default-router address when it has one.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

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


def firewall_of(policy: s.FirewallPolicy | None, iface_name: Callable[[str], str], where: str, notes: list[str]):  # type: ignore[no-untyped-def]
    """The lab's view of a firewall policy, with notes for what it cannot enforce."""
    if policy is None:
        return None
    if policy.engine == "ipfw":
        if policy.ipfw_type in ("open", "closed"):
            return Firewall(default_block=policy.ipfw_type == "closed", rules=())
        notes.append(f"{where}: ipfw firewall_type {policy.ipfw_type}: not emulated (treated as open)")
        return None
    if policy.antispoof:
        notes.append(f"{where}: pf antispoof: not emulated")
    rules = []
    for r in policy.rules:
        rules.append(
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
        )
    return Firewall(default_block=policy.default_block, rules=tuple(rules))


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


def _mac(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:5])  # locally administered, unicast


def _highest_free(address: IPv4Interface, owned: set[IPv4Address]) -> IPv4Address:
    """The highest host address of ``address``'s subnet that nobody owns (the stub's end of an uplink).

    Searched from the top, lazily: a /16 underlay has 65,534 addresses and only a few are taken.
    """
    network = address.network
    top = int(network.broadcast_address) - (1 if network.prefixlen < 31 else 0)
    bottom = int(network.network_address) + (1 if network.prefixlen < 31 else 0)
    for value in range(top, bottom - 1, -1):
        candidate = IPv4Address(value)
        if candidate not in owned and candidate != address.ip:
            return candidate
    raise ValueError(f"no free address left in {network} for the internet stub")


def build_network(snapshot: s.DesignSnapshot) -> LabNetwork:
    """Derive the lab model of ``snapshot``."""
    lid = lab_id(snapshot.name)
    notes: list[str] = []
    hosts = [h.name for h in snapshot.hosts]
    host_netns = {h.name: f"{lid}-{h.name}" for h in snapshot.hosts}
    mgmt = {}
    for index, h in enumerate(snapshot.hosts):
        number = int(MGMT_NETWORK.network_address) + index + 2
        mgmt[h.name] = IPv4Interface(f"{IPv4Address(number)}/{MGMT_NETWORK.prefixlen}")

    # --- which Linux interface carries a design interface's addresses ---------------------------------
    effective: dict[tuple[str, str], str] = {}
    switch_ifname: dict[tuple[str, str], str] = {}
    for h in snapshot.hosts:
        for i in h.interfaces:
            effective[(h.name, i.name)] = i.name
        for w in h.switches:
            switch_ifname[(h.name, w.name)] = w.interface_name
            effective[(h.name, w.name)] = w.interface_name
            effective[(h.name, w.interface_name)] = w.interface_name
            for p in w.ports:
                effective[(h.name, p.interface)] = w.interface_name
    for seg in snapshot.vxlan_segments:
        for m in seg.members:
            if m.switch and (m.host, m.switch) in switch_ifname:
                effective[(m.host, m.interface_name)] = switch_ifname[(m.host, m.switch)]
                if m.address:
                    notes.append(
                        f"{m.host}: address {m.address} of {m.interface_name} is configured on bridge "
                        f"{switch_ifname[(m.host, m.switch)]} (Linux does not deliver IP to a bridge member)"
                    )
            else:
                effective[(m.host, m.interface_name)] = m.interface_name

    # --- underlay LANs ----------------------------------------------------------------------------------
    nat_ifaces = {(h.name, x.interface) for h in snapshot.hosts for x in h.nat}
    nat_ifaces |= {(h.name, x.interface) for h in snapshot.hosts for x in h.redirects}
    lan_keys: dict[str, str] = {}
    lans: dict[str, list[tuple[str, str]]] = {}
    lan_of: dict[tuple[str, str], str] = {}
    uplink_fallback: dict[tuple[str, str], IPv4Interface] = {}
    fallback_index = 0
    for h in snapshot.hosts:
        for i in h.interfaces:
            if i.kind != "physical":
                continue
            if i.address:
                key = str(iface(i.address).network)
            elif (h.name, i.name) in nat_ifaces:
                # An uplink the design leaves to DHCP: give it its own LAN with the stub on documentation space.
                net = list(UPLINK_FALLBACK.subnets(new_prefix=30))[fallback_index]
                fallback_index += 1
                key = f"uplink:{h.name}:{i.name}"
                uplink_fallback[(h.name, i.name)] = IPv4Interface(f"{net.network_address + 2}/{net.prefixlen}")
            else:
                key = "unnumbered"
            if key not in lan_keys:
                lan_keys[key] = f"lan{len(lan_keys)}"
                lans[lan_keys[key]] = []
            lans[lan_keys[key]].append((h.name, i.name))
            lan_of[(h.name, i.name)] = lan_keys[key]

    def lan_of_iface(host: s.Host, name: str) -> str | None:
        i = next((x for x in host.interfaces if x.name == name), None)
        if i is None:
            return None
        if i.kind == "vlan" and i.parent:
            return lan_of.get((host.name, i.parent))
        return lan_of.get((host.name, name))

    # A VLAN is an L2 segment of its own on its parent's LAN: (LAN, tag) -> bridge name, with its members.
    vlan_lans: dict[str, list[tuple[str, str]]] = {}
    for h in snapshot.hosts:
        for i in h.interfaces:
            parent_lan = lan_of_iface(h, i.name) if i.kind == "vlan" and i.vlan_tag is not None else None
            if parent_lan is not None:
                vlan_lans.setdefault(f"{parent_lan}v{i.vlan_tag}", []).append((h.name, i.name))

    # --- uplinks: where the internet stub attaches -----------------------------------------------------
    uplinks: list[Uplink] = []
    owned = {
        iface(a).ip
        for h in snapshot.hosts
        for a in [i.address for i in h.interfaces] + [w.address for w in h.switches]
        if a
    }
    seen_lans: set[str] = set()
    for h in snapshot.hosts:
        for name in dict.fromkeys([x.interface for x in h.nat] + [x.interface for x in h.redirects]):
            design_iface = next((x for x in h.interfaces if x.name == name), None)
            if design_iface is None:
                notes.append(f"{h.name}: NAT/redirect interface {name} is not a host interface; no internet here")
                continue
            lan = lan_of_iface(h, name)
            address = iface(design_iface.address) if design_iface.address else uplink_fallback.get((h.name, name))
            if lan is None or address is None:
                notes.append(f"{h.name}: {name} has no address to NAT behind; the internet stub is not attached")
                continue
            assigned = not design_iface.address
            if lan in seen_lans:
                continue
            seen_lans.add(lan)
            router = IPv4Address(h.default_router) if h.default_router else None
            if router is not None and router in address.network and router not in owned:
                stub = IPv4Interface(f"{router}/{address.network.prefixlen}")
                default_added = False
            else:
                stub = IPv4Interface(f"{_highest_free(address, owned)}/{address.network.prefixlen}")
                default_added = router is None
            uplinks.append(
                Uplink(
                    lan=lan,
                    stub_iface=f"up{len(uplinks)}",
                    stub_address=stub,
                    host=h.name,
                    host_iface=name,
                    host_address=address,
                    assigned_host_address=assigned,
                    default_route_added=default_added,
                )
            )
            if assigned:
                notes.append(f"{h.name}: uplink {name} has no design address; the lab gives it {address}")
            notes.append(f"internet stub: {stub} on the LAN of {h.name} {name}; server {INTERNET_SERVER.ip}")
            if default_added:
                notes.append(f"{h.name}: no default router in the design; the lab routes via the stub {stub.ip}")

    # --- guests (VNET jails and VMs) ------------------------------------------------------------------
    guests: dict[str, list[Guest]] = {}
    for h in snapshot.hosts:
        switches = {w.name: w for w in h.switches}
        items: list[Guest] = []
        epair = tap = 0
        for j in h.jails:
            if j.type != "vnet":
                continue
            nics: list[GuestNic] = []
            for jnic in j.nics:
                sw = switches.get(jnic.switch)
                nics.append(
                    GuestNic(
                        host_side=f"epair{epair}a",
                        guest_side=jnic.name,
                        switch_iface=sw.interface_name if sw else jnic.switch,
                        address=iface(jnic.address) if jnic.address else None,
                        dhcp=jnic.dhcp,
                        mac=jnic.mac or _mac(snapshot.name, h.name, j.name, jnic.name),
                        mtu=jnic.mtu,
                        isolated=jnic.private or bool(sw and sw.private),
                    )
                )
                epair += 1
            items.append(Guest("vnet-jail", j.name, f"{lid}-{h.name}-j-{j.name}", nics, j.default_router))
        for v in h.vms:
            nics = []
            for index, vnic in enumerate(v.nics):
                sw = switches.get(vnic.switch)
                nics.append(
                    GuestNic(
                        host_side=f"tap{tap}",
                        guest_side=f"vtnet{index}",
                        switch_iface=sw.interface_name if sw else vnic.switch,
                        address=iface(vnic.address) if vnic.address else None,
                        dhcp=vnic.dhcp,
                        mac=vnic.mac or _mac(snapshot.name, h.name, v.name, str(index)),
                        mtu=vnic.mtu,
                        isolated=vnic.private or bool(sw and sw.private),
                    )
                )
                tap += 1
            items.append(Guest("vm", v.name, f"{lid}-{h.name}-v-{v.name}", nics, v.default_router))
        guests[h.name] = items

    nodes, endpoints, uplink_isolated, tunnels = _nodes(
        snapshot, lid, host_netns, effective, lan_of_iface, uplinks, guests, notes
    )
    return LabNetwork(
        lab_id=lid,
        hosts=hosts,
        host_netns=host_netns,
        mgmt_address=mgmt,
        lans=lans,
        vlan_lans=vlan_lans,
        lan_of=lan_of,
        uplinks=uplinks,
        effective_iface=effective,
        guests=guests,
        nodes=nodes,
        endpoints=endpoints,
        bridge_uplink_isolated=uplink_isolated,
        tunnels=tunnels,
        vxlan_members={h.name: snapshot.vxlan_members_of(h.name) for h in snapshot.hosts},
        notes=notes,
    )


def _vxlan_domain(seg: s.VxlanSegment, lan: str | None) -> str:
    # Members meet only with the same VNI, UDP port, group (multicast) and underlay LAN.
    group = seg.multicast_group if seg.mode == "multicast" else "unicast"
    return f"vx:{seg.vni}:{seg.udp_port}:{group}:{lan}"


def _nodes(snapshot, lid, host_netns, effective, lan_of_iface, uplinks, guests, notes):  # type: ignore[no-untyped-def]
    """Nodes (namespaces with interfaces, routes, NAT) and endpoints for the expectation function."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    nodes: dict[str, Node] = {}
    endpoints: list[Endpoint] = []
    bridge_uplink_isolated: dict[str, bool] = {}
    tunnels: dict[tuple[str, str], TunnelEnd] = {}
    for h in snapshot.hosts:
        node = Node(name=h.name, kind="host", host=h.name, netns=host_netns[h.name], forwards=host_forwards(h))

        def effective_name(name: str, host: str = h.name) -> str:
            return effective.get((host, name), name)

        node.firewall = firewall_of(h.firewall, effective_name, h.name, notes)
        addrs: dict[str, list[IPv4Interface]] = {}
        domains: dict[str, str] = {}
        for i in h.interfaces:
            lname = effective[(h.name, i.name)]
            if i.kind == "loopback":
                domains.setdefault(lname, f"lo:{h.name}:{i.name}")
            elif i.kind == "vlan":
                domains.setdefault(lname, f"vlan:{lan_of_iface(h, i.parent or '')}:{i.vlan_tag}")
            else:
                domains.setdefault(lname, f"lan:{lan_of_iface(h, i.name)}")
            if i.address:
                addrs.setdefault(lname, []).append(iface(i.address))
        for up in uplinks:
            if up.host == h.name and up.assigned_host_address:
                addrs.setdefault(up.host_iface, []).append(up.host_address)
        for w in h.switches:
            sw_domain = f"sw:{h.name}:{w.name}"
            domains[w.interface_name] = sw_domain
            if w.address:
                addrs.setdefault(w.interface_name, []).append(iface(w.address))
            for p in w.ports:
                design_iface = next((x for x in h.interfaces if x.name == p.interface), None)
                if design_iface is None:
                    continue
                if design_iface.kind == "vlan":
                    union(sw_domain, f"vlan:{lan_of_iface(h, design_iface.parent or '')}:{design_iface.vlan_tag}")
                else:
                    union(sw_domain, f"lan:{lan_of_iface(h, p.interface)}")
                bridge_uplink_isolated[sw_domain] = p.private
        for seg, m in snapshot.vxlan_members_of(h.name):
            vx = _vxlan_domain(seg, lan_of_iface(h, m.underlay_interface))
            underlay = next((x for x in h.interfaces if x.name == m.underlay_interface), None)
            local = m.local_address or (underlay.address if underlay else None)
            if local:
                tunnels.setdefault((h.name, vx), TunnelEnd(
                    iface=effective.get((h.name, m.underlay_interface), m.underlay_interface),
                    local=iface(local).ip,
                    udp_port=seg.udp_port,
                    group=IPv4Address(seg.multicast_group) if seg.mode == "multicast" and seg.multicast_group else None,
                ))  # fmt: skip
            lname = effective[(h.name, m.interface_name)]
            if lname != m.interface_name:  # on a switch
                union(f"sw:{h.name}:{m.switch}", vx)
                bridge_uplink_isolated[f"sw:{h.name}:{m.switch}"] = m.private
            else:
                domains[lname] = vx
            if m.address:
                addrs.setdefault(lname, []).append(iface(m.address))
        for j in h.jails:
            if j.type == "plain" and not j.inherit:
                for a in j.addresses:
                    target = a.interface or _default_iface(h)
                    if target is None:
                        continue
                    lname = effective.get((h.name, target), target)
                    address = iface(a.address)
                    if any(address.ip == x.ip for x in addrs.get(lname, [])):
                        continue  # the jail uses the interface's own address (iocage keeps it)
                    addrs.setdefault(lname, []).append(address)
        for lname, domain in domains.items():
            bridge = domain if domain.startswith("sw:") else None
            via = h.name if domain.startswith(("sw:", "vx:")) else None
            node.ifaces.append(NodeIface(lname, domain, addrs.get(lname, []), bridge=bridge, via_host=via))
        for lname, extra in addrs.items():
            if lname not in domains:
                node.ifaces.append(NodeIface(lname, f"unknown:{h.name}:{lname}", extra))
        for r in h.static_routes:
            try:
                dest = IPv4Network(r.destination if "/" in r.destination else f"{r.destination}/32", strict=False)
            except ValueError:
                continue
            if dest.is_multicast:
                continue
            gw = IPv4Address(r.gateway) if r.gateway else None
            node.routes.append(Route(dest, gw, effective.get((h.name, r.interface or ""), r.interface)))
        default = h.default_router
        for up in uplinks:
            if up.host == h.name and up.default_route_added:
                default = str(up.stub_address.ip)
        if default:
            node.routes.append(Route(IPv4Network("0.0.0.0/0"), IPv4Address(default), None))
        for x in h.nat:
            src = IPv4Network(x.source, strict=False) if x.source else None
            node.nat.append((effective.get((h.name, x.interface), x.interface), src))
        for x in h.redirects:
            target = _redirect_target(h, x, guests[h.name])
            if target is not None:
                node.redirects.append(
                    (effective.get((h.name, x.interface), x.interface), x.protocol, x.external_port, target,
                     x.target_port)
                )  # fmt: skip
        nodes[h.name] = node
        endpoints.append(
            Endpoint(
                name=h.name,
                kind="host",
                host=h.name,
                node=h.name,
                netns=host_netns[h.name],
                addresses=sorted({a.ip for i in node.ifaces for a in i.addresses}),
            )
        )
        for j in h.jails:
            if j.type != "plain":
                continue
            if j.inherit:
                notes.append(f"{h.name}/{j.name}: ip4=inherit shares the host's addresses; checked as the host")
                continue
            jail_addrs = [iface(a.address).ip for a in j.addresses]
            ports = tuple(sorted({SERVICE_PORT} | {x.target_port for x in h.redirects if x.target_jail == j.name}))
            for a in jail_addrs:
                for p in ports:
                    node.tcp_listens.add((str(a), p))
            endpoints.append(
                Endpoint(
                    name=f"{h.name}/{j.name}",
                    kind="plain-jail",
                    host=h.name,
                    node=h.name,
                    netns=host_netns[h.name],
                    addresses=jail_addrs,
                    source=jail_addrs[0] if jail_addrs else None,
                    tcp_ports=ports,
                )
            )
        for g in guests[h.name]:
            gnode = Node(name=f"{h.name}/{g.name}", kind=g.kind, host=h.name, netns=g.netns)
            for n in g.nics:
                sw_domain = f"sw:{h.name}:{_switch_name(h, n.switch_iface)}"
                gnode.ifaces.append(
                    NodeIface(
                        n.guest_side,
                        sw_domain,
                        [n.address] if n.address else _dhcp_guess(h, n),
                        bridge=sw_domain,
                        isolated=n.isolated,
                        via_host=h.name,
                    )
                )
            if g.default_router:
                gnode.routes.append(Route(IPv4Network("0.0.0.0/0"), IPv4Address(g.default_router), None))
            elif any(n.dhcp for n in g.nics):
                router = _dhcp_router(h, g.nics)
                if router:
                    gnode.routes.append(Route(IPv4Network("0.0.0.0/0"), router, None))
            is_jail = g.kind == "vnet-jail"
            redirect_ports = {
                x.target_port for x in h.redirects if (x.target_jail if is_jail else x.target_vm) == g.name
            }
            ports = tuple(sorted({SERVICE_PORT} | redirect_ports))
            gnode.tcp_listens = {("*", p) for p in ports}
            if is_jail:
                jail = next(j for j in h.jails if j.name == g.name)
                gnode.firewall = firewall_of(jail.firewall, lambda name: name, gnode.name, notes)
            nodes[gnode.name] = gnode
            endpoints.append(
                Endpoint(
                    name=gnode.name,
                    kind=g.kind,
                    host=h.name,
                    node=gnode.name,
                    netns=g.netns,
                    addresses=sorted({a.ip for i in gnode.ifaces for a in i.addresses}),
                    tcp_ports=ports,
                    dhcp_ifaces=tuple(n.guest_side for n in g.nics if n.dhcp and not n.address),
                )
            )
    if uplinks:
        stub = Node(name="internet", kind="internet", host=None, netns=f"{lid}-internet")
        for up in uplinks:
            stub.ifaces.append(NodeIface(up.stub_iface, f"lan:{up.lan}", [up.stub_address]))
        stub.ifaces.append(NodeIface("srv", "srv:internet", [INTERNET_SERVER]))
        stub.tcp_listens = {(str(INTERNET_SERVER.ip), INTERNET_PORT)}
        nodes["internet"] = stub
        endpoints.append(
            Endpoint(
                name="internet",
                kind="internet",
                host=None,
                node="internet",
                netns=stub.netns,
                addresses=[INTERNET_SERVER.ip],
                tcp_ports=(INTERNET_PORT,),
            )
        )
    # Resolve L2 domains after every union is known.
    for node in nodes.values():
        for i in node.ifaces:
            i.domain = find(i.domain)
    resolved_tunnels = {(host, find(domain)): end for (host, domain), end in tunnels.items()}
    return nodes, endpoints, bridge_uplink_isolated, resolved_tunnels


def _default_iface(h: s.Host) -> str | None:
    return next((i.name for i in h.interfaces if i.kind == "physical" and i.address), None)


def _switch_name(h: s.Host, switch_iface: str) -> str:
    return next((w.name for w in h.switches if w.interface_name == switch_iface), switch_iface)


def _dhcp_service(h: s.Host, nic: GuestNic) -> s.DhcpService | None:
    return next((d for d in h.dhcp if _switch_iface_of(h, d.switch) == nic.switch_iface), None)


def _switch_iface_of(h: s.Host, name: str) -> str:
    return next((w.interface_name for w in h.switches if w.name == name), name)


def _dhcp_guess(h: s.Host, nic: GuestNic) -> list[IPv4Interface]:
    """The address a DHCP NIC will get: its static lease, else the first of the range (resolved at check)."""
    if not nic.dhcp:
        return []
    service = _dhcp_service(h, nic)
    switch = next((w for w in h.switches if w.interface_name == nic.switch_iface), None)
    if service is None or switch is None or not switch.address:
        return []
    prefix = iface(switch.address).network.prefixlen
    lease = next((x for x in service.static_leases if x.mac.lower() == nic.mac.lower()), None)
    address = lease.address if lease else service.range_start
    return [IPv4Interface(f"{address.split('/')[0]}/{prefix}")]


def _dhcp_router(h: s.Host, nics: list[GuestNic]) -> IPv4Address | None:
    for n in nics:
        if n.dhcp and _dhcp_service(h, n) is not None:
            switch = next((w for w in h.switches if w.interface_name == n.switch_iface), None)
            if switch and switch.address:
                return iface(switch.address).ip
    return None


def _redirect_target(h: s.Host, x: s.PortRedirect, guests: list[Guest]) -> IPv4Address | None:
    if x.target_address:
        return iface(x.target_address).ip
    if x.target_jail:
        jail = next((j for j in h.jails if j.name == x.target_jail), None)
        if jail is not None and jail.type == "plain" and jail.addresses:
            return iface(jail.addresses[0].address).ip
    name = x.target_jail or x.target_vm
    kind = "vnet-jail" if x.target_jail else "vm"
    guest = next((g for g in guests if g.name == name and g.kind == kind), None)
    if guest is not None:
        for n in guest.nics:
            if n.address:
                return n.address.ip
            guess = _dhcp_guess(h, n)
            if guess:
                return guess[0].ip
    return None
