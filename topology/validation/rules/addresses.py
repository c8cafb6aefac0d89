"""JN2xx — addresses: syntax, duplicates, subnets, default routers and static routes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ...snapshot import ObjectRef
from .. import refs
from ..findings import Issue, Severity
from ..index import AddressUse, DesignIndex, HostIndex
from ..ip import Network, parse_cidr, parse_ip
from ..registry import rule

_GUEST_OWNERS = ("jail-nic", "vm-nic")
_INTERFACE_OWNERS = ("interface", "switch", "vxlan-member")


def describe_networks(networks: list[tuple[Network, str]], name: str) -> str:
    """``switch222's subnet 10.0.222.0/24`` or ``the subnets of switch222 (10.0.222.0/24, 10.0.1.0/24)``."""
    if len(networks) == 1:
        return f"{name}'s subnet {networks[0][0]}"
    return f"the subnets of {name} ({', '.join(str(n) for n, _ in networks)})"


# --- syntax -----------------------------------------------------------------------------------------------


def _address_fields(index: DesignIndex) -> Iterator[tuple[str, str, str, ObjectRef]]:
    """(value, form, what, ref) for every address field; form is cidr (prefix required), ip, or net (optional)."""
    for host in index.snapshot.hosts:
        if host.default_router:
            yield host.default_router, "ip", f"{host.name} default router", refs.host_ref(host)
        for interface in host.interfaces:
            if interface.address:
                yield (
                    interface.address,
                    "cidr",
                    f"{host.name} {interface.name} address",
                    refs.interface_ref(host, interface),
                )
        for route in host.static_routes:
            ref = refs.static_route_ref(host, route)
            yield route.destination, "net", f"{host.name} route {route.name} destination", ref
            if route.gateway:
                yield route.gateway, "ip", f"{host.name} route {route.name} gateway", ref
        for switch in host.switches:
            if switch.address:
                yield (
                    switch.address,
                    "cidr",
                    f"{host.name} {switch.interface_name} address",
                    refs.switch_ref(host, switch),
                )
        for jail in host.jails:
            if jail.default_router:
                yield jail.default_router, "ip", f"{jail.name} default router", refs.jail_ref(host, jail)
            for position, alias in enumerate(jail.addresses):
                ref = refs.jail_address_ref(host, jail, position, alias)
                yield alias.address, "net", f"plain jail {jail.name} address", ref
            for nic in jail.nics:
                if nic.address:
                    yield nic.address, "cidr", f"{jail.name} NIC {nic.name} address", refs.jail_nic_ref(host, jail, nic)
            if jail.firewall:
                yield from _rule_fields(jail.firewall.rules, f"{host.name}/jails/{jail.name}", jail.name)
        for vm in host.vms:
            if vm.default_router:
                yield vm.default_router, "ip", f"VM {vm.name} default router", refs.vm_ref(host, vm)
            for position, vm_nic in enumerate(vm.nics):
                if vm_nic.address:
                    ref = refs.vm_nic_ref(host, vm, position, vm_nic)
                    yield vm_nic.address, "cidr", f"VM {vm.name} NIC {position} address", ref
        for service in host.dhcp:
            ref = refs.dhcp_ref(host, service)
            yield service.range_start, "ip", f"{host.name} DHCP range start on {service.switch}", ref
            yield service.range_end, "ip", f"{host.name} DHCP range end on {service.switch}", ref
            for position, lease in enumerate(service.static_leases):
                ref = refs.dhcp_lease_ref(host, service, position, lease)
                yield lease.address, "ip", f"{host.name} static lease for {lease.mac}", ref
        for position, nat in enumerate(host.nat):
            if nat.source:
                yield nat.source, "net", f"{host.name} NAT source", refs.nat_ref(host, position, nat)
        for position, redirect in enumerate(host.redirects):
            if redirect.target_address:
                ref = refs.redirect_ref(host, position, redirect)
                yield redirect.target_address, "ip", f"{host.name} redirect target", ref
        if host.firewall:
            yield from _rule_fields(host.firewall.rules, host.name, host.name)
    for segment in index.snapshot.vxlan_segments:
        seg_ref = refs.segment_ref(segment)
        if segment.subnet:
            yield segment.subnet, "cidr", f"VXLAN segment {segment.name} subnet", seg_ref
        if segment.multicast_group:
            yield segment.multicast_group, "ip", f"VXLAN segment {segment.name} multicast group", seg_ref
        for member in segment.members:
            ref = refs.member_ref(segment, member)
            what = f"{member.host} {member.interface_name}"
            if member.local_address:
                yield member.local_address, "ip", f"{what} local address", ref
            if member.remote_address:
                yield member.remote_address, "ip", f"{what} remote address", ref
            if member.address:
                yield member.address, "cidr", f"{what} address", ref


