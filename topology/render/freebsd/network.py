"""Host networking: interfaces, VLANs, loopbacks, VXLAN, static routes and bridges (switches).

Values are written as the article writes them: host interfaces with a bare CIDR
(``ifconfig_em0_101="10.1.1.1/24"``), VXLAN interfaces and bridges with ``inet``
(``ifconfig_vxlan111="inet 10.0.111.10/24 mtu 1450"``, ``ifconfig_switch111="inet 10.0.111.12/32 addm vxlan111"``).
"""

from __future__ import annotations

from ...snapshot import Interface
from .context import DEFAULT_VXLAN_PORT, HostContext, Member
from .plan import HostPlan, command_line, conf_word, q, rc_name, value_words


def _interface_value(interface: Interface, must_be_up: bool, *, address: bool = True) -> str | None:
    """The ``ifconfig_<if>`` value of a physical, VLAN or loopback interface, or None when nothing is set.

    ``must_be_up``: a bridge member or a VLAN parent. rc(8) brings an interface up only for an address or
    DHCP; a member without one passes no traffic (if_bridge(4)), and a parent left down drops its VLANs'
    frames (vlan(4): the parent must be up), so these get an explicit ``up``.
    """
    if interface.dhcp:
        words = ["DHCP"]
    elif interface.address and address:
        words = [conf_word(interface.address)]
    else:
        words = []
    if interface.mtu:
        words.append(f"mtu {interface.mtu}")
    if (must_be_up or interface.kind == "vlan") and words[:1] != ["DHCP"] and not (interface.address and address):
        words.append("up")
    return " ".join(words) or None


def member_ifaddrs_refused(ctx: HostContext) -> bool:
    """FreeBSD 15 refuses addresses on bridge members (if_bridge(4): EINVAL unless
    ``net.link.bridge.member_ifaddrs=1``, a sysctl FreeBSD 16 removes): such addresses go on the bridge."""
    major = ctx.host.release.split(".", 1)[0].split("-", 1)[0]
    return major.isdigit() and int(major) >= 15


def moved_member_addresses(ctx: HostContext) -> dict[str, list[str]]:
    """On FreeBSD 15 and later: switch name -> the addresses of its members, which the bridge carries instead."""
    if not member_ifaddrs_refused(ctx):
        return {}
    moved: dict[str, list[str]] = {}
    for switch in ctx.host.switches:
        if switch.kind != "bridge":
            continue
        for port in switch.ports:
            interface = ctx.interfaces.get(port.interface)
            if interface is not None and interface.address:
                moved.setdefault(switch.name, []).append(interface.address)
        for _, member in ctx.members_by_switch.get(switch.name, ()):
            if member.address:
                moved.setdefault(switch.name, []).append(member.address)
    return moved


def _moved_interfaces(ctx: HostContext) -> set[str]:
    if not member_ifaddrs_refused(ctx):
        return set()
    names = {p.interface for s in ctx.host.switches if s.kind == "bridge" for p in s.ports}
    return names | {m.interface_name for s in ctx.host.switches for _, m in ctx.members_by_switch.get(s.name, ())}


def _up(value: str) -> str:
    return value if value.endswith("up") or value == "DHCP" else f"{value} up"


