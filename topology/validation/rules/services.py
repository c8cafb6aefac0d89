"""JN6xx — services on a host: DHCP (dnsmasq), MAC addresses, outbound NAT, port redirects, firewall."""

from __future__ import annotations

import bisect
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

_MAC = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
SSH_PORT = 22


def _listed(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


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


# --- NAT and redirects ------------------------------------------------------------------------------------


def _design_networks(index: DesignIndex) -> tuple[set[Network], list[int]]:
    networks: set[Network] = set()
    for use in index.address_uses:
        networks.add(use.cidr.network)
        networks.add(Network(use.cidr.ip, 32))
    for segment in index.snapshot.vxlan_segments:
        subnet = parse_cidr(segment.subnet)
        if subnet is not None:
            networks.add(subnet.network)
    return networks, sorted(n.start for n in networks)


def _covered(source: Network, networks: set[Network], starts: list[int]) -> bool:
    """Whether ``source`` overlaps a design network: one contains it, or one starts inside it."""
    for prefixlen in range(source.prefixlen, -1, -1):
        if Network(source.start & ((0xFFFFFFFF << (32 - prefixlen)) & 0xFFFFFFFF), prefixlen) in networks:
            return True
    position = bisect.bisect_left(starts, source.start)
    return position < len(starts) and starts[position] <= source.end


@rule(
    "JN620",
    Severity.WARNING,
    "NAT source matches nothing in the design",
    "An outbound NAT rule translates a source network that no host interface, switch, VXLAN segment, "
    "jail or VM of the design is on, so it never applies.",
)
def nat_source_not_covered(index: DesignIndex) -> Iterator[Issue]:
    networks, starts = _design_networks(index)
    for host in index.snapshot.hosts:
        for position, nat in enumerate(host.nat):
            cidr = parse_cidr(nat.source, 32)
            if cidr is not None and not _covered(cidr.network, networks, starts):
                yield Issue(
                    f"{host.name} NAT on {nat.interface} from {nat.source}: no network of the design is in "
                    f"{cidr.network}",
                    (refs.nat_ref(host, position, nat),),
                )


@rule(
    "JN621",
    Severity.WARNING,
    "NAT engine does not match the host firewall",
    "pf ``nat`` and pot's NAT need pf; natd is used with ipfw (``firewall_type`` + ``natd_enable``). A "
    "NAT rule for the other firewall than the host's means loading both.",
)
def nat_engine_mismatch(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        if host.firewall is None:
            continue
        for position, nat in enumerate(host.nat):
            wanted = "ipfw" if nat.engine == "natd" else "pf"
            if host.firewall.engine != wanted:
                yield Issue(
                    f"{host.name} NAT on {nat.interface} uses {nat.engine}, which needs {wanted}, but the host "
                    f"firewall is {host.firewall.engine}",
                    (refs.nat_ref(host, position, nat), refs.firewall_ref(host.name, host.firewall)),
                )


@rule(
    "JN622",
    Severity.ERROR,
    "More than one natd NAT on a host",
    "rc.conf runs one natd, on one ``natd_interface``; a host can have one natd NAT rule.",
)
def several_natd(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        natd = [(p, n) for p, n in enumerate(host.nat) if n.engine == "natd"]
        if len(natd) > 1:
            yield Issue(
                f"{host.name} has {len(natd)} natd NAT rules ({', '.join(n.interface for _, n in natd)}); "
                f"rc.conf runs one natd",
                tuple(refs.nat_ref(host, p, n) for p, n in natd),
            )


def _host_addresses(hi: HostIndex) -> set[int]:
    """The host's own addresses on its interfaces, switches and VXLAN interfaces."""
    texts = [i.address for i in hi.interfaces.values()] + [sw.address for sw in hi.switches.values()]
    texts += [member.address for _, member in hi.members]
    return {cidr.ip for cidr in (parse_cidr(text) for text in texts) if cidr is not None}


@rule(
    "JN623",
    Severity.WARNING,
    "Forwarding needed but gateway_enable is off",
    "VNET jails and VMs that use their host as default router, and redirects to them, need the host "
    'to forward packets between interfaces, which FreeBSD only does with ``gateway_enable="YES"`` '
    "(net.inet.ip.forwarding=1); otherwise they reach the host and nothing beyond (NAT included). "
    "pot enables forwarding itself for its bridge.",
)
def forwarding_disabled(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        if host.gateway_enable:
            continue
        own = _host_addresses(hi)
        routed: list[s.ObjectRef] = []
        for jail in host.jails:
            if jail.type == "vnet" and jail.manager != "pot" and parse_ip(jail.default_router) in own:
                routed.append(refs.jail_ref(host, jail))
        for vm in host.vms:
            if parse_ip(vm.default_router) in own:
                routed.append(refs.vm_ref(host, vm))
        if routed:
            names = _listed([ref.path.rsplit("/", 1)[1] for ref in routed])
            yield Issue(
                f"{host.name} is the default router of {names} but does not forward packets (gateway_enable is off)",
                (refs.host_ref(host), *routed),
            )
        for position, redirect in enumerate(host.redirects):
            target_jail = hi.jails.get(redirect.target_jail or "")
            behind_switch = target_jail is not None and target_jail.type == "vnet" and target_jail.manager != "pot"
            if behind_switch or redirect.target_vm in hi.vms:
                target = redirect.target_jail or redirect.target_vm
                yield Issue(
                    f"{host.name} redirects {redirect.protocol} port {redirect.external_port} to {target} behind a "
                    "switch but does not forward packets (gateway_enable is off)",
                    (refs.host_ref(host), refs.redirect_ref(host, position, redirect)),
                )


@rule(
    "JN624",
    Severity.WARNING,
    "Gateway host does not forward",
    "A host in the gateway role routes for the others (the article's gateway NATs the VXLAN networks "
    'to its uplink), which needs ``gateway_enable="YES"``.',
)
def gateway_without_forwarding(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        if host.role == "gateway" and not host.gateway_enable:
            yield Issue(f"gateway {host.name} has gateway_enable off, so it forwards nothing", (refs.host_ref(host),))


@rule(
    "JN625",
    Severity.WARNING,
    "NAT or redirect on an interface without an address",
    "pf translates to and redirects from the interface's address (``em0:0``); an interface with neither "
    "a static address nor DHCP in the design leaves pf without one when the rules load.",
)
def nat_interface_without_address(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        uses: list[tuple[str, s.ObjectRef]] = [
            (nat.interface, refs.nat_ref(host, p, nat)) for p, nat in enumerate(host.nat) if nat.engine != "pot"
        ]
        uses += [(r.interface, refs.redirect_ref(host, p, r)) for p, r in enumerate(host.redirects)]
        for name, ref in uses:
            interface = hi.interfaces.get(name)
            if interface is not None and not interface.address and not interface.dhcp:
                yield Issue(f"{host.name} {ref.kind} on {name}: {name} has no address in the design", (ref,))


def _target_address(hi: HostIndex, redirect: s.PortRedirect) -> str | None:
    """The address a redirect's jail or VM target is reached at, or None."""
    if redirect.target_jail:
        jail = hi.jails[redirect.target_jail]
        if jail.type == "vnet":
            return next((n.address for n in jail.nics if n.address), None)
        if jail.inherit:
            return "inherit"
        return next((a.address for a in jail.addresses), None)
    vm = hi.vms[redirect.target_vm or ""]
    if any(n.address for n in vm.nics):
        return next(n.address for n in vm.nics if n.address)
    leases = {lease.mac.lower(): lease.address for d in hi.host.dhcp for lease in d.static_leases}
    return next((leases[n.mac.lower()] for n in vm.nics if n.mac and n.mac.lower() in leases), None)


@rule(
    "JN630",
    Severity.ERROR,
    "Port redirect target missing or ambiguous",
    "A redirect needs exactly one target: a jail, a VM (both on the same host) or an address. The "
    "target jail or VM must exist and have a static address (a VM may have a DHCP reservation for its MAC).",
)
def redirect_target(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        for position, redirect in enumerate(host.redirects):
            ref = refs.redirect_ref(host, position, redirect)
            what = f"{host.name} redirect of {redirect.protocol} port {redirect.external_port} on {redirect.interface}"
            targets = [t for t in (redirect.target_jail, redirect.target_vm, redirect.target_address) if t]
            if len(targets) != 1:
                problem = "has no target" if not targets else f"has {len(targets)} targets ({', '.join(targets)})"
                yield Issue(f"{what} {problem}; give exactly one of jail, VM or address", (ref,))
            elif redirect.target_jail and redirect.target_jail not in hi.jails:
                yield Issue(f"{what} targets jail {redirect.target_jail}, which is not on {host.name}", (ref,))
            elif redirect.target_vm and redirect.target_vm not in hi.vms:
                yield Issue(f"{what} targets VM {redirect.target_vm}, which is not on {host.name}", (ref,))
            elif not redirect.target_address and _target_address(hi, redirect) is None:
                yield Issue(f"{what} targets {targets[0]}, which has no static address to redirect to", (ref,))


@rule(
    "JN631",
    Severity.ERROR,
    "Port redirected twice",
    "Two redirects take the same protocol and external port on the same interface; pf uses the first.",
)
def duplicate_redirects(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        redirects = list(enumerate(host.redirects))
        for group in duplicates(redirects, lambda pr: (pr[1].interface, pr[1].protocol, pr[1].external_port)):
            first = group[0][1]
            yield Issue(
                f"{host.name} redirects {first.protocol} port {first.external_port} on {first.interface} "
                f"{len(group)} times",
                tuple(refs.redirect_ref(host, p, r) for p, r in group),
            )


@rule(
    "JN632",
    Severity.ERROR,
    "Port out of range",
    "Ports of redirects and firewall rules are 1 to 65535.",
)
def ports_out_of_range(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for position, redirect in enumerate(host.redirects):
            for label, port in (("external port", redirect.external_port), ("target port", redirect.target_port)):
                if not 1 <= port <= 65535:
                    yield Issue(
                        f"{host.name} redirect {label} {port} is outside 1..65535",
                        (refs.redirect_ref(host, position, redirect),),
                    )
        for owner, policy in _policies(host):
            for position, fw_rule in enumerate(policy.rules):
                if fw_rule.port is not None and not 1 <= fw_rule.port <= 65535:
                    yield Issue(
                        f"{owner} firewall rule {position + 1} port {fw_rule.port} is outside 1..65535",
                        (refs.firewall_rule_ref(owner, position, fw_rule),),
                    )


# --- firewall ---------------------------------------------------------------------------------------------


def _policies(host: s.Host) -> Iterator[tuple[str, s.FirewallPolicy]]:
    """(owner path, policy) for the host's firewall and each jail's."""
    if host.firewall is not None:
        yield host.name, host.firewall
    for jail in host.jails:
        if jail.firewall is not None:
            yield f"{host.name}/jails/{jail.name}", jail.firewall


@rule(
    "JN640",
    Severity.ERROR,
    "Firewall rule with a port but no TCP/UDP protocol",
    "pf only matches ports for ``proto tcp`` or ``proto udp``; a rule with a port must name one of them.",
)
def port_without_protocol(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for owner, policy in _policies(host):
            for position, fw_rule in enumerate(policy.rules):
                if fw_rule.port is not None and fw_rule.protocol not in ("tcp", "udp"):
                    yield Issue(
                        f"{owner} firewall rule {position + 1} matches port {fw_rule.port} with protocol "
                        f"{fw_rule.protocol}; use tcp or udp",
                        (refs.firewall_rule_ref(owner, position, fw_rule),),
                    )


def _allows_ssh(policy: s.FirewallPolicy) -> bool:
    return any(
        r.action == "pass"
        and r.direction in ("in", "any")
        and r.protocol in ("tcp", "any")
        and r.port in (None, SSH_PORT)
        for r in policy.rules
    )


@rule(
    "JN641",
    Severity.WARNING,
    "Host firewall may lock out its administrators",
    "The host's pf blocks by default and no rule passes SSH (tcp port 22) in, or ipfw is 'closed'. "
    "As the article warns, enabling such a firewall over SSH locks you out.",
)
def firewall_lockout(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        policy = host.firewall
        if policy is None:
            continue
        if policy.engine == "pf" and policy.default_block and not _allows_ssh(policy):
            yield Issue(
                f"{host.name} pf blocks by default and passes no SSH in", (refs.firewall_ref(host.name, policy),)
            )
        elif policy.engine == "ipfw" and policy.ipfw_type == "closed":
            yield Issue(f"{host.name} ipfw firewall_type closed blocks SSH", (refs.firewall_ref(host.name, policy),))