def _rule_fields(rules: tuple, owner_path: str, owner: str) -> Iterator[tuple[str, str, str, ObjectRef]]:
    for position, fw_rule in enumerate(rules):
        ref = refs.firewall_rule_ref(owner_path, position, fw_rule)
        for field_name in ("source", "destination"):
            value = getattr(fw_rule, field_name)
            if value and value != "any":
                yield value.removeprefix("!"), "net", f"{owner} firewall rule {position + 1} {field_name}", ref


@rule(
    "JN201",
    Severity.ERROR,
    "Invalid IPv4 address",
    "An address field does not hold an IPv4 address in the form it needs: interface, switch, NIC, "
    "VXLAN and subnet fields take an address with a prefix length (``10.0.111.10/24``); routers, "
    "gateways, groups, DHCP ranges and leases a plain address; plain jail aliases, routes, NAT sources "
    "and firewall rules either. Written in decimal without leading zeros.",
    scope="host",
)
def invalid_addresses(index: DesignIndex) -> Iterator[Issue]:
    for value, form, what, ref in _address_fields(index):
        if form == "ip":
            if parse_ip(value) is None:
                yield Issue(f"{what} {value!r} is not an IPv4 address", (ref,))
        elif form == "cidr":
            if parse_cidr(value) is None:
                hint = " (needs a prefix length, e.g. /24)" if parse_ip(value) is not None else ""
                yield Issue(f"{what} {value!r} is not an IPv4 address with prefix length{hint}", (ref,))
        elif parse_cidr(value, 32) is None:
            yield Issue(f"{what} {value!r} is not an IPv4 address or network", (ref,))


@rule(
    "JN202",
    Severity.ERROR,
    "Address used twice in one network",
    "Two objects on the same layer 2 network — a switch with its ports, jails and VMs, and for VXLAN "
    "every host's end of the segment — have the same address. ARP would flip between them. A plain "
    "jail may reuse the address of the interface it is aliased on (iocage's ``em0.101|10.1.1.1/24``).",
)
def duplicate_addresses_in_domain(index: DesignIndex) -> Iterator[Issue]:
    for root, uses in index.addresses_by_domain.items():
        if len(uses) < 2:
            continue
        by_ip: dict[int, list[AddressUse]] = defaultdict(list)
        for use in uses:
            by_ip[use.cidr.ip].append(use)
        for group in by_ip.values():
            if len(group) < 2:
                continue
            # Owners of the same host interface (the interface itself and jails aliased on it) are one party.
            parties = {("guest", u.ref.path) if u.owner in _GUEST_OWNERS else (u.host, u.interface) for u in group}
            if len(parties) > 1:
                names = ", ".join(u.label for u in group)
                yield Issue(
                    f"address {group[0].cidr.address} is used {len(group)} times in {index.domain_label(root)}: "
                    f"{names}",
                    tuple(u.ref for u in group),
                )


def _host_stack_uses(index: DesignIndex) -> dict[str, list[AddressUse]]:
    result: dict[str, list[AddressUse]] = defaultdict(list)
    for use in index.address_uses:
        if use.on_host_stack:
            result[use.host].append(use)
    return result