def plan_interfaces(plan: HostPlan, ctx: HostContext) -> None:
    """Physical, VLAN and loopback interfaces and the default router."""
    host = ctx.host
    if not host.interfaces and not host.default_router:
        return
    ports = {port.interface for switch in host.switches for port in switch.ports}
    parents = {i.parent for i in host.interfaces if i.kind == "vlan" and i.parent}
    moved = _moved_interfaces(ctx)
    section = plan.section("Host interfaces")
    loopbacks = [i.name for i in host.interfaces if i.kind == "loopback"]
    if loopbacks:
        section.sysrc("cloned_interfaces", " ".join(loopbacks), append=True)
    vlans: dict[str, list[str]] = {}  # parent -> vlans_<parent> words: "101" (em0.101) or a name (vlan0)
    for interface in host.interfaces:
        if interface.kind == "vlan" and interface.parent and interface.vlan_tag:
            numeric = interface.name == f"{interface.parent}.{interface.vlan_tag}"
            vlans.setdefault(interface.parent, []).append(str(interface.vlan_tag) if numeric else interface.name)
    for parent, words in vlans.items():
        section.sysrc(f"vlans_{rc_name(parent)}", " ".join(words), append=True)
    now: list[str] = []
    declared = {i.name for i in host.interfaces}
    for parent in sorted(parents - declared):  # a parent the design does not list: still brought up
        section.sysrc(f"ifconfig_{rc_name(parent)}", "up")
        now.append(command_line("ifconfig", parent, "up"))
    for interface in host.interfaces:
        value = _interface_value(
            interface, interface.name in ports or interface.name in parents, address=interface.name not in moved
        )
        if interface.kind == "vlan" and interface.parent and interface.vlan_tag:
            if interface.name == f"{interface.parent}.{interface.vlan_tag}":
                now.append(_create_once(interface.name, command_line("ifconfig", interface.name, "create")))
            else:  # a semantically named VLAN interface (rc.conf(5): vlans_em0="vlan0", create_args_vlan0)
                section.sysrc(f"create_args_{rc_name(interface.name)}", f"vlan {interface.vlan_tag}")
                create = command_line(
                    "ifconfig", interface.name, "create", "vlan", interface.vlan_tag, "vlandev", interface.parent
                )
                now.append(_create_once(interface.name, create))
        elif interface.kind == "loopback":
            now.append(_create_once(interface.name, command_line("ifconfig", interface.name, "create")))
        if value:
            section.sysrc(f"ifconfig_{rc_name(interface.name)}", value)
            if interface.kind != "physical" or (interface.name in parents and value.endswith("up")):
                now.append(command_line("ifconfig", interface.name, *_up(value).split()))
        if interface.description:
            section.sysrc(f"ifconfig_{rc_name(interface.name)}_descr", interface.description)
    if host.default_router:
        section.sysrc("defaultrouter", host.default_router)
    for command in now:
        section.run(command)


def _create_once(name: str, create: str) -> str:
    """Create a cloned interface unless it exists (a re-run of the script would fail on ``File exists``)."""
    return f"ifconfig {q(name)} >/dev/null 2>&1 || {create}"


def _create_args(ctx: HostContext, segment_member: Member) -> str:
    segment, member = segment_member
    words = [f"vxlanid {segment.vni}"]
    local = ctx.local_address(member)
    if local:
        words.append(f"vxlanlocal {conf_word(local)}")
    if segment.mode == "unicast":
        if member.remote_address:
            words.append(f"vxlanremote {conf_word(member.remote_address)}")
    else:
        words.append(f"vxlandev {conf_word(member.underlay_interface)}")
        if segment.multicast_group:
            words.append(f"vxlangroup {conf_word(segment.multicast_group)}")
    if segment.udp_port != DEFAULT_VXLAN_PORT:
        words.append(f"vxlanlocalport {segment.udp_port} vxlanremoteport {segment.udp_port}")
    return " ".join(words)


def plan_vxlan(plan: HostPlan, ctx: HostContext) -> None:
    """vxlan(4) interfaces: cloned with their ``create_args``, addressed with the segment's MTU."""
    if not ctx.members:
        return
    section = plan.section("VXLAN interfaces")
    clones = [ctx.vxlan_clones[m.interface_name] for _, m in ctx.members]
    section.sysrc("cloned_interfaces", " ".join(clones), append=True)
    now: list[str] = []
    moved = _moved_interfaces(ctx)
    for segment, member in ctx.members:
        name, clone = member.interface_name, ctx.vxlan_clones[member.interface_name]
        if clone != name:  # only vxlanN can be cloned; rc.d/netif renames it right after (ifnet_rename)
            section.sysrc(f"ifconfig_{rc_name(clone)}_name", name)
        addressed = member.address and name not in moved
        value = f"inet {conf_word(member.address)} mtu {segment.mtu}" if addressed else f"mtu {segment.mtu} up"
        args = _create_args(ctx, (segment, member))
        section.sysrc(f"ifconfig_{rc_name(name)}", value)
        section.sysrc(f"create_args_{rc_name(clone)}", args)
        if clone == name:
            now.append(_create_once(name, command_line("ifconfig", clone, "create", *args.split())))
        else:  # the live script lets the kernel pick the unit: vxlanN may be taken by now
            now.append(_create_once(name, command_line("ifconfig", "vxlan", "create", *args.split(), "name", name)))
        now.append(command_line("ifconfig", name, *_up(value).split()))
    for command in now:
        section.run(command)


