"""JN1xx — names: duplicate identities (the importer refuses those) and names FreeBSD or the tools reject."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import TypeVar

from ...snapshot import ObjectRef
from .. import refs
from ..findings import Issue, Severity
from ..index import DesignIndex
from ..registry import rule

T = TypeVar("T")

IFNAMSIZ = 16  # sys/net/if.h: interface names hold at most 15 characters plus the terminating NUL
_INTERFACE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
_JAIL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # no dots: jail(8) reads "a.b" as jail b inside jail a
_VM_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_VM_SWITCH_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")  # vm-bhyve's util::check_name
_VM_SWITCH_MAX = 12  # vm-bhyve names the bridge "vm-<name>", which must fit in 15 characters
_HOST_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def duplicates(items: Sequence[T], key: Callable[[T], Hashable]) -> list[list[T]]:
    """Groups of items sharing a key (only groups of two or more), in first-seen order."""
    if len(items) < 2:
        return []
    groups: dict[Hashable, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return [group for group in groups.values() if len(group) > 1]


def listed(items: list[str], limit: int = 5) -> str:
    """The first ``limit`` items joined for a message, and how many more there are."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def rc_conf_name(interface: str) -> str:
    """How rc.conf spells an interface in variable names: ``em0.101`` -> ``em0_101`` (network.subr get_if_var)."""
    return re.sub(r"[.\-/+]", "_", interface)


# --- identities (the importer refuses a document with any of these) ------------------------------------


@rule(
    "JN101",
    Severity.ERROR,
    "Duplicate host name",
    "Two hosts of a design have the same name. Hosts are referred to by name (VXLAN members, the "
    "operator script per host), so each name may appear once.",
    identity=True,
    scope="design",
)
def duplicate_host_names(index: DesignIndex) -> Iterator[Issue]:
    for group in duplicates(index.snapshot.hosts, lambda h: h.name):
        yield Issue(
            f"{len(group)} hosts are named {group[0].name}; host names must be unique in a design",
            tuple(refs.host_ref(h) for h in group),
        )