@rule(
    "JN203",
    Severity.ERROR,
    "Address on two interfaces of a host",
    "The same address is configured on two interfaces of one host that are not bridged together "
    "(e.g. on lo1 and on em0). The host would answer for it on both and route it to neither reliably.",
    # Whether two interfaces are bridged together is a property of their broadcast domains, which other hosts'
    # VXLAN members and switches can join (a member of two segments on another host): the cluster's, not the host's.
    scope="cluster",
)
def duplicate_addresses_on_host(index: DesignIndex) -> Iterator[Issue]:
    for host, uses in _host_stack_uses(index).items():
        by_ip: dict[int, list[AddressUse]] = defaultdict(list)
        for use in uses:
            by_ip[use.cidr.ip].append(use)
        for group in by_ip.values():
            if len(group) > 1 and len({u.domain for u in group}) > 1:
                where = ", ".join(f"{u.interface or 'the host'} ({u.label})" for u in group)
                yield Issue(
                    f"{host} has address {group[0].cidr.address} on more than one interface: {where}",
                    tuple(u.ref for u in group),
                )


@rule(
    "JN204",
    Severity.WARNING,
    "Plain jails share an address",
    "Two plain jails of a host use the same alias address. jail(8) allows it, but both jails then "
    "compete for the same ports and a redirect cannot tell them apart.",
    scope="host",
)
def shared_plain_jail_addresses(index: DesignIndex) -> Iterator[Issue]:
    for host, uses in _host_stack_uses(index).items():
        by_ip: dict[int, list[AddressUse]] = defaultdict(list)
        for use in uses:
            if use.owner == "jail-address":
                by_ip[use.cidr.ip].append(use)
        for group in by_ip.values():
            jails = sorted({u.guest or "" for u in group})
            if len(jails) > 1:
                yield Issue(
                    f"plain jails {', '.join(jails)} on {host} share address {group[0].cidr.address}",
                    tuple(u.ref for u in group),
                )


@rule(
    "JN205",
    Severity.ERROR,
    "Overlapping subnets on one host",
    "Two interfaces of one host have subnets that overlap (e.g. 10.0.1.1/24 on em1 and 10.0.1.5/16 on "
    "switch0). The kernel installs one route for the prefix, so one of them is unreachable. Host "
    "addresses (/32), as the article puts on VXLAN-backed switches, do not count.",
    scope="host",
)
def overlapping_subnets_on_host(index: DesignIndex) -> Iterator[Issue]:
    for host, uses in _host_stack_uses(index).items():
        subnets = [u for u in uses if u.owner in _INTERFACE_OWNERS and u.cidr.prefixlen < 32]
        subnets.sort(key=lambda u: (u.cidr.network.start, -u.cidr.network.end, u.interface))
        widest: AddressUse | None = None
        for use in subnets:
            network = use.cidr.network
            if widest is not None and network.start <= widest.cidr.network.end and use.interface != widest.interface:
                yield Issue(
                    f"{host}: {use.interface} subnet {network} overlaps {widest.interface} subnet "
                    f"{widest.cidr.network}",
                    (widest.ref, use.ref),
                )
            if widest is None or network.end > widest.cidr.network.end:
                widest = use


@rule(
    "JN206",
    Severity.ERROR,
    "Guest address outside its switch's subnet",
    "A VNET jail NIC or VM NIC has a static address outside the subnet of the switch it joins — the "
    "switch's own address, or the subnet of the VXLAN segment bridged onto it — so nothing on the switch "
    "can reach it.",
    scope="host",
)
def guest_address_outside_switch(index: DesignIndex) -> Iterator[Issue]:
    for use in index.address_uses:
        if use.owner not in _GUEST_OWNERS:
            continue
        hi = index.hosts[use.host]
        switch = hi.switches.get(use.switch or "")
        if switch is None:
            continue
        networks = hi.switch_networks.get(switch.name, [])
        if networks and not any(n.contains(use.cidr.ip) for n, _ in networks):
            yield Issue(
                f"{use.label} address {use.text} is outside {describe_networks(networks, switch.interface_name)}",
                (use.ref,),
            )