def plan_routes(plan: HostPlan, ctx: HostContext) -> None:
    """Static routes: one per multicast group out of its underlay interface, then the design's routes."""
    routes: dict[str, str] = {}
    for segment, member in ctx.members:
        if segment.mode == "multicast" and segment.multicast_group and member.group_route:
            routes.setdefault(
                member.interface_name,
                f"{conf_word(segment.multicast_group)}/32 -interface {conf_word(member.underlay_interface)}",
            )
    for route in ctx.host.static_routes:
        target = conf_word(route.gateway) if route.gateway else f"-interface {conf_word(route.interface)}"
        routes.setdefault(route.name, f"{conf_word(route.destination)} {target}")
    if not routes:
        return
    group_routes = any(segment.mode == "multicast" for segment, _ in ctx.members)
    section = plan.section("Static routes" + (" (VXLAN multicast groups first)" if group_routes else ""))
    section.sysrc("static_routes", " ".join(routes), append=True)
    for name, value in routes.items():
        section.sysrc(f"route_{rc_name(name)}", value)
    for value in routes.values():
        section.cmd("route", "add", *value_words(value))


def plan_bridges(plan: HostPlan, ctx: HostContext) -> None:
    """Switches of kind ``bridge``: cloned as bridgeN in name order, renamed, addressed, members added."""
    bridges = [s for s in sorted(ctx.host.switches, key=lambda s: s.name) if s.kind == "bridge"]
    if not bridges:
        return
    section = plan.section("Switches (bridge interfaces)")
    section.sysrc("cloned_interfaces", " ".join(ctx.bridge_clones[s.name] for s in bridges), append=True)
    now: list[str] = []
    moved = moved_member_addresses(ctx)
    for switch in bridges:
        clone = ctx.bridge_clones[switch.name]
        if clone != switch.name:
            section.sysrc(f"ifconfig_{clone}_name", switch.name)
        addresses = ([switch.address] if switch.address else []) + moved.get(switch.name, [])
        words = [f"inet {conf_word(addresses[0])}"] if addresses else []
        if switch.mtu:
            words.append(f"mtu {switch.mtu}")
        private: list[str] = []
        for _, member in ctx.members_by_switch.get(switch.name, ()):
            words.append(f"addm {conf_word(member.interface_name)}")
            if member.private:
                private.append(member.interface_name)
        for port in switch.ports:
            words.append(f"addm {conf_word(port.interface)}")
            if port.private:
                private.append(port.interface)
        words += [f"private {conf_word(name)}" for name in private]
        value = " ".join(words) or "up"
        section.sysrc(f"ifconfig_{rc_name(switch.name)}", value)
        if clone == switch.name:
            now.append(_create_once(switch.name, command_line("ifconfig", clone, "create")))
        else:  # the live script lets the kernel pick the unit: iocage, pot or vm-bhyve may hold bridge0 by now
            now.append(_create_once(switch.name, command_line("ifconfig", "bridge", "create", "name", switch.name)))
        now.append(command_line("ifconfig", switch.name, *_up(value).split()))
        for position, address in enumerate(addresses[1:]):
            if position == 0:
                section.note("FreeBSD 15 refuses addresses on bridge members: the bridge carries them")
            section.sysrc(f"ifconfig_{rc_name(switch.name)}_alias{position}", f"inet {conf_word(address)}")
            now.append(command_line("ifconfig", switch.name, "inet", address, "alias"))
    for command in now:
        section.run(command)
