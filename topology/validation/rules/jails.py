"""JN5xx — jails and VMs: plain vs VNET settings, NICs, devfs for an in-jail firewall, manager limits."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import refs
from ..findings import Issue, Severity
from ..index import DesignIndex
from ..registry import rule

IOCAGE_MAX_NICS = 4  # iocage: "Up to four interfaces are supported" (vnet0 .. vnet3)
_IOCAGE_NIC = re.compile(r"vnet[0-3]")
DEVFS_RULESET_JAIL = 4  # /etc/defaults/devfs.rules devfsrules_jail: hides /dev/pf


@rule(
    "JN501",
    Severity.ERROR,
    "VNET-only setting on a plain jail",
    "A plain jail shares the host's network stack, so it cannot have NICs, its own default router, "
    "DHCP or a firewall of its own; these need a VNET jail (``vnet=on``).",
    scope="host",
)
def vnet_setting_on_plain_jail(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for jail in host.jails:
            if jail.type == "vnet":
                continue
            settings = []
            if jail.nics:
                settings.append("NICs" + (" with DHCP" if any(n.dhcp for n in jail.nics) else ""))
            if jail.default_router:
                settings.append(f"default router {jail.default_router}")
            if jail.firewall:
                settings.append("a firewall")
            if settings:
                yield Issue(
                    f"plain jail {jail.name} on {host.name} has {', '.join(settings)}; only a VNET jail can",
                    (refs.jail_ref(host, jail),),
                )


@rule(
    "JN502",
    Severity.WARNING,
    "VNET jail without NICs",
    "A VNET jail without NICs has only its own lo0: nothing can reach it and it reaches nothing.",
    scope="host",
)
def vnet_jail_without_nics(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for jail in host.jails:
            if jail.type == "vnet" and not jail.nics:
                yield Issue(f"VNET jail {jail.name} on {host.name} has no NICs", (refs.jail_ref(host, jail),))


@rule(
    "JN503",
    Severity.ERROR,
    "Plain-jail addressing on a VNET jail",
    "A VNET jail gets its addresses on its NICs; host interface aliases and ``ip4=inherit`` are for plain jails.",
    scope="host",
)
def plain_setting_on_vnet_jail(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for jail in host.jails:
            if jail.type != "vnet":
                continue
            if jail.addresses:
                listed = ", ".join(a.address for a in jail.addresses)
                yield Issue(
                    f"VNET jail {jail.name} on {host.name} has host aliases ({listed}); give its NICs addresses "
                    f"instead",
                    (refs.jail_ref(host, jail),),
                )
            if jail.inherit:
                yield Issue(
                    f"VNET jail {jail.name} on {host.name} cannot inherit the host's addresses",
                    (refs.jail_ref(host, jail),),
                )


@rule(
    "JN504",
    Severity.ERROR,
    "Plain jail both inherits and has addresses",
    "``ip4=inherit`` gives the jail every host address; it cannot also have its own aliases.",
    scope="host",
)
def inherit_with_addresses(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for jail in host.jails:
            if jail.type != "vnet" and jail.inherit and jail.addresses:
                yield Issue(
                    f"plain jail {jail.name} on {host.name} inherits the host's addresses and also has "
                    f"{len(jail.addresses)} address(es); choose one",
                    (refs.jail_ref(host, jail),),
                )


@rule(
    "JN505",
    Severity.INFO,
    "Plain jail without network",
    "A plain jail with neither ``inherit`` nor addresses has no network access (iocage ``ip4=new`` "
    "without ``ip4_addr``). Fine for a build jail; otherwise add an address.",
    scope="host",
)
def plain_jail_without_network(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for jail in host.jails:
            if jail.type != "vnet" and not jail.inherit and not jail.addresses and not jail.nics:
                yield Issue(
                    f"plain jail {jail.name} on {host.name} has no network address", (refs.jail_ref(host, jail),)
                )


@rule(
    "JN506",
    Severity.ERROR,
    "NIC with both a static address and DHCP",
    "A jail or VM NIC either has a static address or asks DHCP for one, not both.",
    scope="host",
)
def nic_static_and_dhcp(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for jail in host.jails:
            for nic in jail.nics:
                if nic.dhcp and nic.address:
                    yield Issue(
                        f"{jail.name} NIC {nic.name} has address {nic.address} and DHCP",
                        (refs.jail_nic_ref(host, jail, nic),),
                    )
        for vm in host.vms:
            for position, vm_nic in enumerate(vm.nics):
                if vm_nic.dhcp and vm_nic.address:
                    yield Issue(
                        f"VM {vm.name} NIC {position} has address {vm_nic.address} and DHCP",
                        (refs.vm_nic_ref(host, vm, position, vm_nic),),
                    )


@rule(
    "JN507",
    Severity.WARNING,
    "NIC without an address",
    "A VNET jail NIC or VM NIC has neither a static address nor DHCP (and, for a VM, no DHCP reservation "
    "for its MAC on the host), so the guest has no address on that switch.",
    scope="host",
)
def nic_without_address(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        reserved = {lease.mac.lower() for service in host.dhcp for lease in service.static_leases}
        for jail in host.jails:
            if jail.type != "vnet":
                continue
            for nic in jail.nics:
                if not nic.dhcp and not nic.address:
                    yield Issue(
                        f"{jail.name} NIC {nic.name} on {nic.switch} has no address and no DHCP",
                        (refs.jail_nic_ref(host, jail, nic),),
                    )
        for vm in host.vms:
            for position, vm_nic in enumerate(vm.nics):
                if not vm_nic.dhcp and not vm_nic.address and (vm_nic.mac or "").lower() not in reserved:
                    yield Issue(
                        f"VM {vm.name} NIC {position} on {vm_nic.switch} has no address, no DHCP and no reservation",
                        (refs.vm_nic_ref(host, vm, position, vm_nic),),
                    )


@rule(
    "JN508",
    Severity.WARNING,
    "pf inside a VNET jail without a devfs ruleset for it",
    "pf inside a jail needs /dev/pf (and /dev/pflog), which the default jail ruleset (4, "
    "devfsrules_jail) hides. Give the jail a ruleset that unhides them, such as the article's "
    "``[vnet_jail_pf=501]``.",
    scope="host",
)
def jail_pf_without_devfs(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for jail in host.jails:
            if jail.type != "vnet" or jail.firewall is None or jail.firewall.engine != "pf":
                continue
            if jail.devfs_ruleset is None or jail.devfs_ruleset == DEVFS_RULESET_JAIL:
                current = "no devfs ruleset" if jail.devfs_ruleset is None else f"devfs ruleset {DEVFS_RULESET_JAIL}"
                yield Issue(
                    f"VNET jail {jail.name} on {host.name} runs pf but has {current}; /dev/pf stays hidden "
                    "(use a ruleset that unhides pf and pflog, e.g. 501)",
                    (refs.jail_ref(host, jail), refs.firewall_ref(f"{host.name}/jails/{jail.name}", jail.firewall)),
                )


@rule(
    "JN509",
    Severity.ERROR,
    "NIC not supported by iocage",
    f"iocage supports up to {IOCAGE_MAX_NICS} VNET interfaces per jail, named vnet0 to vnet3 "
    '(``interfaces="vnet0:switch222"``).',
    scope="host",
)
def iocage_nic_limits(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for jail in host.jails:
            if jail.type != "vnet" or jail.manager != "iocage":
                continue
            if len(jail.nics) > IOCAGE_MAX_NICS:
                yield Issue(
                    f"iocage jail {jail.name} on {host.name} has {len(jail.nics)} NICs; iocage supports "
                    f"{IOCAGE_MAX_NICS}",
                    (refs.jail_ref(host, jail),),
                )
            for nic in jail.nics:
                if not _IOCAGE_NIC.fullmatch(nic.name):
                    yield Issue(
                        f"iocage jail {jail.name} NIC {nic.name} must be named vnet0 to vnet3",
                        (refs.jail_nic_ref(host, jail, nic),),
                    )


@rule(
    "JN510",
    Severity.ERROR,
    "pot VNET jail not on pot's bridge",
    "pot attaches a VNET pot (network type public-bridge) with one epair to its own bridge; it cannot "
    "join other switches or have several NICs.",
    scope="host",
)
def pot_vnet_jail(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        for jail in host.jails:
            if jail.type != "vnet" or jail.manager != "pot":
                continue
            if len(jail.nics) > 1:
                yield Issue(
                    f"pot {jail.name} on {host.name} has {len(jail.nics)} NICs; pot gives a VNET pot one",
                    (refs.jail_ref(host, jail),),
                )
            for nic in jail.nics:
                switch = hi.switches.get(nic.switch)
                if switch is not None and switch.kind != "pot-bridge":
                    yield Issue(
                        f"pot {jail.name} NIC {nic.name} is on {switch.kind} {switch.name}; pot only attaches to its "
                        "pot-bridge",
                        (refs.jail_nic_ref(host, jail, nic),),
                    )


@rule(
    "JN511",
    Severity.INFO,
    "Re-running the script does not rebuild a pot",
    "The script creates a pot only when it does not exist (``pot create`` fails on an existing one), and pot "
    "has no command to change a pot's network type or address afterwards. After changing a pot's addresses "
    "or network, destroy it (``pot destroy -p NAME``) before running the script, or the pot keeps its old "
    "network. iocage jails are updated in place (``iocage set``) and need a restart to use the new values; "
    "jail.conf jails read their configuration at the next ``service jail restart NAME``.",
    scope="host",
)
def pot_rerun(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        for jail in hi.host.jails:
            if jail.manager == "pot" and (jail.nics or jail.addresses):
                yield Issue(
                    f"{hi.name} pot {jail.name}: a changed address or network needs `pot destroy -p {jail.name}` "
                    "before the script runs again",
                    (refs.jail_ref(hi.host, jail),),
                )


@rule(
    "JN512",
    Severity.ERROR,
    "Only pots join pot's bridge",
    "pot's public bridge is created by ``pot vnet-start`` with a name the kernel picks (bridgeN), so an iocage "
    "or jail.conf jail, or a VM, cannot name it. Put them on a switch of kind bridge (with its own subnet) "
    "and route between the two, or make the jail a pot.",
    scope="host",
)
def non_pot_on_pot_bridge(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        pot_bridges = {sw.name for sw in hi.host.switches if sw.kind == "pot-bridge"}
        for jail in hi.host.jails:
            for nic in jail.nics:
                if nic.switch in pot_bridges and jail.manager != "pot":
                    yield Issue(
                        f"{hi.name} {jail.manager} jail {jail.name} {nic.name} is on pot's bridge {nic.switch}",
                        (refs.jail_ref(hi.host, jail),),
                    )
        for vm in hi.host.vms:
            if any(nic.switch in pot_bridges for nic in vm.nics):
                yield Issue(f"{hi.name} VM {vm.name} is on pot's bridge", (refs.vm_ref(hi.host, vm),))
