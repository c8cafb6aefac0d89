"""What a design promises about reachability: the expected matrix of the lab. Pure.

Every cell says: from endpoint *source* (a host, a jail, a VM or the internet stub), does *address* of
endpoint *target* answer ICMP echo, or accept a TCP connection on *port*? The answer follows the packet
through the lab model (:mod:`.network`): longest-prefix routing in each namespace, L2 delivery within a
domain (a switch with its VXLAN segment, a LAN, a VLAN), private (isolated) bridge ports, forwarding only on
hosts that forward, outbound NAT on the egress interface, port redirects on the ingress interface, and the
reply's way back (through the NAT/redirecting host, as connection tracking needs).

Firewalls: pf policies of hosts and VNET jails (and ipfw ``open``/``closed``) decide new connections with
pf's semantics (quick first match, else last match, else the default): "in" on arrival (after redirects),
"out" for what a namespace sends itself; a forwarded connection is decided on the way in (pf's states
float across interfaces); replies pass (state is kept). pf's antispoof and other ipfw types are not
modelled (the lab notes them). Bridged traffic between members of one switch is not filtered (Linux without
br_netfilter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from topology import snapshot as s

from .model import Endpoint, IPv4Address, LabNetwork, Node, NodeIface
from .network import build_network

MAX_HOPS = 8


@dataclass(frozen=True)
class Cell:
    """One expected reachability: ``source`` reaches ``address`` (of ``target``) by ``protocol``/``port``."""

    source: str
    target: str
    address: str
    protocol: str  # icmp | tcp
    port: int | None
    expected: bool
    reason: str

    @property
    def key(self) -> str:
        """A stable text id of the cell."""
        where = f"{self.address}:{self.port}" if self.port else self.address
        return f"{self.source} -> {self.target} {self.protocol} {where}"


@dataclass
class _Path:
    ok: bool
    reason: str
    node: Node | None = None
    dst: IPv4Address | None = None
    port: int | None = None
    src: IPv4Address | None = None
    snat: list[tuple[str, IPv4Address]] = field(default_factory=list)  # (node, original source)
    dnat: list[str] = field(default_factory=list)  # nodes that redirected
    visited: list[str] = field(default_factory=list)


def _l2_neighbor(
    net: LabNetwork, node: Node, out: NodeIface, hop: IPv4Address
) -> tuple[tuple[Node, NodeIface] | None, str]:
    """Who answers ARP for ``hop`` on ``out``'s domain, unless private ports or VXLAN firewalls keep them apart."""
    uplink_private = net.bridge_uplink_isolated
    why = f"{node.name}: nobody answers for {hop} on {out.name}"
    for other in net.nodes.values():
        for i in other.ifaces:
            if i.domain != out.domain or (other is node and i is out):
                continue
            if not any(a.ip == hop for a in i.addresses):
                continue
            if out.bridge and i.bridge and out.bridge == i.bridge:
                blocked = out.isolated and i.isolated
            else:
                blocked = (out.isolated and uplink_private.get(out.bridge or "", False)) or (
                    i.isolated and uplink_private.get(i.bridge or "", False)
                )
            if blocked:
                why = f"{node.name}: private ports keep {hop} apart"
                continue
            tunnel_blocked = _tunnel_blocked(net, out, i)
            if tunnel_blocked:
                why = tunnel_blocked
                continue
            return (other, i), ""
    return None, why


