"""The lab's node graph: one namespace per host, VNET jail, VM and the internet stub, with their interfaces
in resolved L2 domains, routes, NAT, redirects, firewalls and listeners, and the endpoints the reachability
matrix speaks about. Pure: built from a snapshot and the choices ``network.build_network`` made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from topology import snapshot as s

from .model import (
    INTERNET_PORT,
    INTERNET_SERVER,
    SERVICE_PORT,
    Endpoint,
    Guest,
    GuestNic,
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    Node,
    NodeIface,
    Route,
    TunnelEnd,
    Uplink,
    firewall_of,
    host_forwards,
    iface,
)


@dataclass(frozen=True)
class NodeInputs:
    """What ``network.build_network`` decided before the nodes are built."""

    snapshot: s.DesignSnapshot
    lab_id: str
    host_netns: dict[str, str]
    effective: dict[tuple[str, str], str]  # (host, design iface) -> Linux iface carrying its addresses
    lan_of_iface: Callable[[s.Host, str], str | None]  # the underlay LAN of a host interface (VLANs: the parent's)
    uplinks: list[Uplink]
    guests: dict[str, list[Guest]]
    notes: list[str]  # appended to: what the lab cannot emulate


@dataclass
class NodeGraph:
    """The lab's namespaces and endpoints, L2 domains resolved."""

    nodes: dict[str, Node]
    endpoints: list[Endpoint]
    bridge_uplink_isolated: dict[str, bool]  # bridge domain -> its VXLAN/physical uplink port is private
    tunnels: dict[tuple[str, str], TunnelEnd]  # (host, L2 domain) -> its VXLAN endpoint


class _Domains:
    """L2 domains joined by bridges (union-find): a switch with a LAN port or a VXLAN member is one domain."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        """The domain ``x`` belongs to."""
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        """``a`` and ``b`` are one L2 domain."""
        self.parent[self.find(a)] = self.find(b)


def build_nodes(inputs: NodeInputs) -> NodeGraph:
    """Nodes (namespaces with interfaces, routes, NAT) and endpoints for the expectation function."""
    domains = _Domains()
    graph = NodeGraph(nodes={}, endpoints=[], bridge_uplink_isolated={}, tunnels={})
    for h in inputs.snapshot.hosts:
        node = _host_node(inputs, h, domains, graph)
        graph.nodes[h.name] = node
        graph.endpoints.append(
            Endpoint(
                name=h.name,
                kind="host",
                host=h.name,
                node=h.name,
                netns=inputs.host_netns[h.name],
                addresses=sorted({a.ip for i in node.ifaces for a in i.addresses}),
            )
        )
        graph.endpoints.extend(_plain_jail_endpoints(inputs, h, node))
        for g in inputs.guests[h.name]:
            gnode, endpoint = _guest_node(inputs, h, g)
            graph.nodes[gnode.name] = gnode
            graph.endpoints.append(endpoint)
    if inputs.uplinks:
        stub, endpoint = _internet_node(inputs)
        graph.nodes["internet"] = stub
        graph.endpoints.append(endpoint)
    # Resolve L2 domains after every union is known.
    for node in graph.nodes.values():
        for i in node.ifaces:
            i.domain = domains.find(i.domain)
    graph.tunnels = {(host, domains.find(domain)): end for (host, domain), end in graph.tunnels.items()}
    return graph


def _vxlan_domain(seg: s.VxlanSegment, lan: str | None) -> str:
    # Members meet only with the same VNI, UDP port, group (multicast) and underlay LAN.
    group = seg.multicast_group if seg.mode == "multicast" else "unicast"
    return f"vx:{seg.vni}:{seg.udp_port}:{group}:{lan}"


def _host_node(inputs: NodeInputs, h: s.Host, domains: _Domains, graph: NodeGraph) -> Node:
    """A host's namespace: its interfaces in their L2 domains (joining bridged domains), routes, NAT, redirects."""
    effective = inputs.effective
    node = Node(name=h.name, kind="host", host=h.name, netns=inputs.host_netns[h.name], forwards=host_forwards(h))

    def linux_name(name: str) -> str:
        return effective.get((h.name, name), name)

    node.firewall = firewall_of(h.firewall, linux_name, h.name, inputs.notes)
    addrs: dict[str, list[IPv4Interface]] = {}
    domain_of: dict[str, str] = {}
    _interface_domains(inputs, h, addrs, domain_of)
    _switch_domains(inputs, h, addrs, domain_of, domains, graph)
    _vxlan_domains(inputs, h, addrs, domain_of, domains, graph)
    _plain_jail_aliases(inputs, h, addrs)
    for lname, domain in domain_of.items():
        bridge = domain if domain.startswith("sw:") else None
        via = h.name if domain.startswith(("sw:", "vx:")) else None
        node.ifaces.append(NodeIface(lname, domain, addrs.get(lname, []), bridge=bridge, via_host=via))
    for lname, extra in addrs.items():
        if lname not in domain_of:
            node.ifaces.append(NodeIface(lname, f"unknown:{h.name}:{lname}", extra))
    node.routes.extend(_host_routes(inputs, h))
    for x in h.nat:
        src = IPv4Network(x.source, strict=False) if x.source else None
        node.nat.append((effective.get((h.name, x.interface), x.interface), src))
    for rdr in h.redirects:
        target = _redirect_target(h, rdr, inputs.guests[h.name])
        if target is not None:
            node.redirects.append(
                (effective.get((h.name, rdr.interface), rdr.interface), rdr.protocol, rdr.external_port, target,
                 rdr.target_port)
            )  # fmt: skip
    return node


