"""Host networking: interfaces, VLANs, loopbacks, VXLAN, static routes and bridges (switches).

Values are written as the article writes them: host interfaces with a bare CIDR
(``ifconfig_em0_101="10.1.1.1/24"``), VXLAN interfaces and bridges with ``inet``
(``ifconfig_vxlan111="inet 10.0.111.10/24 mtu 1450"``, ``ifconfig_switch111="inet 10.0.111.12/32 addm vxlan111"``).
"""

from __future__ import annotations

from ...snapshot import Interface
from .context import DEFAULT_VXLAN_PORT, HostContext, Member
from .plan import HostPlan, command_line, rc_name, value_words


def _interface_value(interface: Interface, is_port: bool) -> str | None:
    """The ``ifconfig_<if>`` value of a physical, VLAN or loopback interface, or None when nothing is set."""
    if interface.dhcp:
        words = ["DHCP"]
    elif interface.address:
        words = [interface.address]
    else:
        words = []
    if interface.mtu:
        words.append(f"mtu {interface.mtu}")
    if not words and (is_port or interface.kind == "vlan"):
        words = ["up"]  # bridge members must be up to pass traffic (if_bridge(4))
    return " ".join(words) or None


def _up(value: str) -> str:
    return value if value.endswith("up") or value == "DHCP" else f"{value} up"


def plan_interfaces(plan: HostPlan, ctx: HostContext) -> None:
    """Physical, VLAN and loopback interfaces and the default router."""
    host = ctx.host
    if not host.interfaces and not host.default_router:
        return
    ports = {port.interface for switch in host.switches for port in switch.ports}
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
    for interface in host.interfaces:
        value = _interface_value(interface, interface.name in ports)
        if interface.kind == "vlan" and interface.parent and interface.vlan_tag:
            if interface.name == f"{interface.parent}.{interface.vlan_tag}":
                now.append(command_line("ifconfig", interface.name, "create"))
            else:  # a semantically named VLAN interface (rc.conf(5): vlans_em0="vlan0", create_args_vlan0)
                section.sysrc(f"create_args_{rc_name(interface.name)}", f"vlan {interface.vlan_tag}")
                now.append(
                    command_line(
                        "ifconfig", interface.name, "create", "vlan", interface.vlan_tag, "vlandev", interface.parent
                    )
                )
        elif interface.kind == "loopback":
            now.append(command_line("ifconfig", interface.name, "create"))
        if value:
            section.sysrc(f"ifconfig_{rc_name(interface.name)}", value)
            if interface.kind != "physical":
                now.append(command_line("ifconfig", interface.name, *_up(value).split()))
        if interface.description:
            section.sysrc(f"ifconfig_{rc_name(interface.name)}_descr", interface.description)
    if host.default_router:
        section.sysrc("defaultrouter", host.default_router)
    for command in now:
        section.run(command)


def _create_args(ctx: HostContext, segment_member: Member) -> str:
    segment, member = segment_member
    words = [f"vxlanid {segment.vni}"]
    local = ctx.local_address(member)
    if local:
        words.append(f"vxlanlocal {local}")
    if segment.mode == "unicast":
        if member.remote_address:
            words.append(f"vxlanremote {member.remote_address}")
    else:
        words.append(f"vxlandev {member.underlay_interface}")
        if segment.multicast_group:
            words.append(f"vxlangroup {segment.multicast_group}")
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
    for segment, member in ctx.members:
        name, clone = member.interface_name, ctx.vxlan_clones[member.interface_name]
        if clone != name:  # only vxlanN can be cloned; rc.d/netif renames it right after (ifnet_rename)
            section.sysrc(f"ifconfig_{rc_name(clone)}_name", name)
        value = f"inet {member.address} mtu {segment.mtu}" if member.address else f"mtu {segment.mtu} up"
        args = _create_args(ctx, (segment, member))
        section.sysrc(f"ifconfig_{rc_name(name)}", value)
        section.sysrc(f"create_args_{rc_name(clone)}", args)
        now.append(command_line("ifconfig", clone, "create", *args.split()))
        if clone != name:
            now.append(command_line("ifconfig", clone, "name", name))
        now.append(command_line("ifconfig", name, *_up(value).split()))
    for command in now:
        section.run(command)


def plan_routes(plan: HostPlan, ctx: HostContext) -> None:
    """Static routes: one per multicast group out of its underlay interface, then the design's routes."""
    routes: dict[str, str] = {}
    for segment, member in ctx.members:
        if segment.mode == "multicast" and segment.multicast_group and member.group_route:
            routes.setdefault(
                member.interface_name, f"{segment.multicast_group}/32 -interface {member.underlay_interface}"
            )
    for route in ctx.host.static_routes:
        target = route.gateway if route.gateway else f"-interface {route.interface}"
        routes.setdefault(route.name, f"{route.destination} {target}")
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
    for switch in bridges:
        clone = ctx.bridge_clones[switch.name]
        if clone != switch.name:
            section.sysrc(f"ifconfig_{clone}_name", switch.name)
        words = [f"inet {switch.address}"] if switch.address else []
        if switch.mtu:
            words.append(f"mtu {switch.mtu}")
        private: list[str] = []
        for _, member in ctx.members_by_switch.get(switch.name, ()):
            words.append(f"addm {member.interface_name}")
            if member.private:
                private.append(member.interface_name)
        for port in switch.ports:
            words.append(f"addm {port.interface}")
            if port.private:
                private.append(port.interface)
        words += [f"private {name}" for name in private]
        value = " ".join(words) or "up"
        section.sysrc(f"ifconfig_{rc_name(switch.name)}", value)
        now.append(command_line("ifconfig", clone, "create"))
        if clone != switch.name:
            now.append(command_line("ifconfig", clone, "name", switch.name))
        now.append(command_line("ifconfig", switch.name, *_up(value).split()))
    for command in now:
        section.run(command)
