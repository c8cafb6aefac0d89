"""JN6xx — outbound NAT, IPv4 forwarding and port redirects."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Set

from ... import snapshot as s
from .. import refs
from ..findings import Issue, Severity
from ..index import DesignIndex, HostIndex
from ..ip import Network, parse_cidr, parse_ip
from ..registry import rule
from .firewall import policies
from .names import duplicates
from .names import listed as _listed

# --- NAT and redirects ------------------------------------------------------------------------------------


def _covered(source: Network, networks: Set[Network], starts: list[int]) -> bool:
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
    scope="design",
)
def nat_source_not_covered(index: DesignIndex) -> Iterator[Issue]:
    networks, starts = index.design_networks
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
    scope="host",
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
    scope="host",
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
    scope="host",
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
    scope="host",
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
    scope="host",
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
    scope="host",
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
    scope="host",
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
    scope="host",
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
        for owner, policy in policies(host):
            for position, fw_rule in enumerate(policy.rules):
                if fw_rule.port is not None and not 1 <= fw_rule.port <= 65535:
                    yield Issue(
                        f"{owner} firewall rule {position + 1} port {fw_rule.port} is outside 1..65535",
                        (refs.firewall_rule_ref(owner, position, fw_rule),),
                    )