def _interface_domains(
    inputs: NodeInputs, h: s.Host, addrs: dict[str, list[IPv4Interface]], domain_of: dict[str, str]
) -> None:
    """Physical, VLAN and loopback interfaces: a LAN, a VLAN on its parent's LAN, or a loopback of its own."""
    for i in h.interfaces:
        lname = inputs.effective[(h.name, i.name)]
        if i.kind == "loopback":
            domain_of.setdefault(lname, f"lo:{h.name}:{i.name}")
        elif i.kind == "vlan":
            domain_of.setdefault(lname, f"vlan:{inputs.lan_of_iface(h, i.parent or '')}:{i.vlan_tag}")
        else:
            domain_of.setdefault(lname, f"lan:{inputs.lan_of_iface(h, i.name)}")
        if i.address:
            addrs.setdefault(lname, []).append(iface(i.address))
    for up in inputs.uplinks:
        if up.host == h.name and up.assigned_host_address:
            addrs.setdefault(up.host_iface, []).append(up.host_address)


def _switch_domains(
    inputs: NodeInputs,
    h: s.Host,
    addrs: dict[str, list[IPv4Interface]],
    domain_of: dict[str, str],
    domains: _Domains,
    graph: NodeGraph,
) -> None:
    """Switches: a domain each, joined with the LAN or VLAN of each member port."""
    for w in h.switches:
        sw_domain = f"sw:{h.name}:{w.name}"
        domain_of[w.interface_name] = sw_domain
        if w.address:
            addrs.setdefault(w.interface_name, []).append(iface(w.address))
        for p in w.ports:
            design_iface = next((x for x in h.interfaces if x.name == p.interface), None)
            if design_iface is None:
                continue
            if design_iface.kind == "vlan":
                vlan_lan = inputs.lan_of_iface(h, design_iface.parent or "")
                domains.union(sw_domain, f"vlan:{vlan_lan}:{design_iface.vlan_tag}")
            else:
                domains.union(sw_domain, f"lan:{inputs.lan_of_iface(h, p.interface)}")
            graph.bridge_uplink_isolated[sw_domain] = p.private


def _vxlan_domains(
    inputs: NodeInputs,
    h: s.Host,
    addrs: dict[str, list[IPv4Interface]],
    domain_of: dict[str, str],
    domains: _Domains,
    graph: NodeGraph,
) -> None:
    """VXLAN members: the segment's domain (joined with the switch they are on) and the host's tunnel end."""
    effective = inputs.effective
    for seg, m in inputs.snapshot.vxlan_members_of(h.name):
        vx = _vxlan_domain(seg, inputs.lan_of_iface(h, m.underlay_interface))
        underlay = next((x for x in h.interfaces if x.name == m.underlay_interface), None)
        local = m.local_address or (underlay.address if underlay else None)
        if local:
            graph.tunnels.setdefault((h.name, vx), TunnelEnd(
                iface=effective.get((h.name, m.underlay_interface), m.underlay_interface),
                local=iface(local).ip,
                udp_port=seg.udp_port,
                group=IPv4Address(seg.multicast_group) if seg.mode == "multicast" and seg.multicast_group else None,
            ))  # fmt: skip
        lname = effective[(h.name, m.interface_name)]
        if lname != m.interface_name:  # on a switch
            domains.union(f"sw:{h.name}:{m.switch}", vx)
            graph.bridge_uplink_isolated[f"sw:{h.name}:{m.switch}"] = m.private
        else:
            domain_of[lname] = vx
        if m.address:
            addrs.setdefault(lname, []).append(iface(m.address))


