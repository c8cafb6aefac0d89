"""The names a host's diagnostics may take, derived from the design (and the host's facts). Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from topology import snapshot as s
from topology.render.freebsd.context import HostContext, members_by_host
from topology.render.freebsd.jails import epair_names
from topology.render.lab.network import build_network

from .catalogue import Target
from .expected import expected_host, jail_runtime_name
from .params import STANDARD_GROUPS, HostFacts, ParameterContext
from .records import InterfaceRecord, JailRecord

_UNIT = re.compile(r"vxlan(\d+)")


def _jail_side(jail: s.Jail, index: int) -> str:
    """A VNET jail NIC's name inside the jail: iocage's ``epairNb`` for ``vnetN``, the renderer's for jail.conf."""
    if jail.manager == "jail.conf":
        return epair_names(jail, jail.nics[index])[1]
    return f"epair{index}b"


def parameter_context(
    snapshot: s.DesignSnapshot, host_name: str, target: Target, facts: HostFacts | None = None
) -> ParameterContext:
    """What ``host_name``'s diagnostics may name on ``target``: its interfaces (the design's, in the names the
    target uses), jails and how to enter them, VNIs with their vxlan interfaces, and the sysctl units of those.
    """
    host = snapshot.host(host_name)
    if host is None:
        raise KeyError(f"no host {host_name!r} in design {snapshot.name!r}")
    expected = expected_host(snapshot, host_name, target)
    interfaces = {i.name for i in expected.interfaces} | {m.name for m in expected.members if m.name}
    jails = {j.name for j in host.jails}
    if target is Target.FREEBSD:
        ctx = HostContext(snapshot.name, host, members_by_host(snapshot).get(host_name, []))
        units = {}
        for name, clone in ctx.vxlan_clones.items():
            match = _UNIT.fullmatch(clone)
            if match:
                units[name] = int(match.group(1))
        vnis = {seg.vni: m.interface_name for seg, m in ctx.members}
        prefix: dict[str, tuple[str, ...]] = {j.name: ("jexec", jail_runtime_name(j)) for j in host.jails}
        # Inside a VNET jail iocage names the jail side of nic vnetN epairNb; a plain jail shares the host's.
        inside = {
            j.name: frozenset({"lo0", *(_jail_side(j, n) for n in range(len(j.nics)))})
            for j in host.jails
            if j.type == "vnet" and j.manager != "pot"  # pot's jail sides are numbered at run time
        }
    else:
        net = build_network(snapshot)
        vnis = {}
        for seg, m in net.vxlan_members.get(host_name, []):
            if m.interface_name in expected.vxlan_interfaces:
                vnis.setdefault(seg.vni, m.interface_name)
        units = {name: vni for vni, name in vnis.items()}
        guests = [g for g in net.guests[host_name] if g.kind == "vnet-jail"]
        prefix = {g.name: ("nsenter", f"--net=/run/netns/{g.netns}") for g in guests}
        inside = {g.name: frozenset({"lo", *(n.guest_side for n in g.nics)}) for g in guests}
    if facts is not None and target is Target.FREEBSD:
        # A running jail the design does not have is entered by the name jls shows.
        for name in facts.jails:
            prefix.setdefault(name, ("jexec", name))
    return ParameterContext(
        host=host_name,
        interfaces=frozenset(interfaces),
        jails=frozenset(jails),
        groups=STANDARD_GROUPS,
        vnis=vnis,
        vxlan_units=units,
        jail_prefix=prefix,
        jail_interfaces=inside,
        facts=facts,
    )


def host_facts(interfaces: Sequence[InterfaceRecord] = (), jails: Sequence[JailRecord] = ()) -> HostFacts:
    """A host's facts from its parsed ``ifconfig -a`` (or ``ip -j -d addr``) and ``jls``: the interface names,
    the groups they are in, and the running jails (what "Test connection" gathers)."""
    return HostFacts(
        interfaces=frozenset(r.name for r in interfaces),
        jails=frozenset(j.name for j in jails if j.running),
        groups=frozenset(g for r in interfaces for g in r.groups if g and not g[-1].isdigit()),
    )