@rule(
    "JN207",
    Severity.WARNING,
    "Prefix length differs from the subnet's",
    "An address lies inside its switch's or segment's subnet but with another prefix length "
    "(10.0.111.13/16 on a /24): the guest believes more addresses are on its link than are.",
    scope="host",
)
def prefix_differs_from_subnet(index: DesignIndex) -> Iterator[Issue]:
    for use in index.address_uses:
        if use.owner in _GUEST_OWNERS:
            networks = index.hosts[use.host].switch_networks.get(use.switch or "", [])
        elif use.owner == "vxlan-member":
            segment = index.hosts[use.host].members_by_ifname[use.interface][0]
            subnet = parse_cidr(segment.subnet)
            networks = [(subnet.network, "")] if subnet is not None and subnet.prefixlen < 32 else []
        else:
            continue
        containing = [n for n, _ in networks if n.contains(use.cidr.ip)]
        if containing and all(n.prefixlen != use.cidr.prefixlen for n in containing):
            yield Issue(
                f"{use.label} address {use.text} has prefix /{use.cidr.prefixlen} but its subnet is {containing[0]}",
                (use.ref,),
            )


@rule(
    "JN208",
    Severity.ERROR,
    "VXLAN interface address outside the segment's subnet",
    "A VXLAN member's address (``ifconfig_vxlan111=\"inet ...\"``) is outside the segment's subnet.",
)
def member_address_outside_segment(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        subnet = parse_cidr(segment.subnet)
        if subnet is None:
            continue
        for member in segment.members:
            cidr = parse_cidr(member.address)
            if cidr is not None and not subnet.network.contains(cidr.ip):
                yield Issue(
                    f"{member.host} {member.interface_name} address {member.address} is outside VXLAN segment "
                    f"{segment.name}'s subnet {subnet.network}",
                    (refs.member_ref(segment, member),),
                )


def _alias_uses(index: DesignIndex) -> Iterator[tuple[HostIndex, AddressUse]]:
    for use in index.address_uses:
        if use.owner == "jail-address" and use.interface:
            yield index.hosts[use.host], use


def _is_loopback(hi: HostIndex, name: str) -> bool:
    interface = hi.interfaces.get(name)
    return interface is not None and interface.kind == "loopback"


@rule(
    "JN209",
    Severity.ERROR,
    "Plain jail address outside its interface's subnet",
    "A plain jail's alias is outside the subnet of the interface it is added to (for a VXLAN interface: "
    "its own subnet or the segment's). /32 aliases inside the subnet are the normal case; any address "
    "is fine on a loopback interface.",
    scope="host",
)
def alias_outside_interface(index: DesignIndex) -> Iterator[Issue]:
    for hi, use in _alias_uses(index):
        if _is_loopback(hi, use.interface):
            continue
        networks = hi.interface_networks(use.interface)
        if networks and not any(n.contains(use.cidr.ip) for n, _ in networks):
            yield Issue(
                f"{use.label} address {use.text} is outside {describe_networks(networks, use.interface)}",
                (use.ref,),
            )


def _interface_address(hi: HostIndex, name: str) -> tuple[str | None, ObjectRef | None]:
    switch = hi.switch_for_interface(name)
    if switch is not None:
        return switch.address, refs.switch_ref(hi.host, switch)
    if name in hi.members_by_ifname:
        segment, member = hi.members_by_ifname[name]
        return member.address, refs.member_ref(segment, member)
    interface = hi.interfaces.get(name)
    if interface is not None:
        return interface.address, refs.interface_ref(hi.host, interface)
    return None, None


@rule(
    "JN210",
    Severity.ERROR,
    "Plain jail reuses its interface's address with another prefix",
    "A plain jail may use the address of the interface it is aliased on, but then with exactly the "
    "interface's prefix (``em0.101|10.1.1.1/24`` on 10.1.1.1/24); iocage would otherwise replace the "
    "interface's netmask when the jail starts and remove the address when it stops.",
    scope="host",
)
def alias_reuses_interface_address(index: DesignIndex) -> Iterator[Issue]:
    for hi, use in _alias_uses(index):
        text, ref = _interface_address(hi, use.interface)
        own = parse_cidr(text)
        if own is not None and ref is not None and own.ip == use.cidr.ip and own.prefixlen != use.cidr.prefixlen:
            yield Issue(
                f"{use.label} uses {use.text}, but {use.interface} has {text}: write {text} to share the address",
                (use.ref, ref),
            )


@rule(
    "JN211",
    Severity.WARNING,
    "Plain jail alias is not a /32",
    "An alias added for a plain jail on an interface that already has an address in that subnet should "
    "be a host address (/32), as iocage and the article do; a second address with the subnet's prefix "
    "adds nothing and confuses source address selection.",
    scope="host",
)
def alias_not_host_address(index: DesignIndex) -> Iterator[Issue]:
    for hi, use in _alias_uses(index):
        if use.cidr.prefixlen == 32 or _is_loopback(hi, use.interface):
            continue
        own = parse_cidr(_interface_address(hi, use.interface)[0])
        if own is not None and own.ip == use.cidr.ip:
            continue  # the interface's own address (JN210 checks its prefix)
        yield Issue(
            f"{use.label} alias {use.text} on {use.interface} should be {use.cidr.address}/32",
            (use.ref,),
        )


@rule(
    "JN212",
    Severity.ERROR,
    "Network or broadcast address assigned",
    "An interface, NIC or alias is given the network address (10.0.111.0/24) or the broadcast address "
    "(10.0.111.255/24) of its own subnet. Applies to prefixes up to /30.",
    scope="host",
)
def network_or_broadcast_address(index: DesignIndex) -> Iterator[Issue]:
    for use in index.address_uses:
        if use.cidr.prefixlen > 30:
            continue
        network = use.cidr.network
        if use.cidr.ip == network.start:
            yield Issue(f"{use.label} address {use.text} is the network address of {network}", (use.ref,))
        elif use.cidr.ip == network.end:
            yield Issue(f"{use.label} address {use.text} is the broadcast address of {network}", (use.ref,))


def _router_problem(router: str, networks: list[Network], owner: str, what: str) -> str | None:
    ip = parse_ip(router)
    if ip is None:
        return None  # JN201
    if not networks:
        return f"{owner} default router {router} cannot be reached: {what} has no static address"
    if any(n.contains(ip) for n in networks):
        return None
    listed = ", ".join(sorted({str(n) for n in networks}))
    return f"{owner} default router {router} is not on {what} ({listed})"


@rule(
    "JN213",
    Severity.ERROR,
    "Default router not on an attached subnet",
    "The default router of a host, a VNET jail or a VM must be on a subnet one of its interfaces is "
    "on, or ``route add default`` fails with 'Network is unreachable'. Not checked when an interface "
    "gets its address by DHCP.",
    scope="host",
)
def default_router_not_attached(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        if host.default_router and not hi.uses_dhcp:
            problem = _router_problem(host.default_router, hi.attached_networks, host.name, "any subnet of the host")
            if problem:
                yield Issue(problem, (refs.host_ref(host),))
        for jail in host.jails:
            if jail.type != "vnet" or not jail.default_router or any(nic.dhcp for nic in jail.nics):
                continue
            networks = [c.network for c in (parse_cidr(n.address) for n in jail.nics) if c and c.prefixlen < 32]
            problem = _router_problem(jail.default_router, networks, jail.name, "the subnets of its NICs")
            if problem:
                yield Issue(problem, (refs.jail_ref(host, jail),))
        for vm in host.vms:
            if not vm.default_router or any(nic.dhcp for nic in vm.nics):
                continue
            networks = [c.network for c in (parse_cidr(n.address) for n in vm.nics) if c and c.prefixlen < 32]
            if not networks and any(not nic.address for nic in vm.nics):
                continue  # address from a DHCP reservation by MAC: subnet known only to dnsmasq
            problem = _router_problem(vm.default_router, networks, f"VM {vm.name}", "the subnets of its NICs")
            if problem:
                yield Issue(problem, (refs.vm_ref(host, vm),))


@rule(
    "JN214",
    Severity.ERROR,
    "Static route cannot be installed",
    "A static route needs exactly one of a gateway or an interface (``-interface em1``), and its "
    "gateway must be on a subnet attached to the host.",
    scope="host",
)
def static_route_problems(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        for route in host.static_routes:
            ref = refs.static_route_ref(host, route)
            if not route.gateway and not route.interface:
                yield Issue(
                    f"{host.name} route {route.name} to {route.destination} has neither gateway nor interface", (ref,)
                )
            elif route.gateway and route.interface:
                yield Issue(
                    f"{host.name} route {route.name} has both gateway {route.gateway} and interface {route.interface}; "
                    "route(8) takes one",
                    (ref,),
                )
            elif route.gateway and not hi.uses_dhcp:
                ip = parse_ip(route.gateway)
                if ip is not None and not any(n.contains(ip) for n in hi.attached_networks):
                    yield Issue(
                        f"{host.name} route {route.name} gateway {route.gateway} is not on a subnet attached to "
                        f"the host",
                        (ref,),
                    )


@rule(
    "JN215",
    Severity.WARNING,
    "Network written with host bits",
    "A subnet or route destination has bits set after its prefix (10.0.111.5/24); it means "
    "10.0.111.0/24, which is what should be written.",
    scope="host",
)
def network_with_host_bits(index: DesignIndex) -> Iterator[Issue]:
    for segment in index.snapshot.vxlan_segments:
        cidr = parse_cidr(segment.subnet)
        if cidr is not None and cidr.ip != cidr.network.start:
            yield Issue(
                f"VXLAN segment {segment.name} subnet {segment.subnet} should be written {cidr.network}",
                (refs.segment_ref(segment),),
            )
    for host in index.snapshot.hosts:
        for route in host.static_routes:
            cidr = parse_cidr(route.destination, 32)
            if cidr is not None and cidr.ip != cidr.network.start:
                yield Issue(
                    f"{host.name} route {route.name} destination {route.destination} should be written {cidr.network}",
                    (refs.static_route_ref(host, route),),
                )


def _major(release: str) -> int | None:
    head = release.split(".", 1)[0].split("-", 1)[0]
    return int(head) if head.isdigit() else None


@rule(
    "JN216",
    Severity.WARNING,
    "Address on a bridge member (FreeBSD 15)",
    "FreeBSD 15 refuses an address on an interface that is a bridge member (if_bridge(4): EINVAL unless "
    "``net.link.bridge.member_ifaddrs=1``, a sysctl FreeBSD 16 removes). For hosts on 15 and later the "
    "renderer puts such an address on the bridge (as an alias when the bridge has one already): check "
    "that this is what you want, or give the address to the switch in the design.",
    scope="host",
)
def address_on_bridge_member(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        major = _major(hi.host.release)
        if major is None or major < 15:
            continue
        for switch in hi.host.switches:
            if switch.kind != "bridge":
                continue
            for port in switch.ports:
                interface = hi.interfaces.get(port.interface)
                if interface is not None and interface.address:
                    yield Issue(
                        f"{hi.name} {interface.name} ({interface.address}) is a member of {switch.name}: on "
                        f"{hi.host.release} the address goes on {switch.name}",
                        (refs.interface_ref(hi.host, interface),),
                    )
        for segment, member in hi.members:
            if member.switch and member.address and member.switch in hi.switches:
                yield Issue(
                    f"{hi.name} {member.interface_name} ({member.address}) is a member of {member.switch}: on "
                    f"{hi.host.release} the address goes on {member.switch}",
                    (refs.member_ref(segment, member),),
                )
