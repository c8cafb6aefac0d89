"""JN3xx — VXLAN segments: VNIs, multicast groups, unicast peers, local addresses and sockets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ...snapshot import ObjectRef, VxlanMember, VxlanSegment
from .. import refs
from ..findings import Issue, Severity
from ..index import DesignIndex, HostIndex
from ..ip import dotted, is_link_local_multicast, is_multicast, parse_cidr, parse_ip
from ..registry import rule
from .names import duplicates

VNI_MAX = 2**24 - 1  # the VNI is a 24-bit field of the VXLAN header
MULTICAST_GROUPS_PER_SOCKET = 32  # if_vxlan.c VXLAN_SO_MC_MAX_GROUPS


@rule(
    "JN301",
    Severity.ERROR,
    "VNI out of range",
    f"A VXLAN Network Identifier is a 24-bit number; use 1 to {VNI_MAX}.",
)
def vni_out_of_range(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        if not 1 <= segment.vni <= VNI_MAX:
            yield Issue(
                f"VXLAN segment {segment.name} VNI {segment.vni} is outside 1..{VNI_MAX}", (refs.segment_ref(segment),)
            )


@rule(
    "JN302",
    Severity.ERROR,
    "VNI used by two segments",
    "Two VXLAN segments of a design have the same VNI. The VNI is what tells segments apart on the "
    "wire; hosts in both would join them into one layer 2 network (or refuse the second interface).",
    scope="design",
)
def duplicate_vni(index: DesignIndex) -> Iterator[Issue]:
    for group in duplicates(index.snapshot.vxlan_segments, lambda seg: seg.vni):
        yield Issue(
            f"VNI {group[0].vni} is used by VXLAN segments {', '.join(seg.name for seg in group)}",
            tuple(refs.segment_ref(seg) for seg in group),
        )


@rule(
    "JN303",
    Severity.ERROR,
    "Invalid multicast group",
    "A multicast-mode segment's group must be an IPv4 multicast address (224.0.0.0/4) outside the "
    "link-local block 224.0.0.0/24, which is reserved for protocols such as IGMP and OSPF. The "
    "administratively scoped 239.0.0.0/8 is the usual choice (239.0.0.111 in the article).",
)
def invalid_multicast_group(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        if segment.mode != "multicast" or not segment.multicast_group:
            continue
        group = parse_ip(segment.multicast_group)
        if group is None:
            continue  # JN201
        if not is_multicast(group):
            problem = "is not a multicast address (224.0.0.0/4)"
        elif is_link_local_multicast(group):
            problem = "is in the link-local block 224.0.0.0/24"
        else:
            continue
        yield Issue(
            f"VXLAN segment {segment.name} multicast group {segment.multicast_group} {problem}",
            (refs.segment_ref(segment),),
        )


@rule(
    "JN304",
    Severity.WARNING,
    "Multicast group shared by segments",
    "Two segments use the same multicast group. vxlan(4) keeps them apart by VNI, so it works, but "
    "every host of either segment receives the other segment's broadcasts and unknown-unicast floods.",
    scope="design",
)
def shared_multicast_group(index: DesignIndex) -> Iterator[Issue]:
    segments = [seg for seg in index.snapshot.vxlan_segments if seg.mode == "multicast" and seg.multicast_group]
    for group in duplicates(segments, lambda seg: parse_ip(seg.multicast_group) or seg.multicast_group):
        yield Issue(
            f"multicast group {group[0].multicast_group} is used by VXLAN segments "
            f"{', '.join(seg.name for seg in group)}",
            tuple(refs.segment_ref(seg) for seg in group),
        )


@rule(
    "JN305",
    Severity.ERROR,
    "Multicast segment without a group",
    "A segment in multicast mode needs a multicast group (``vxlangroup``) to flood broadcasts and "
    "unknown destinations to.",
)
def missing_multicast_group(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        if segment.mode == "multicast" and not segment.multicast_group:
            yield Issue(
                f"VXLAN segment {segment.name} is in multicast mode but has no multicast group",
                (refs.segment_ref(segment),),
            )


@rule(
    "JN306",
    Severity.ERROR,
    "Unicast member without a remote",
    "In unicast mode vxlan(4) tunnels to exactly one remote host (``vxlanremote``); every member needs "
    "one. A host talking to several peers has one member (interface) per peer, bridged on one switch.",
)
def unicast_member_without_remote(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        if segment.mode != "unicast":
            continue
        for member in segment.members:
            if not member.remote_address:
                yield Issue(
                    f"{member.host} {member.interface_name} of unicast VXLAN segment {segment.name} has no "
                    f"remote address",
                    (refs.member_ref(segment, member),),
                )


def _local_addresses(index: DesignIndex, segment: VxlanSegment) -> dict[int, VxlanMember]:
    result: dict[int, VxlanMember] = {}
    for member in segment.members:
        hi = index.hosts.get(member.host)
        local = hi.local_address(member) if hi else None
        if local is not None:
            result.setdefault(local, member)
    return result


@rule(
    "JN307",
    Severity.ERROR,
    "Unicast remote is not a member of the segment",
    "A unicast member's remote address must be the local address of another member of the same "
    "segment (on another host); otherwise the tunnel leads nowhere the design knows.",
)
def remote_not_a_member(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        if segment.mode != "unicast":
            continue
        locals_ = _local_addresses(index, segment)
        for member in segment.members:
            remote = parse_ip(member.remote_address)
            if remote is None:
                continue
            peer = locals_.get(remote)
            if peer is None:
                problem = f"is not the local address of any member of VXLAN segment {segment.name}"
            elif peer.host == member.host:
                problem = f"is an address of {member.host} itself"
            else:
                continue
            yield Issue(
                f"{member.host} {member.interface_name} remote {member.remote_address} {problem}",
                (refs.member_ref(segment, member),),
            )


@rule(
    "JN308",
    Severity.WARNING,
    "Unicast tunnel is one-way",
    "Member A's remote is member B, but B's remote is not A: traffic from A reaches B, but B sends its "
    "traffic elsewhere. Unicast tunnels are configured in pairs.",
)
def one_way_unicast_tunnel(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        if segment.mode != "unicast":
            continue
        locals_ = _local_addresses(index, segment)
        # Members by host, so a hub's several members count as one end.
        remotes_by_host: dict[str, set[int]] = defaultdict(set)
        local_by_member: dict[int, int | None] = {}
        for member in segment.members:
            hi = index.hosts.get(member.host)
            local_by_member[id(member)] = hi.local_address(member) if hi else None
            remote = parse_ip(member.remote_address)
            if remote is not None:
                remotes_by_host[member.host].add(remote)
        for member in segment.members:
            remote = parse_ip(member.remote_address)
            peer = locals_.get(remote) if remote is not None else None
            local = local_by_member[id(member)]
            if peer is None or peer.host == member.host or local is None:
                continue
            if local not in remotes_by_host.get(peer.host, set()):
                yield Issue(
                    f"{member.host} {member.interface_name} tunnels to {peer.host} ({member.remote_address}), "
                    f"but no member on {peer.host} tunnels back to {dotted(local)}",
                    (refs.member_ref(segment, member), refs.member_ref(segment, peer)),
                )


@rule(
    "JN309",
    Severity.WARNING,
    "Setting ignored in this VXLAN mode",
    "A multicast group on a unicast segment, or a remote address on a member of a multicast segment, "
    "is not used (``vxlangroup`` and ``vxlanremote`` set the same field of vxlan(4)).",
)
def setting_ignored_by_mode(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        if segment.mode == "unicast" and segment.multicast_group:
            yield Issue(
                f"VXLAN segment {segment.name} is in unicast mode; its multicast group {segment.multicast_group} "
                "is ignored",
                (refs.segment_ref(segment),),
            )
        if segment.mode == "multicast":
            for member in segment.members:
                if member.remote_address:
                    yield Issue(
                        f"{member.host} {member.interface_name} remote {member.remote_address} is ignored: segment "
                        f"{segment.name} is in multicast mode",
                        (refs.member_ref(segment, member),),
                    )


@rule(
    "JN310",
    Severity.ERROR,
    "VXLAN member without a usable local address",
    "Each member needs a local address (``vxlanlocal``): its own local_address, or the static address "
    "of its underlay interface. It must be an address of that host and not a multicast address.",
)
def member_local_address(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        for member in segment.members:
            hi = index.hosts.get(member.host)
            if hi is None:
                continue  # JN711
            ref = refs.member_ref(segment, member)
            what = f"{member.host} {member.interface_name}"
            if not member.local_address:
                underlay = hi.interfaces.get(member.underlay_interface)
                if underlay is not None and parse_cidr(underlay.address) is None:
                    how = "gets its address by DHCP" if underlay.dhcp else "has no static address"
                    yield Issue(
                        f"{what} has no local address and its underlay {underlay.name} {how}; set local_address",
                        (ref,),
                    )
                continue
            local = parse_ip(member.local_address)
            if local is None:
                continue  # JN201
            if is_multicast(local):
                yield Issue(f"{what} local address {member.local_address} cannot be multicast", (ref,))
            elif not hi.uses_dhcp and local not in _host_addresses(hi):
                yield Issue(f"{what} local address {member.local_address} is not an address of {member.host}", (ref,))


def _host_addresses(hi: HostIndex) -> set[int]:
    addresses = set()
    for interface in hi.interfaces.values():
        cidr = parse_cidr(interface.address)
        if cidr is not None:
            addresses.add(cidr.ip)
    for switch in hi.switches.values():
        cidr = parse_cidr(switch.address)
        if cidr is not None:
            addresses.add(cidr.ip)
    return addresses


@rule(
    "JN311",
    Severity.ERROR,
    "Same VNI twice on one VXLAN socket",
    "vxlan(4) shares one UDP socket between interfaces with the same local address and port, and each "
    "interface of a socket must carry a different VNI: the second is refused with 'network identifier "
    "N already exists in this socket'. Two members of one segment on one host need different local addresses.",
)
def vni_twice_on_socket(index: DesignIndex) -> Iterator[Issue]:
    sockets: dict[tuple[str, int, int, int], list[tuple[VxlanSegment, VxlanMember]]] = defaultdict(list)
    for segment in index.snapshot.vxlan_segments:
        for member in segment.members:
            hi = index.hosts.get(member.host)
            local = hi.local_address(member) if hi else None
            if local is not None:
                sockets[(member.host, local, segment.udp_port, segment.vni)].append((segment, member))
    for (host, local, port, vni), group in sockets.items():
        if len(group) > 1:
            names = ", ".join(m.interface_name for _, m in group)
            yield Issue(
                f"{host} has {len(group)} VXLAN interfaces with VNI {vni} on {dotted(local)}:{port} ({names})",
                tuple(refs.member_ref(seg, m) for seg, m in group),
            )


@rule(
    "JN312",
    Severity.ERROR,
    "Too many multicast groups on one VXLAN socket",
    f"vxlan(4) joins at most {MULTICAST_GROUPS_PER_SOCKET} multicast groups per socket (local address "
    "and port); more multicast segments on one host need another local address or UDP port.",
)
def too_many_groups_on_socket(index: DesignIndex) -> Iterator[Issue]:
    groups: dict[tuple[str, int, int], set[int]] = defaultdict(set)
    members: dict[tuple[str, int, int], list[ObjectRef]] = defaultdict(list)
    for segment in index.snapshot.vxlan_segments:
        group = parse_ip(segment.multicast_group) if segment.mode == "multicast" else None
        if group is None:
            continue
        for member in segment.members:
            hi = index.hosts.get(member.host)
            local = hi.local_address(member) if hi else None
            if local is not None:
                groups[(member.host, local, segment.udp_port)].add(group)
                members[(member.host, local, segment.udp_port)].append(refs.member_ref(segment, member))
    for key, joined in groups.items():
        if len(joined) > MULTICAST_GROUPS_PER_SOCKET:
            host, local, port = key
            yield Issue(
                f"{host} joins {len(joined)} multicast groups on {dotted(local)}:{port}; vxlan(4) allows "
                f"{MULTICAST_GROUPS_PER_SOCKET}",
                tuple(members[key]),
            )


@rule(
    "JN313",
    Severity.WARNING,
    "VXLAN segment with fewer than two members",
    "A segment with one member (or none) connects nothing to anything.",
)
def lonely_segment(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        hosts = {m.host for m in segment.members}
        if len(hosts) < 2:
            yield Issue(
                f"VXLAN segment {segment.name} has members on {len(hosts)} host(s); it needs at least two",
                (refs.segment_ref(segment),),
            )


@rule(
    "JN314",
    Severity.ERROR,
    "VXLAN UDP port out of range",
    "The VXLAN UDP port must be 1 to 65535 (IANA's VXLAN port is 4789, the default).",
)
def udp_port_out_of_range(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        if not 1 <= segment.udp_port <= 65535:
            yield Issue(
                f"VXLAN segment {segment.name} UDP port {segment.udp_port} is outside 1..65535",
                (refs.segment_ref(segment),),
            )


@rule(
    "JN315",
    Severity.ERROR,
    "Layer 2 loop through VXLAN",
    "Bridges joined by VXLAN must form a tree. When the bridges and the tunnels between them make a cycle — "
    "three hosts whose bridges are joined pairwise by unicast VXLAN, or two segments between the same two "
    "bridges — every broadcast (ARP, DHCP) circles the loop for ever and the network melts down: "
    "if_bridge(4) forwards it out of every other member, and vxlan(4) has no loop protection. Make one host "
    "the hub (a spoke's bridge has a tunnel to the hub only), or use one multicast segment for all of them.",
)
def layer2_loops(index: DesignIndex) -> Iterator[Issue]:
    parent: dict[tuple, tuple] = {}

    def find(node: tuple) -> tuple:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for segment in index.snapshot.vxlan_segments:
        for member in segment.members:
            hi = index.hosts.get(member.host)
            if hi is None or not member.switch or member.switch not in hi.switches:
                continue
            bridge = ("bridge", member.host, member.switch)
            if segment.mode == "unicast":  # each member is one point-to-point tunnel, local <-> remote
                local = hi.local_address(member)
                remote = parse_ip(member.remote_address) if member.remote_address else None
                link: tuple = ("tunnel", segment.name, frozenset({local, remote}))
            else:  # one multicast group: a hub all members hang off
                link = ("segment", segment.name)
            a, b = find(bridge), find(link)
            if a == b:
                yield Issue(
                    f"{member.host} {member.interface_name} closes a loop: switch {member.switch} already "
                    f"reaches segment {segment.name} through other bridges and tunnels",
                    (refs.member_ref(segment, member),),
                )
            else:
                parent[a] = b
