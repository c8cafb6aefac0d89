"""JN7xx — tools a host must have, and references to switches, interfaces and hosts that must exist."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from ...snapshot import ObjectRef
from .. import refs
from ..findings import Issue, Severity
from ..index import DesignIndex
from ..registry import rule
from .names import duplicates

VLAN_TAG_MAX = 4094  # 802.1Q: 0 and 4095 are reserved
_DOTTED_VLAN = re.compile(r"(.+)\.(\d+)")


@rule(
    "JN701",
    Severity.ERROR,
    "Tool used but not installed on the host",
    "Objects managed by a package need that package in the host's ``tools``: iocage or pot for jails "
    "they manage, vm-bhyve for VMs and vm-bhyve switches, pot for pot's bridge and pot NAT, dnsmasq "
    "for DHCP services.",
    scope="host",
)
def undeclared_tools(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        users: dict[str, list[ObjectRef]] = defaultdict(list)
        for jail in host.jails:
            if jail.manager in ("iocage", "pot"):
                users[jail.manager].append(refs.jail_ref(host, jail))
        for vm in host.vms:
            users["vm-bhyve"].append(refs.vm_ref(host, vm))
        for switch in host.switches:
            if switch.kind == "vm-switch":
                users["vm-bhyve"].append(refs.switch_ref(host, switch))
            elif switch.kind == "pot-bridge":
                users["pot"].append(refs.switch_ref(host, switch))
        for service in host.dhcp:
            users["dnsmasq"].append(refs.dhcp_ref(host, service))
        for position, nat in enumerate(host.nat):
            if nat.engine == "pot":
                users["pot"].append(refs.nat_ref(host, position, nat))
        for tool in sorted(users):
            if tool not in host.tools:
                objects = users[tool]
                names = ", ".join(ref.path.split("/")[-1] for ref in objects[:5])
                more = f" and {len(objects) - 5} more" if len(objects) > 5 else ""
                yield Issue(f"{host.name} uses {tool} ({names}{more}) but {tool} is not in its tools", tuple(objects))


@rule(
    "JN710",
    Severity.ERROR,
    "NIC on a switch the host does not have",
    "A VNET jail NIC or VM NIC names a switch that does not exist on the jail's or VM's host.",
    scope="host",
)
def nic_on_unknown_switch(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        known = ", ".join(sorted(hi.switches)) or "none"
        for jail in host.jails:
            for nic in jail.nics:
                if nic.switch not in hi.switches:
                    yield Issue(
                        f"{jail.name} NIC {nic.name} is on switch {nic.switch}, which {host.name} does not have "
                        f"(switches: {known})",
                        (refs.jail_nic_ref(host, jail, nic),),
                    )
        for vm in host.vms:
            for position, vm_nic in enumerate(vm.nics):
                if vm_nic.switch not in hi.switches:
                    yield Issue(
                        f"VM {vm.name} NIC {position} is on switch {vm_nic.switch}, which {host.name} does not have "
                        f"(switches: {known})",
                        (refs.vm_nic_ref(host, vm, position, vm_nic),),
                    )


@rule(
    "JN711",
    Severity.ERROR,
    "VXLAN member refers to something missing",
    "A VXLAN member must name a host of the design, an interface of that host as its underlay "
    "(``vxlandev``), and, when bridged, a switch of that host.",
)
def member_references(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        for member in segment.members:
            ref = refs.member_ref(segment, member)
            hi = index.hosts.get(member.host)
            what = f"VXLAN segment {segment.name} member {member.interface_name}"
            if hi is None:
                yield Issue(f"{what} is on host {member.host}, which is not in the design", (ref,))
                continue
            if member.underlay_interface not in hi.interfaces:
                yield Issue(
                    f"{what} on {member.host} uses underlay {member.underlay_interface}, which {member.host} does not "
                    f"have (interfaces: {', '.join(hi.interfaces) or 'none'})",
                    (ref,),
                )
            if member.switch and member.switch not in hi.switches:
                yield Issue(f"{what} on {member.host} joins switch {member.switch}, which does not exist there", (ref,))


@rule(
    "JN712",
    Severity.ERROR,
    "Plain jail address on an interface the host does not have",
    "A plain jail's alias names an interface of its host: a physical, VLAN or loopback interface, a "
    "VXLAN interface or a switch.",
    scope="host",
)
def alias_on_unknown_interface(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        for jail in host.jails:
            for position, alias in enumerate(jail.addresses):
                if alias.interface and not hi.has_interface(alias.interface):
                    yield Issue(
                        f"plain jail {jail.name} address {alias.address} is on {alias.interface}, which {host.name} "
                        f"does not have (interfaces: {', '.join(hi.interface_names()) or 'none'})",
                        (refs.jail_address_ref(host, jail, position, alias),),
                    )


@rule(
    "JN713",
    Severity.ERROR,
    "Invalid switch port",
    "A switch port must be a physical or VLAN interface of the host (not a loopback), and an interface "
    "can be a member of only one bridge.",
    scope="host",
)
def switch_port_problems(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        ports = [(sw, port) for sw in hi.switches.values() for port in sw.ports]
        for switch, port in ports:
            interface = hi.interfaces.get(port.interface)
            ref = refs.switch_port_ref(host, switch, port)
            if interface is None:
                yield Issue(
                    f"{host.name} {switch.interface_name} port {port.interface} is not an interface of the host", (ref,)
                )
            elif interface.kind == "loopback":
                yield Issue(
                    f"{host.name} {switch.interface_name} port {port.interface} is a loopback interface", (ref,)
                )
        for group in duplicates(ports, lambda sp: sp[1].interface):
            switches = sorted({sw.interface_name for sw, _ in group})
            if len(switches) > 1:
                yield Issue(
                    f"{host.name} {group[0][1].interface} is a port of {len(switches)} switches "
                    f"({', '.join(switches)}); "
                    "an interface can join one bridge",
                    tuple(refs.switch_port_ref(host, sw, p) for sw, p in group),
                )


@rule(
    "JN714",
    Severity.ERROR,
    "VLAN interface without parent or tag",
    f"A VLAN interface needs a parent interface of the host (``vlans_em0``) and a tag from 1 to {VLAN_TAG_MAX}.",
    scope="host",
)
def vlan_definition(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        for interface in hi.interfaces.values():
            if interface.kind != "vlan":
                continue
            ref = refs.interface_ref(host, interface)
            if not interface.parent:
                yield Issue(f"{host.name} VLAN interface {interface.name} has no parent interface", (ref,))
            elif interface.parent not in hi.interfaces:
                yield Issue(
                    f"{host.name} VLAN interface {interface.name} parent {interface.parent} is not on the host", (ref,)
                )
            elif hi.interfaces[interface.parent].kind == "loopback":
                yield Issue(
                    f"{host.name} VLAN interface {interface.name} parent {interface.parent} is a loopback", (ref,)
                )
            if interface.vlan_tag is None:
                yield Issue(f"{host.name} VLAN interface {interface.name} has no VLAN tag", (ref,))
            elif not 1 <= interface.vlan_tag <= VLAN_TAG_MAX:
                yield Issue(
                    f"{host.name} VLAN interface {interface.name} tag {interface.vlan_tag} is outside "
                    f"1..{VLAN_TAG_MAX}",
                    (ref,),
                )


@rule(
    "JN715",
    Severity.ERROR,
    "VLAN interface name does not match parent and tag",
    'rc.conf creates ``vlans_em0="101"`` as em0.101: a VLAN interface named ``<parent>.<tag>`` must '
    "have exactly that parent and tag. (Other names, such as vlan101, are created by name with "
    "``create_args``.)",
    scope="host",
)
def vlan_name_consistency(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        for interface in hi.interfaces.values():
            if interface.kind != "vlan":
                continue
            match = _DOTTED_VLAN.fullmatch(interface.name)
            if match is None or not interface.parent or interface.vlan_tag is None:
                continue
            if match.group(1) != interface.parent or int(match.group(2)) != interface.vlan_tag:
                yield Issue(
                    f"{hi.name} VLAN interface {interface.name} has parent {interface.parent} and tag "
                    f"{interface.vlan_tag}; name it {interface.parent}.{interface.vlan_tag}",
                    (refs.interface_ref(hi.host, interface),),
                )


@rule(
    "JN716",
    Severity.ERROR,
    "VLAN tag used twice on one parent",
    "Two VLAN interfaces on the same parent have the same tag; vlan(4) refuses the second.",
    scope="host",
)
def duplicate_vlan_tags(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        vlans = [i for i in hi.interfaces.values() if i.kind == "vlan" and i.parent and i.vlan_tag is not None]
        for group in duplicates(vlans, lambda i: (i.parent, i.vlan_tag)):
            yield Issue(
                f"{hi.name} VLAN interfaces {', '.join(i.name for i in group)} all have tag {group[0].vlan_tag} on "
                f"{group[0].parent}",
                tuple(refs.interface_ref(hi.host, i) for i in group),
            )


@rule(
    "JN717",
    Severity.WARNING,
    "Parent or tag on a non-VLAN interface",
    "A parent interface and a VLAN tag only mean something for a VLAN interface; they are ignored here.",
    scope="host",
)
def vlan_fields_on_other_interface(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        for interface in hi.interfaces.values():
            if interface.kind != "vlan" and (interface.parent or interface.vlan_tag is not None):
                yield Issue(
                    f"{hi.name} {interface.kind} interface {interface.name} has a VLAN parent or tag, which is ignored",
                    (refs.interface_ref(hi.host, interface),),
                )


@rule(
    "JN718",
    Severity.ERROR,
    "DHCP service on a switch the host does not have",
    "A DHCP service (dnsmasq ``interface=``) names a switch of its host.",
    scope="host",
)
def dhcp_on_unknown_switch(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        for service in hi.host.dhcp:
            if service.switch not in hi.switches:
                yield Issue(
                    f"{hi.name} DHCP service is on switch {service.switch}, which {hi.name} does not have",
                    (refs.dhcp_ref(hi.host, service),),
                )


@rule(
    "JN719",
    Severity.ERROR,
    "Interface the host does not have",
    "Outbound NAT, port redirects, host firewall rules and static routes (``-interface``) name an "
    "interface of their host: physical, VLAN, loopback, VXLAN or switch.",
    scope="host",
)
def service_on_unknown_interface(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        known = ", ".join(hi.interface_names()) or "none"
        for position, nat in enumerate(host.nat):
            if not hi.has_interface(nat.interface):
                yield Issue(
                    f"{host.name} NAT is on {nat.interface}, which the host does not have (interfaces: {known})",
                    (refs.nat_ref(host, position, nat),),
                )
        for position, redirect in enumerate(host.redirects):
            if not hi.has_interface(redirect.interface):
                yield Issue(
                    f"{host.name} redirect of {redirect.protocol} port {redirect.external_port} is on "
                    f"{redirect.interface}, which the host does not have (interfaces: {known})",
                    (refs.redirect_ref(host, position, redirect),),
                )
        if host.firewall is not None:
            for position, fw_rule in enumerate(host.firewall.rules):
                if fw_rule.interface and not hi.has_interface(fw_rule.interface):
                    yield Issue(
                        f"{host.name} firewall rule {position + 1} is on {fw_rule.interface}, which the host "
                        f"does not have",
                        (refs.firewall_rule_ref(host.name, position, fw_rule),),
                    )
        for route in host.static_routes:
            if route.interface and not hi.has_interface(route.interface):
                yield Issue(
                    f"{host.name} route {route.name} uses interface {route.interface}, which the host does not have",
                    (refs.static_route_ref(host, route),),
                )


@rule(
    "JN720",
    Severity.ERROR,
    "VLAN parent is not a physical interface",
    "A VLAN interface's parent must be a physical interface of the same host (rc.conf ``vlans_<parent>``). "
    'The renderer brings a parent without an address up (``ifconfig_<parent>="up"``): vlan(4) drops every '
    "frame of a VLAN whose parent is down. A parent the design does not list is brought up too, with a "
    "warning here, because the design then does not say what else runs on that interface.",
    scope="host",
)
def vlan_parent(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        for interface in hi.host.interfaces:
            if interface.kind != "vlan" or not interface.parent:
                continue
            parent = hi.interfaces.get(interface.parent)
            if parent is not None and parent.kind != "physical":
                yield Issue(
                    f"{hi.name} VLAN {interface.name} has parent {parent.name}, a {parent.kind} interface; "
                    "vlans_<parent> needs a physical one",
                    (refs.interface_ref(hi.host, interface),),
                )


@rule(
    "JN721",
    Severity.WARNING,
    "VLAN parent not in the design",
    "See JN720: the parent is brought up by the renderer, but the design does not describe it.",
    scope="host",
)
def vlan_parent_missing(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        for interface in hi.host.interfaces:
            if interface.kind == "vlan" and interface.parent and interface.parent not in hi.interfaces:
                yield Issue(
                    f"{hi.name} VLAN {interface.name}: its parent {interface.parent} is not an interface of the "
                    'design; it is brought up with ifconfig_{0}="up"'.format(interface.parent),
                    (refs.interface_ref(hi.host, interface),),
                )