def _tunnel_blocked(net: LabNetwork, a: NodeIface, b: NodeIface) -> str | None:
    """Why the VXLAN packets between the hosts carrying ``a`` and ``b`` are filtered (None: they pass).

    Each direction is a flow of its own (UDP to the peer's port, to the group for broadcasts), so both hosts'
    firewalls must pass VXLAN out of and into their underlay interfaces.
    """
    if not a.via_host or not b.via_host or a.via_host == b.via_host:
        return None
    ends = (net.tunnels.get((a.via_host, a.domain)), net.tunnels.get((b.via_host, b.domain)))
    if ends[0] is None or ends[1] is None:
        return None
    for (x, tx), (y, ty) in (
        ((a.via_host, ends[0]), (b.via_host, ends[1])),
        ((b.via_host, ends[1]), (a.via_host, ends[0])),
    ):
        for dst in [ty.local] + ([tx.group] if tx.group else []):
            fx, fy = net.nodes[x].firewall, net.nodes[y].firewall
            if fx is not None and not fx.allows("out", tx.iface, tx.local, dst, "udp", ty.udp_port)[0]:
                return f"{x}: firewall blocks VXLAN out on {tx.iface} to {dst}:{ty.udp_port}"
            if fy is not None and not fy.allows("in", ty.iface, tx.local, dst, "udp", ty.udp_port)[0]:
                return f"{y}: firewall blocks VXLAN in on {ty.iface} from {tx.local}"
    return None


def _forward(
    net: LabNetwork,
    node: Node,
    src: IPv4Address,
    dst: IPv4Address,
    protocol: str,
    port: int | None,
    *,
    translate: bool = True,
    forwarded: bool = False,
) -> _Path:
    """Follow one packet from ``node`` until it is delivered locally or dropped."""
    path = _Path(ok=False, reason="", src=src)
    ingress: NodeIface | None = None
    hops = 0
    while True:
        path.visited.append(node.name)
        if ingress is not None and translate:
            # Redirects (pf rdr, nftables dnat) translate before filtering, on the interface of arrival.
            if protocol in ("tcp", "udp") and dst in node.local_addresses():
                redirect = next(
                    (r for r in node.redirects if r[0] == ingress.name and r[1] == protocol and r[2] == port), None
                )
                if redirect is not None:
                    dst, port = redirect[3], redirect[4]
                    path.dnat.append(node.name)
            if node.firewall is not None:
                allowed, rule = node.firewall.allows("in", ingress.name, src, dst, protocol, port)
                if not allowed:
                    path.reason = f"{node.name}: firewall blocks in on {ingress.name} ({rule})"
                    return path
        if dst in node.local_addresses():
            path.ok, path.node, path.dst, path.port, path.src = True, node, dst, port, src
            path.reason = "delivered" if not path.snat and not path.dnat else "delivered (translated)"
            return path
        if (hops > 0 or forwarded) and not node.forwards:
            path.reason = f"{node.name} does not forward (gateway_enable off)"
            return path
        route = node.lookup(dst)
        if route is None:
            path.reason = f"{node.name} has no route to {dst}"
            return path
        hop = route.gateway or dst
        out_name = route.iface
        if route.gateway is not None:
            on_link = next((r for r in node.all_routes() if r.gateway is None and hop in r.destination), None)
            if on_link is None:
                path.reason = f"{node.name}: gateway {hop} is not on a connected network"
                return path
            out_name = out_name or on_link.iface
        out = node.iface_named(out_name or "")
        if out is None:
            path.reason = f"{node.name}: no interface {out_name}"
            return path
        if translate and node.firewall is not None and hops == 0 and not forwarded:
            # pf's states float (state-policy floating): a forwarded connection passed "in" is not filtered
            # again on its way out; only what the node itself sends is filtered "out".
            allowed, rule = node.firewall.allows("out", out.name, src, dst, protocol, port)
            if not allowed:
                path.reason = f"{node.name}: firewall blocks out on {out.name} ({rule})"
                return path
        if translate:
            for nat_iface, source in node.nat:
                if nat_iface == out.name and (source is None or src in source) and out.addresses:
                    path.snat.append((node.name, src))
                    src = out.addresses[0].ip
                    break
        neighbor, why = _l2_neighbor(net, node, out, hop)
        if neighbor is None:
            path.reason = why
            return path
        node, ingress = neighbor
        hops += 1
        if hops > MAX_HOPS:
            path.reason = "routing loop"
            return path