@rule(
    "JN102",
    Severity.ERROR,
    "Duplicate interface on a host",
    "A host lists the same interface (em0, em0.101, lo1) twice. FreeBSD has one interface per name.",
    identity=True,
    scope="host",
)
def duplicate_interfaces(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for group in duplicates(host.interfaces, lambda i: i.name):
            yield Issue(
                f"{host.name} lists interface {group[0].name} {len(group)} times",
                tuple(refs.interface_ref(host, i) for i in group),
            )


@rule(
    "JN103",
    Severity.ERROR,
    "Duplicate switch on a host",
    "Two switches of one host have the same name; NICs, VXLAN members and DHCP services refer to switches by name.",
    identity=True,
    scope="host",
)
def duplicate_switches(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for group in duplicates(host.switches, lambda sw: sw.name):
            yield Issue(
                f"{host.name} has {len(group)} switches named {group[0].name}",
                tuple(refs.switch_ref(host, sw) for sw in group),
            )


@rule(
    "JN104",
    Severity.ERROR,
    "Duplicate jail on a host",
    "Two jails of one host have the same name; iocage, pot and jail(8) know a jail by its name.",
    identity=True,
    scope="host",
)
def duplicate_jails(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for group in duplicates(host.jails, lambda j: j.name):
            yield Issue(
                f"{host.name} has {len(group)} jails named {group[0].name}",
                tuple(refs.jail_ref(host, j) for j in group),
            )


@rule(
    "JN105",
    Severity.ERROR,
    "Duplicate VM on a host",
    "Two bhyve VMs of one host have the same name; vm-bhyve keeps one directory per VM name.",
    identity=True,
    scope="host",
)
def duplicate_vms(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for group in duplicates(host.vms, lambda vm: vm.name):
            yield Issue(
                f"{host.name} has {len(group)} VMs named {group[0].name}",
                tuple(refs.vm_ref(host, vm) for vm in group),
            )


@rule(
    "JN106",
    Severity.ERROR,
    "Duplicate VXLAN interface on a host",
    "Two VXLAN members on the same host (of one segment or of different segments) use the same "
    "interface name, e.g. two vxlan111 on jailhost-a. Each member is its own vxlan(4) interface.",
    identity=True,
)
def duplicate_vxlan_interfaces(index: DesignIndex) -> Iterator[Issue]:
    members = [(seg, m) for seg in index.snapshot.vxlan_segments for m in seg.members]
    for group in duplicates(members, lambda sm: (sm[1].host, sm[1].interface_name)):
        member = group[0][1]
        segments = sorted({seg.name for seg, _ in group})
        yield Issue(
            f"{member.host} has {len(group)} VXLAN interfaces named {member.interface_name} "
            f"(segments {', '.join(segments)})",
            tuple(refs.member_ref(seg, m) for seg, m in group),
        )


@rule(
    "JN107",
    Severity.ERROR,
    "Duplicate VXLAN segment name",
    "Two VXLAN segments of a design have the same name.",
    identity=True,
    scope="design",
)
def duplicate_segments(index: DesignIndex) -> Iterator[Issue]:
    for group in duplicates(index.snapshot.vxlan_segments, lambda seg: seg.name):
        yield Issue(
            f"{len(group)} VXLAN segments are named {group[0].name}", tuple(refs.segment_ref(seg) for seg in group)
        )


@rule(
    "JN108",
    Severity.ERROR,
    "Duplicate static route name on a host",
    "Two static routes of one host have the same name; rc.conf keeps one ``route_<name>`` variable per name.",
    identity=True,
    scope="host",
)
def duplicate_static_routes(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for group in duplicates(host.static_routes, lambda r: r.name):
            yield Issue(
                f"{host.name} has {len(group)} static routes named {group[0].name} (route_{group[0].name})",
                tuple(refs.static_route_ref(host, r) for r in group),
            )


@rule(
    "JN109",
    Severity.ERROR,
    "Duplicate NIC name in a jail",
    "A VNET jail has two NICs with the same name (vnet0 twice); iocage keys its interfaces by that name.",
    identity=True,
    scope="host",
)
def duplicate_jail_nics(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for jail in host.jails:
            for group in duplicates(jail.nics, lambda n: n.name):
                yield Issue(
                    f"{jail.name} on {host.name} has {len(group)} NICs named {group[0].name}",
                    tuple(refs.jail_nic_ref(host, jail, n) for n in group),
                )


@rule(
    "JN110",
    Severity.ERROR,
    "Interface added to a switch twice",
    "A switch lists the same port interface twice; a bridge has each member once.",
    identity=True,
    scope="host",
)
def duplicate_switch_ports(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for switch in host.switches:
            for group in duplicates(switch.ports, lambda p: p.interface):
                yield Issue(
                    f"{switch.name} on {host.name} lists port {group[0].interface} {len(group)} times",
                    tuple(refs.switch_port_ref(host, switch, p) for p in group),
                )


# --- names FreeBSD and the tools accept -----------------------------------------------------------------


@rule(
    "JN111",
    Severity.ERROR,
    "Interface name used twice on a host",
    "A switch, a VXLAN member and a host interface are all FreeBSD interfaces of the host; two of "
    "them cannot have the same name (e.g. a switch called em0, or a bridge and a vxlan interface both "
    "called vxlan111).",
    scope="host",
)
def interface_name_clash(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        users: dict[str, list[tuple[str, ObjectRef]]] = defaultdict(list)
        for interface in hi.interfaces.values():
            users[interface.name].append(("interface", refs.interface_ref(host, interface)))
        for switch in hi.switches.values():
            users[switch.interface_name].append(("switch", refs.switch_ref(host, switch)))
        for name, (segment, member) in hi.members_by_ifname.items():
            users[name].append((f"VXLAN interface of {segment.name}", refs.member_ref(segment, member)))
        for name, group in users.items():
            if len(group) > 1:
                kinds = " and ".join(kind for kind, _ in group)
                yield Issue(
                    f"{host.name} would have two interfaces named {name} ({kinds})",
                    tuple(ref for _, ref in group),
                )


def _interface_name_problem(name: str) -> str | None:
    if len(name) >= IFNAMSIZ:
        return f"is {len(name)} characters long; FreeBSD interface names have at most {IFNAMSIZ - 1}"
    if not _INTERFACE_NAME.fullmatch(name):
        return "must start with a letter and contain only letters, digits, '.', '_' and '-'"
    return None


@rule(
    "JN112",
    Severity.ERROR,
    "Invalid FreeBSD interface name",
    "Interface names — host interfaces, switches (including the ``vm-<name>`` bridge of a vm-bhyve "
    "switch), VXLAN interfaces and jail NICs — must fit FreeBSD's 15-character limit (IFNAMSIZ) and "
    "use only letters, digits, '.', '_' and '-', starting with a letter, so they also work in rc.conf "
    "variable names.",
    scope="host",
)
def invalid_interface_names(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        for interface in hi.interfaces.values():
            problem = _interface_name_problem(interface.name)
            if problem:
                yield Issue(f"{host.name} interface {interface.name} {problem}", (refs.interface_ref(host, interface),))
        for switch in hi.switches.values():
            problem = _interface_name_problem(switch.interface_name)
            if problem:
                derived = f" (vm-bhyve's bridge for switch {switch.name})" if switch.kind == "vm-switch" else ""
                yield Issue(
                    f"{host.name} switch interface {switch.interface_name}{derived} {problem}",
                    (refs.switch_ref(host, switch),),
                )
        for name, (segment, member) in hi.members_by_ifname.items():
            problem = _interface_name_problem(name)
            if problem:
                yield Issue(
                    f"{host.name} VXLAN interface {name} of segment {segment.name} {problem}",
                    (refs.member_ref(segment, member),),
                )
        for jail in host.jails:
            for nic in jail.nics:
                problem = _interface_name_problem(nic.name)
                if problem:
                    yield Issue(f"{jail.name} NIC {nic.name} {problem}", (refs.jail_nic_ref(host, jail, nic),))


@rule(
    "JN113",
    Severity.ERROR,
    "Interface names collide in rc.conf",
    "rc.conf spells interface names with '.', '-', '/' and '+' replaced by '_' (``ifconfig_em0_101`` "
    "for em0.101), so two names differing only there (em0.101 and em0_101) would share their rc.conf "
    "variables.",
    scope="host",
)
def rc_conf_name_collisions(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        host = hi.host
        named: list[tuple[str, ObjectRef]] = [(n, refs.interface_ref(host, i)) for n, i in hi.interfaces.items()]
        named += [(sw.interface_name, refs.switch_ref(host, sw)) for sw in hi.switches.values()]
        named += [(n, refs.member_ref(seg, m)) for n, (seg, m) in hi.members_by_ifname.items()]
        for group in duplicates(named, lambda item: rc_conf_name(item[0])):
            names = sorted({name for name, _ in group})
            if len(names) > 1:
                yield Issue(
                    f"{host.name}: interfaces {' and '.join(names)} both become ifconfig_{rc_conf_name(names[0])} "
                    "in rc.conf",
                    tuple(ref for _, ref in group),
                )


@rule(
    "JN114",
    Severity.ERROR,
    "Invalid vm-bhyve switch name",
    "vm-bhyve accepts switch names of letters, digits and dashes (not at either end) and at most 12 "
    "characters, because it creates the bridge as ``vm-<name>``.",
    scope="host",
)
def invalid_vm_switch_names(index: DesignIndex) -> Iterator[Issue]:
    for hi in index.host_indexes():
        for switch in hi.switches.values():
            if switch.kind != "vm-switch":
                continue
            if len(switch.name) > _VM_SWITCH_MAX or not _VM_SWITCH_NAME.fullmatch(switch.name):
                yield Issue(
                    f"{hi.name} vm-bhyve switch name {switch.name!r} is not accepted by 'vm switch create' "
                    f"(letters, digits and inner dashes, at most {_VM_SWITCH_MAX} characters)",
                    (refs.switch_ref(hi.host, switch),),
                )


@rule(
    "JN115",
    Severity.ERROR,
    "Invalid jail or VM name",
    "Jail names may contain letters, digits, '_' and '-' (a '.' makes jail(8) read a child jail of "
    "another jail); VM names letters, digits, '.', '_' and '-', starting and ending with a letter or digit.",
    scope="host",
)
def invalid_guest_names(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        for jail in host.jails:
            if not _JAIL_NAME.fullmatch(jail.name):
                yield Issue(
                    f"{host.name} jail name {jail.name!r} is not a valid jail name (letters, digits, '_', '-')",
                    (refs.jail_ref(host, jail),),
                )
        for vm in host.vms:
            if not _VM_NAME.fullmatch(vm.name):
                yield Issue(f"{host.name} VM name {vm.name!r} is not accepted by vm-bhyve", (refs.vm_ref(host, vm),))


@rule(
    "JN116",
    Severity.WARNING,
    "Host name is not a valid hostname",
    "A host's name is used as its hostname and in file names; it should be a valid DNS name "
    "(letters, digits and inner dashes per label).",
    scope="host",
)
def invalid_host_names(index: DesignIndex) -> Iterator[Issue]:
    for host in index.snapshot.hosts:
        labels = host.name.split(".")
        if len(host.name) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
            yield Issue(f"host name {host.name!r} is not a valid hostname", (refs.host_ref(host),))


# the API/document kind of each object of the format, for findings about a value
_KINDS = {
    "DesignSnapshot": "design",
    "Host": "host",
    "Interface": "interface",
    "StaticRoute": "static-route",
    "Switch": "switch",
    "SwitchPort": "switch",
    "Jail": "jail",
    "JailAddress": "jail-address",
    "JailNic": "jail-nic",
    "VirtualMachine": "vm",
    "VmNic": "vm-nic",
    "DhcpService": "dhcp-service",
    "DhcpStaticLease": "dhcp-lease",
    "OutboundNat": "nat",
    "PortRedirect": "port-redirect",
    "FirewallPolicy": "firewall-policy",
    "FirewallRule": "firewall-rule",
    "VxlanSegment": "vxlan-segment",
    "VxlanMember": "vxlan-member",
}


@rule(
    "JN117",
    Severity.ERROR,
    "Value outside its allow-list",
    "Every value that reaches a shell command or a configuration file on a host — names, releases, ZFS "
    "pools and datasets, paths, URLs, descriptions, host names, lease times, sizes, MACs, addresses — must "
    "match its allow-list in full (``topology/allowlists.py``): no quote, ``$``, backtick, backslash, "
    "semicolon, newline or other control character where the value does not need one. The API and the "
    "importer refuse such values; this rule reports them in designs stored before the lists existed, and "
    "``design render`` refuses to render them.",
    scope="host",
)
def values_outside_allow_list(index: DesignIndex) -> Iterator[Issue]:
    from ...allowlists import snapshot_value_errors

    for where, message, obj in snapshot_value_errors(index.snapshot):
        ref = ObjectRef(_KINDS.get(type(obj).__name__, "design"), where, getattr(obj, "id", None))
        yield Issue(f"{where}: {message}", (ref,))
