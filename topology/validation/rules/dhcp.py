"""JN6xx — DHCP services (dnsmasq) and their leases, and MAC addresses of NICs and leases."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from ... import snapshot as s
from .. import refs
from ..findings import Issue, Severity
from ..index import DesignIndex, HostIndex
from ..ip import Network, parse_cidr, parse_ip
from ..registry import rule
from .names import duplicates
from .names import listed as _listed

_MAC = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")


# --- DHCP -------------------------------------------------------------------------------------------------


def _dhcp_services(index: DesignIndex) -> Iterator[tuple[HostIndex, s.DhcpService, s.Switch, int, int]]:
    """DHCP services on known switches with a parseable range: (host, service, switch, start, end)."""
    for hi in index.host_indexes():
        for service in hi.host.dhcp:
            switch = hi.switches.get(service.switch)
            start, end = parse_ip(service.range_start), parse_ip(service.range_end)
            if switch is not None and start is not None and end is not None:
                yield hi, service, switch, start, end


def _dhcp_subnet(switch: s.Switch) -> Network | None:
    cidr = parse_cidr(switch.address)
    return cidr.network if cidr is not None and cidr.prefixlen <= 30 else None


@rule(
    "JN601",
    Severity.ERROR,
    "DHCP range starts after it ends",
    "A dnsmasq ``dhcp-range`` runs from its start address up to its end address.",
    scope="host",
)
def dhcp_range_reversed(index: DesignIndex) -> Iterator[Issue]:
    for hi, service, _, start, end in _dhcp_services(index):
        if start > end:
            yield Issue(
                f"{hi.name} DHCP range on {service.switch} starts at {service.range_start}, after its end "
                f"{service.range_end}",
                (refs.dhcp_ref(hi.host, service),),
            )


@rule(
    "JN602",
    Severity.ERROR,
    "DHCP range outside the switch's subnet",
    "dnsmasq hands out a range only on an interface that has an address in the range's subnet: the "
    "switch needs an address with a real prefix (not /32), and the range must lie inside that subnet, "
    "without its network and broadcast addresses.",
    scope="host",
)
def dhcp_range_outside_subnet(index: DesignIndex) -> Iterator[Issue]:
    for hi, service, switch, start, end in _dhcp_services(index):
        ref = refs.dhcp_ref(hi.host, service)
        subnet = _dhcp_subnet(switch)
        name = switch.interface_name
        if subnet is None:
            have = f"only {switch.address}" if switch.address else "no address"
            yield Issue(
                f"{hi.name} DHCP on {name}: the switch has {have}; dnsmasq needs a subnet address there", (ref,)
            )
        elif not (subnet.contains(start) and subnet.contains(end)):
            yield Issue(
                f"{hi.name} DHCP range {service.range_start}-{service.range_end} is outside {name}'s subnet {subnet}",
                (ref,),
            )
        elif start == subnet.start or end == subnet.end:
            yield Issue(
                f"{hi.name} DHCP range {service.range_start}-{service.range_end} includes the network or broadcast "
                f"address of {subnet}",
                (ref,),
            )


@rule(
    "JN603",
    Severity.ERROR,
    "DHCP range contains static addresses",
    "The dynamic range must not contain addresses given statically to the switch, the host, VXLAN "
    "interfaces, jails or VMs on the same network: dnsmasq would lease them to another client.",
)
def dhcp_range_contains_static(index: DesignIndex) -> Iterator[Issue]:
    for hi, service, switch, start, end in _dhcp_services(index):
        root = index.domain(("switch", hi.name, switch.name))
        inside = [u for u in index.addresses_by_domain.get(root, []) if start <= u.cidr.ip <= end]
        if inside:
            yield Issue(
                f"{hi.name} DHCP range {service.range_start}-{service.range_end} on {switch.interface_name} contains "
                f"static addresses: {_listed([f'{u.cidr.address} ({u.label})' for u in inside])}",
                (refs.dhcp_ref(hi.host, service), *(u.ref for u in inside)),
            )


@rule(
    "JN604",
    Severity.ERROR,
    "DHCP reservation outside the subnet",
    "A static lease (``dhcp-host=MAC,address``) must be inside the switch's subnet.",
    scope="host",
)
def lease_outside_subnet(index: DesignIndex) -> Iterator[Issue]:
    for hi, service, switch, _, _ in _dhcp_services(index):
        subnet = _dhcp_subnet(switch)
        if subnet is None:
            continue
        for position, lease in enumerate(service.static_leases):
            ip = parse_ip(lease.address)
            if ip is not None and not subnet.contains(ip):
                yield Issue(
                    f"{hi.name} DHCP reservation {lease.mac} -> {lease.address} is outside "
                    f"{switch.interface_name}'s subnet {subnet}",
                    (refs.dhcp_lease_ref(hi.host, service, position, lease),),
                )


@rule(
    "JN605",
    Severity.WARNING,
    "DHCP reservation inside the dynamic range",
    "A reserved address inside the dynamic range may already be leased to another client when its "
    "owner asks; keep reservations outside the range, as the article does.",
    scope="host",
)
def lease_inside_range(index: DesignIndex) -> Iterator[Issue]:
    for hi, service, _, start, end in _dhcp_services(index):
        for position, lease in enumerate(service.static_leases):
            ip = parse_ip(lease.address)
            if ip is not None and start <= ip <= end:
                yield Issue(
                    f"{hi.name} DHCP reservation {lease.mac} -> {lease.address} is inside the range "
                    f"{service.range_start}-{service.range_end}",
                    (refs.dhcp_lease_ref(hi.host, service, position, lease),),
                )


@rule(
    "JN606",
    Severity.ERROR,
    "Duplicate DHCP reservation",
    "Two static leases of one DHCP service have the same MAC or the same address.",
    scope="host",
)
def duplicate_leases(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        for service in hi.host.dhcp:
            leases = list(enumerate(service.static_leases))
            for group in duplicates(leases, lambda pl: pl[1].mac.lower()):
                yield Issue(
                    f"{hi.name} DHCP on {service.switch} has {len(group)} reservations for MAC {group[0][1].mac}",
                    tuple(refs.dhcp_lease_ref(hi.host, service, p, lease) for p, lease in group),
                )
            for group in duplicates(leases, lambda pl: parse_ip(pl[1].address) or pl[1].address):
                yield Issue(
                    f"{hi.name} DHCP on {service.switch} reserves {group[0][1].address} for "
                    f"{len(group)} MACs ({', '.join(lease.mac for _, lease in group)})",
                    tuple(refs.dhcp_lease_ref(hi.host, service, p, lease) for p, lease in group),
                )


@rule(
    "JN607",
    Severity.ERROR,
    "DHCP reservation takes a static address",
    "A static lease hands out an address that another object on the network has statically (a NIC "
    "with another MAC, the switch, a VXLAN interface).",
)
def lease_takes_static_address(index: DesignIndex) -> Iterator[Issue]:
    for hi, service, switch, _, _ in _dhcp_services(index):
        root = index.domain(("switch", hi.name, switch.name))
        statics: dict[int, list] = defaultdict(list)
        for use in index.addresses_by_domain.get(root, []):
            statics[use.cidr.ip].append(use)
        for position, lease in enumerate(service.static_leases):
            ip = parse_ip(lease.address)
            others = [u for u in statics.get(ip or -1, []) if (u.mac or "").lower() != lease.mac.lower()]
            if others:
                yield Issue(
                    f"{hi.name} DHCP reservation {lease.mac} -> {lease.address} is also the static address of "
                    f"{', '.join(u.label for u in others)}",
                    (refs.dhcp_lease_ref(hi.host, service, position, lease), *(u.ref for u in others)),
                )


@rule(
    "JN608",
    Severity.ERROR,
    "Two DHCP services on one switch",
    "A host runs at most one DHCP service per switch.",
    scope="host",
)
def duplicate_dhcp_service(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for group in duplicates(host.dhcp, lambda d: d.switch):
            yield Issue(
                f"{host.name} has {len(group)} DHCP services on {group[0].switch}",
                tuple(refs.dhcp_ref(host, d) for d in group),
            )


@rule(
    "JN609",
    Severity.WARNING,
    "Two DHCP servers on one network",
    "Two hosts run dnsmasq on the same layer 2 network (e.g. both ends of a VXLAN segment); clients "
    "take whichever answers first.",
)
def competing_dhcp_servers(index: DesignIndex) -> Iterator[Issue]:
    by_domain: dict[tuple[str, ...], list[tuple[s.Host, s.DhcpService]]] = defaultdict(list)
    for hi in index.host_indexes():
        for service in hi.host.dhcp:
            if service.switch in hi.switches:
                by_domain[index.domain(("switch", hi.name, service.switch))].append((hi.host, service))
    for root, services in by_domain.items():
        if len({host.name for host, _ in services}) > 1:
            yield Issue(
                f"{index.domain_label(root)} has DHCP servers on "
                f"{', '.join(f'{h.name} {d.switch}' for h, d in services)}",
                tuple(refs.dhcp_ref(h, d) for h, d in services),
            )


@rule(
    "JN610",
    Severity.WARNING,
    "DHCP client without a DHCP server",
    "A NIC asks for an address by DHCP, but no DHCP service runs on its network and the network has "
    "no port to a LAN where one might.",
)
def dhcp_client_without_server(index: DesignIndex) -> Iterator[Issue]:
    served = {
        index.domain(("switch", hi.name, service.switch)) for hi in index.host_indexes() for service in hi.host.dhcp
    }
    uplinked = index.uplinked_domains
    for hi in index.host_indexes():
        host = hi.host
        clients: list[tuple[str, str, s.ObjectRef]] = []
        for jail in host.jails:
            if jail.type == "vnet":
                clients += [
                    (f"{jail.name} NIC {n.name}", n.switch, refs.jail_nic_ref(host, jail, n))
                    for n in jail.nics
                    if n.dhcp
                ]
        for vm in host.vms:
            clients += [
                (f"VM {vm.name} NIC {p}", n.switch, refs.vm_nic_ref(host, vm, p, n))
                for p, n in enumerate(vm.nics)
                if n.dhcp
            ]
        for label, switch, ref in clients:
            if switch not in hi.switches:
                continue
            root = index.domain(("switch", host.name, switch))
            if root not in served and root not in uplinked:
                yield Issue(f"{label} uses DHCP, but nothing serves DHCP on {index.domain_label(root)}", (ref,))


# --- MAC addresses ----------------------------------------------------------------------------------------


def _macs(index: DesignIndex) -> Iterator[tuple[str, str, s.ObjectRef, tuple[str, ...] | None]]:
    """(mac, label, ref, domain root or None for leases) for every MAC in the design."""
    for hi in index.host_indexes():
        host = hi.host
        for jail in host.jails:
            for nic in jail.nics:
                if nic.mac:
                    root = index.domain(("switch", host.name, nic.switch))
                    yield nic.mac, f"{jail.name} NIC {nic.name}", refs.jail_nic_ref(host, jail, nic), root
        for vm in host.vms:
            for position, vm_nic in enumerate(vm.nics):
                if vm_nic.mac:
                    root = index.domain(("switch", host.name, vm_nic.switch))
                    yield vm_nic.mac, f"VM {vm.name} NIC {position}", refs.vm_nic_ref(host, vm, position, vm_nic), root
        for service in host.dhcp:
            for position, lease in enumerate(service.static_leases):
                ref = refs.dhcp_lease_ref(host, service, position, lease)
                yield lease.mac, f"{host.name} DHCP reservation", ref, None


@rule(
    "JN611",
    Severity.ERROR,
    "Invalid MAC address",
    "A MAC address is written as six pairs of hex digits separated by colons (``58:9c:fc:10:ff:fe``).",
    scope="host",
)
def invalid_macs(index: DesignIndex) -> Iterator[Issue]:
    for mac, label, ref, _ in _macs(index):
        if not _MAC.fullmatch(mac):
            yield Issue(f"{label} MAC {mac!r} is not a MAC address (xx:xx:xx:xx:xx:xx)", (ref,))


@rule(
    "JN612",
    Severity.WARNING,
    "Multicast MAC address",
    "The lowest bit of the first octet marks a group (multicast) address, which no NIC may have: "
    "``11:22:33:44:55:66`` is one. Use a locally administered unicast address such as ``02:...`` or ``58:9c:fc:...``.",
    scope="host",
)
def multicast_macs(index: DesignIndex) -> Iterator[Issue]:
    for mac, label, ref, _ in _macs(index):
        if _MAC.fullmatch(mac) and int(mac[:2], 16) & 1:
            yield Issue(f"{label} MAC {mac} is a multicast address (first octet is odd)", (ref,))


@rule(
    "JN613",
    Severity.ERROR,
    "MAC address used twice on one network",
    "Two NICs on the same layer 2 network have the same MAC; the switches cannot tell them apart.",
)
def duplicate_macs(index: DesignIndex) -> Iterator[Issue]:
    nics = [(mac.lower(), label, ref, root) for mac, label, ref, root in _macs(index) if root is not None]
    for group in duplicates(nics, lambda item: (item[0], item[3])):
        yield Issue(
            f"MAC {group[0][0]} is used by {', '.join(label for _, label, _, _ in group)} on "
            f"{index.domain_label(group[0][3])}",  # type: ignore[arg-type]
            tuple(ref for _, _, ref, _ in group),
        )