def trace(net: LabNetwork, source: Endpoint, dst: IPv4Address, protocol: str, port: int | None) -> tuple[bool, str]:
    """Whether a request from ``source`` to ``dst`` gets its reply, and why (not)."""
    node = net.nodes[source.node]
    src = source.source or _source_address(node, dst)
    if src is None:
        return False, f"{source.name} has no address to send from"
    there = _forward(net, node, src, dst, protocol, port)
    if not there.ok:
        return False, there.reason
    assert there.node is not None and there.dst is not None and there.src is not None
    listens = there.node.tcp_listens
    if protocol == "tcp" and not ({("*", there.port), (str(there.dst), there.port)} & listens):
        return False, f"nothing listens on {there.dst}:{there.port} in {there.node.name}"
    back = _forward(net, there.node, there.dst, there.src, "reply", None, translate=False)
    if not back.ok:
        return False, f"no way back: {back.reason}"
    for nat_node, original in reversed(there.snat):
        if back.node is None or back.node.name != nat_node:
            return False, f"reply does not return through {nat_node}"
        back = _forward(net, back.node, there.dst, original, "reply", None, translate=False, forwarded=True)
        if not back.ok:
            return False, f"no way back after NAT: {back.reason}"
    for dnat_node in there.dnat:
        if dnat_node not in back.visited:
            return False, f"reply bypasses {dnat_node}, which redirected the request"
    return True, there.reason


def _source_address(node: Node, dst: IPv4Address) -> IPv4Address | None:
    """The address Linux picks: the first address of the egress interface (of the on-link route to the hop)."""
    if dst in node.local_addresses():
        return dst
    route = node.lookup(dst)
    if route is None:
        return None
    name = route.iface
    if route.gateway is not None and name is None:
        on_link = next((r for r in node.all_routes() if r.gateway is None and route.gateway in r.destination), None)
        name = on_link.iface if on_link else None
    out = node.iface_named(name or "")
    if out is None or not out.addresses:
        return None
    preferred = [a for a in out.addresses if a.network.prefixlen < 32] or out.addresses
    return preferred[0].ip


def expected_matrix(network: LabNetwork | s.DesignSnapshot, *, sources: set[str] | None = None) -> list[Cell]:
    """Every expected cell of a design's lab, in a stable order (``sources``: only from these endpoints)."""
    net = network if isinstance(network, LabNetwork) else build_network(network)
    cells: list[Cell] = []
    plain_addresses = {a for e in net.endpoints if e.kind == "plain-jail" for a in e.addresses}
    for source in net.endpoints:
        if sources is not None and source.name not in sources:
            continue
        for target in net.endpoints:
            if target.node == source.node:
                continue  # a namespace reaching itself proves nothing
            if source.kind == "internet":
                cells += _internet_cells(net, source, target)
                continue
            addresses = target.addresses
            if target.kind == "host":
                addresses = [a for a in addresses if a not in plain_addresses]
            for address in addresses:
                ok, why = trace(net, source, address, "icmp", None)
                cells.append(Cell(source.name, target.name, str(address), "icmp", None, ok, why))
                for port in target.tcp_ports:
                    ok, why = trace(net, source, address, "tcp", port)
                    cells.append(Cell(source.name, target.name, str(address), "tcp", port, ok, why))
    return cells


def _internet_cells(net: LabNetwork, internet: Endpoint, target: Endpoint) -> list[Cell]:
    """From the stub: the redirects (the internet reaches a target through its host's public address)."""
    cells: list[Cell] = []
    if target.kind != "host":
        return cells
    node = net.nodes[target.node]
    for iface_name, protocol, external, _target, _port in node.redirects:
        if protocol != "tcp":
            continue
        out = node.iface_named(iface_name)
        for a in out.addresses if out else []:
            ok, why = trace(net, internet, a.ip, "tcp", external)
            cells.append(Cell(internet.name, target.name, str(a.ip), "tcp", external, ok, why))
    return cells


__all__ = ["Cell", "expected_matrix", "trace"]