def _plain_jail_aliases(inputs: NodeInputs, h: s.Host, addrs: dict[str, list[IPv4Interface]]) -> None:
    """Plain jails' addresses are aliases on the host interface they name (or its default interface)."""
    for j in h.jails:
        if j.type == "plain" and not j.inherit:
            for a in j.addresses:
                target = a.interface or _default_iface(h)
                if target is None:
                    continue
                lname = inputs.effective.get((h.name, target), target)
                address = iface(a.address)
                if any(address.ip == x.ip for x in addrs.get(lname, [])):
                    continue  # the jail uses the interface's own address (iocage keeps it)
                addrs.setdefault(lname, []).append(address)


def _host_routes(inputs: NodeInputs, h: s.Host) -> list[Route]:
    """Static routes (multicast group routes left out: they steer VXLAN, not reachability), then the default."""
    routes = []
    for r in h.static_routes:
        try:
            dest = IPv4Network(r.destination if "/" in r.destination else f"{r.destination}/32", strict=False)
        except ValueError:
            continue
        if dest.is_multicast:
            continue
        gw = IPv4Address(r.gateway) if r.gateway else None
        routes.append(Route(dest, gw, inputs.effective.get((h.name, r.interface or ""), r.interface)))
    default = h.default_router
    for up in inputs.uplinks:
        if up.host == h.name and up.default_route_added:
            default = str(up.stub_address.ip)
    if default:
        routes.append(Route(IPv4Network("0.0.0.0/0"), IPv4Address(default), None))
    return routes


def _plain_jail_endpoints(inputs: NodeInputs, h: s.Host, node: Node) -> list[Endpoint]:
    """Plain jails live in their host's namespace: an endpoint each, listening on its addresses."""
    endpoints = []
    for j in h.jails:
        if j.type != "plain":
            continue
        if j.inherit:
            inputs.notes.append(f"{h.name}/{j.name}: ip4=inherit shares the host's addresses; checked as the host")
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
                netns=inputs.host_netns[h.name],
                addresses=jail_addrs,
                source=jail_addrs[0] if jail_addrs else None,
                tcp_ports=ports,
            )
        )
    return endpoints


def _guest_node(inputs: NodeInputs, h: s.Host, g: Guest) -> tuple[Node, Endpoint]:
    """A VNET jail's or VM's namespace: NICs on the host's switches, default route, listeners, firewall."""
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
    redirect_ports = {x.target_port for x in h.redirects if (x.target_jail if is_jail else x.target_vm) == g.name}
    ports = tuple(sorted({SERVICE_PORT} | redirect_ports))
    gnode.tcp_listens = {("*", p) for p in ports}
    if is_jail:
        jail = next(j for j in h.jails if j.name == g.name)
        gnode.firewall = firewall_of(jail.firewall, lambda name: name, gnode.name, inputs.notes)
    endpoint = Endpoint(
        name=gnode.name,
        kind=g.kind,
        host=h.name,
        node=gnode.name,
        netns=g.netns,
        addresses=sorted({a.ip for i in gnode.ifaces for a in i.addresses}),
        tcp_ports=ports,
        dhcp_ifaces=tuple(n.guest_side for n in g.nics if n.dhcp and not n.address),
    )
    return gnode, endpoint


def _internet_node(inputs: NodeInputs) -> tuple[Node, Endpoint]:
    """The stub internet: one leg on each uplink's LAN, and its server."""
    stub = Node(name="internet", kind="internet", host=None, netns=f"{inputs.lab_id}-internet")
    for up in inputs.uplinks:
        stub.ifaces.append(NodeIface(up.stub_iface, f"lan:{up.lan}", [up.stub_address]))
    stub.ifaces.append(NodeIface("srv", "srv:internet", [INTERNET_SERVER]))
    stub.tcp_listens = {(str(INTERNET_SERVER.ip), INTERNET_PORT)}
    endpoint = Endpoint(
        name="internet",
        kind="internet",
        host=None,
        node="internet",
        netns=stub.netns,
        addresses=[INTERNET_SERVER.ip],
        tcp_ports=(INTERNET_PORT,),
    )
    return stub, endpoint


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
