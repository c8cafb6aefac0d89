"""Drift: what differs between a host's parsed state and what the deployed design expects. Pure.

:func:`drift` compares an :class:`~.expected.ExpectedHost` with a :class:`HostState` (records parsed from the
host's diagnostics) and returns findings a network engineer reads, each pointing at the design object it is
about: "switch111 member vnet0.12 is not PRIVATE", "vxlan222 group 239.0.0.223, the design says 239.0.0.222",
"group 239.0.0.111 not joined on em0", "jail www not running". A part of the state that was not collected
(None) is not compared, so a host without pf is not reported as missing its NAT rules twice.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from topology import snapshot as s

from .catalogue import BY_ID, Target
from .expected import (
    ExpectedHost,
    ExpectedInterface,
    ExpectedMember,
    ExpectedNat,
    Owner,
    expected_host,
    normalise_network,
)
from .parsers import PARSERS
from .records import InterfaceAddress, InterfaceRecord, JailRecord, MulticastMembership, NatRule, Parsed, RawLine

# The diagnostics "Check drift" runs on a host, in this order (catalogue ids).
DRIFT_DIAGNOSTICS: tuple[str, ...] = ("interfaces", "multicast-memberships", "pf-nat", "jails")


# How the comparisons report a finding: code, message, design object (and a severity, error by default).
Add = Callable[..., None]


class DriftSeverity(StrEnum):
    """Errors break what the design promises; warnings may be intended (a jail not set to start at boot)."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class DriftFinding:
    """One difference between a host and the design, linked to the design object (``ref``)."""

    code: str
    message: str
    host: str
    ref: s.ObjectRef
    severity: DriftSeverity = DriftSeverity.ERROR

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the panel and the diagram's badges."""
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "host": self.host,
            "object": {"kind": self.ref.kind, "path": self.ref.path, "id": self.ref.id},
        }


@dataclass(slots=True)
class HostState:
    """What was read from a host; a part left None was not collected and is not compared."""

    interfaces: Sequence[InterfaceRecord] | None = None
    memberships: Sequence[MulticastMembership] | None = None
    nat: Sequence[NatRule] | None = None
    jails: Sequence[JailRecord] | None = None
    unparsed: dict[str, list[RawLine]] = field(default_factory=dict)


def host_state(target: Target, outputs: Mapping[str, str]) -> HostState:
    """Parse the outputs of :data:`DRIFT_DIAGNOSTICS` (by catalogue id) with the catalogue's parsers."""
    parsed: dict[str, Parsed[Any]] = {}
    for diagnostic_id, text in outputs.items():
        parser = BY_ID[diagnostic_id].parser(target)
        if parser is not None:
            parsed[diagnostic_id] = PARSERS[parser](text)

    def records(diagnostic_id: str) -> list[Any] | None:
        return parsed[diagnostic_id].records if diagnostic_id in parsed else None

    return HostState(
        interfaces=records("interfaces"),
        memberships=records("multicast-memberships"),
        nat=records("pf-nat"),
        jails=records("jails"),
        unparsed={k: v.unparsed for k, v in parsed.items() if v.unparsed},
    )


# --- comparing -------------------------------------------------------------------------------------------

_IOCAGE_DESCR = re.compile(r"associated with jail: (\S+) as nic: epair(\d+)b")
_VM_BHYVE_DESCR = re.compile(r"vmnet/([^/]+)/(\d+)/")
# pfctl prints well-known ports by their /etc/services names.
SERVICE_PORTS = {
    "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "bootps": 67, "bootpc": 68, "tftp": 69,
    "http": 80, "www": 80, "pop3": 110, "ntp": 123, "imap": 143, "snmp": 161, "ldap": 389, "https": 443,
    "syslog": 514, "submission": 587, "imaps": 993, "pop3s": 995, "mysql": 3306, "postgresql": 5432,
    "http-alt": 8080,
}  # fmt: skip


def owner_of(record: InterfaceRecord | None, jail_names: frozenset[str]) -> Owner | None:
    """Who a bridge port belongs to, from the description its tool wrote (iocage, vm-bhyve, jail.conf, pot)."""
    if record is None or not record.description:
        return None
    text = record.description
    if match := _IOCAGE_DESCR.search(text):
        return ("jail", match.group(1), f"vnet{match.group(2)}")
    if match := _VM_BHYVE_DESCR.match(text):
        return ("vm", match.group(1), match.group(2))
    if text.startswith("jail:"):  # this renderer's jail.conf epairs: jail:NAME:NIC
        name, _, nic = text[5:].strip().partition(":")
        return ("jail", name, nic or None)
    if text.strip() in jail_names:  # pot: "ifconfig epair create descr <pot>"
        return ("jail", text.strip(), None)
    return None


def _owns(expected: Owner, observed: Owner | None) -> bool:
    return observed is not None and expected[:2] == observed[:2] and (observed[2] is None or expected[2] == observed[2])


def _ipv4(addresses: Sequence[InterfaceAddress]) -> dict[str, int | None]:
    return {a.address: a.prefixlen for a in addresses if a.family == "inet"}


def _is_private(member: Any) -> bool:
    return bool(member.private or (member.flags_value is not None and member.flags_value & 0x800))


def drift(expected: ExpectedHost, state: HostState) -> list[DriftFinding]:
    """Every difference between ``state`` and ``expected``, sorted (by code, then object, then message)."""
    findings: list[DriftFinding] = []
    host = expected.host

    def add(code: str, message: str, ref: s.ObjectRef, severity: DriftSeverity = DriftSeverity.ERROR) -> None:
        findings.append(DriftFinding(code, message, host, ref, severity))

    if state.interfaces is not None:
        observed = {r.name: r for r in state.interfaces}
        for wanted in expected.interfaces:
            if wanted.name not in observed and wanted.located_by is not None:
                found = _locate(state.interfaces, *wanted.located_by)
                if found is not None:  # drift speaks of it by the design's name from here on
                    observed[wanted.name] = found
            record = observed.get(wanted.name)
            if record is None:
                if wanted.managed or wanted.addresses:
                    add("interface-missing", f"{wanted.name} does not exist", wanted.ref)
                continue
            _compare_interface(wanted, record, add)
        known = {i.name for i in expected.interfaces}
        located = {id(r) for name, r in observed.items() if name != r.name}
        for record in state.interfaces:
            kind = _managed_kind(record)
            if kind and record.name not in known and id(record) not in located:
                add("interface-extra", f"{record.name}: a {kind} interface the design does not have", expected.ref)
        _compare_members(expected, observed, add)
    if state.memberships is not None:
        joined = {(m.interface, m.group) for m in state.memberships}
        for membership in expected.memberships:
            if (membership.interface, membership.group) not in joined:
                add("multicast-not-joined", f"group {membership.group} not joined on {membership.interface}",
                    membership.ref)  # fmt: skip
    if state.nat is not None and expected.nat_checked:
        _compare_nat(expected.nat, state.nat, add, expected.ref)
    if state.jails is not None:
        running = {j.name for j in state.jails if j.running}
        for jail in expected.jails:
            if jail.runtime_name not in running:
                severity = DriftSeverity.ERROR if jail.boot else DriftSeverity.WARNING
                add("jail-not-running", f"{jail.ref.kind} {jail.name} not running", jail.ref, severity)
    return sorted(findings, key=lambda f: (f.code, f.ref.path, f.message))


def _locate(interfaces: Sequence[InterfaceRecord], group: str, address: str) -> InterfaceRecord | None:
    """The interface in ``group`` that has ``address`` (how pot finds its bridge)."""
    return next((r for r in interfaces if group in r.groups and any(a.address == address for a in r.addresses)), None)


def _managed_kind(record: InterfaceRecord) -> str | None:
    """``bridge`` or ``vxlan`` when the interface is of a kind the design owns entirely (else None)."""
    kinds = {record.kind, *record.groups}
    for kind in ("bridge", "vxlan"):
        if kind in kinds:
            return kind
    return None


def _compare_interface(wanted: ExpectedInterface, record: InterfaceRecord, add: Add) -> None:
    name = wanted.name
    have = _ipv4(record.addresses)
    want: dict[str, int] = {}
    for cidr in wanted.addresses:
        interface = ipaddress.ip_interface(cidr)
        if interface.version == 4:
            want[str(interface.ip)] = interface.network.prefixlen
    for address, prefix in want.items():
        if address not in have:
            add("address-missing", f"{name} has no address {address}/{prefix}", wanted.ref)
        elif have[address] is not None and have[address] != prefix:
            add("address-prefix", f"{name} address {address}/{have[address]}, the design says /{prefix}", wanted.ref)
    for address, have_prefix in have.items():
        if address not in want and (want or wanted.managed):
            shown = f"{address}/{have_prefix}" if have_prefix is not None else address
            add("address-extra", f"{name} has address {shown}, which the design does not have", wanted.ref)
    if wanted.mtu is not None and record.mtu is not None and record.mtu != wanted.mtu:
        add("mtu", f"{name} MTU {record.mtu}, the design says {wanted.mtu}", wanted.ref)
    if wanted.vxlan is None:
        return
    want_vx, have_vx = wanted.vxlan, record.vxlan
    if have_vx is None:
        add("vxlan-config", f"{name} has no vxlan configuration (the design says VNI {want_vx.vni})", wanted.ref)
        return
    if have_vx.vni != want_vx.vni:
        add("vxlan-vni", f"{name} VNI {have_vx.vni}, the design says {want_vx.vni}", wanted.ref)
    if want_vx.group is not None and have_vx.group != want_vx.group:
        shown = have_vx.group or f"unicast to {have_vx.remote}"
        add("vxlan-group", f"{name} group {shown}, the design says {want_vx.group}", wanted.ref)
    if want_vx.remote is not None and (have_vx.multicast or have_vx.remote != want_vx.remote):
        shown = f"group {have_vx.remote}" if have_vx.multicast else f"remote {have_vx.remote}"
        add("vxlan-remote", f"{name} {shown}, the design says remote {want_vx.remote}", wanted.ref)
    port = have_vx.remote_port or have_vx.local_port
    if port is not None and port != want_vx.port:
        add("vxlan-port", f"{name} UDP port {port}, the design says {want_vx.port}", wanted.ref)
    if want_vx.local is not None and have_vx.local != want_vx.local:
        add("vxlan-local", f"{name} local address {have_vx.local or 'unset'}, the design says {want_vx.local}",
            wanted.ref)  # fmt: skip


def _compare_members(expected: ExpectedHost, observed: dict[str, InterfaceRecord], add: Add) -> None:
    jail_names = frozenset(j.name for j in expected.jails)
    wanted_by_bridge: dict[str, list[ExpectedMember]] = {}
    for expected_member in expected.members:
        wanted_by_bridge.setdefault(expected_member.bridge, []).append(expected_member)
    for bridge in sorted(expected.bridges | set(wanted_by_bridge)):
        record = observed.get(bridge)
        if record is None:
            continue  # reported as a missing interface
        wanted = list(wanted_by_bridge.get(bridge, []))
        unmatched = []
        anonymous = []  # ports whose owner their interface does not tell (no description)
        pairs = []
        for member in record.members:
            match = next((w for w in wanted if w.name == member.name), None)
            if match is None:
                owner = owner_of(observed.get(member.name), jail_names)
                match = next((w for w in wanted if w.owner is not None and _owns(w.owner, owner)), None)
                if match is None and owner is None and observed.get(member.name) is not None:
                    anonymous.append(member)
                    continue
            if match is None:
                unmatched.append(member)
                continue
            wanted.remove(match)
            pairs.append((member, match))
        # Jail and VM ports without a description (older pot, hand-made epairs) are paired in order with the
        # design's ports not found yet: their number and flags are still compared.
        for member in anonymous:
            match = next((w for w in wanted if w.owner is not None), None)
            if match is None:
                unmatched.append(member)
                continue
            wanted.remove(match)
            pairs.append((member, match))
        for member, match in pairs:
            private = _is_private(member)
            if match.private and not private:
                add("member-not-private", f"{bridge} member {member.name} is not PRIVATE", match.ref)
            elif private and not match.private:
                add("member-private", f"{bridge} member {member.name} is PRIVATE, the design says it is not", match.ref)
        for missing in wanted:
            add("member-missing", f"{bridge} member {missing.describe()} is missing", missing.ref)
        ref = next((i.ref for i in expected.interfaces if i.name == bridge), expected.ref)
        for extra in unmatched:
            add("member-extra", f"{bridge} member {extra.name} is not in the design", ref)


def _port_number(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        return int(text)
    return SERVICE_PORTS.get(text)


def _nat_matches(wanted: ExpectedNat, rule: NatRule) -> bool:
    if wanted.action == "nat-anchor":
        return rule.action == "nat-anchor" and rule.target == wanted.target
    if rule.action != wanted.action or rule.interface != wanted.interface:
        return False
    if wanted.action == "nat":
        return normalise_network(rule.source) == wanted.source
    target = (rule.target or "").strip("()")
    return (
        (rule.proto is None or wanted.proto is None or rule.proto == wanted.proto)
        and _port_number(rule.port) == wanted.port
        and (wanted.target is None or target == wanted.target)
        and (_port_number(rule.target_port) or wanted.port) == wanted.target_port
    )


def _compare_nat(wanted: Sequence[ExpectedNat], rules: Sequence[NatRule], add: Add, host_ref: s.ObjectRef) -> None:
    remaining = [r for r in rules if r.action in ("nat", "rdr", "nat-anchor")]
    for item in wanted:
        match = next((r for r in remaining if _nat_matches(item, r)), None)
        if match is not None:
            remaining.remove(match)
            continue
        if item.action == "nat":
            add("nat-missing", f"no NAT of {item.source or 'any source'} on {item.interface}", item.ref)
        elif item.action == "nat-anchor":
            add("nat-missing", f"no nat-anchor {item.target} in pf", item.ref)
        else:
            add("rdr-missing", f"no redirect of {item.proto} port {item.port} on {item.interface} to "
                f"{item.target}:{item.target_port}", item.ref)  # fmt: skip
    for rule in remaining:
        if rule.action == "nat-anchor" or rule.action.startswith("no-"):
            continue
        text = rule.text if not rule.text.startswith("[") else f"{rule.action} on {rule.interface} -> {rule.target}"
        add("nat-extra", f"{rule.action} rule not in the design: {text}", host_ref)


def drift_of_host(
    snapshot: s.DesignSnapshot, host_name: str, target: Target, outputs: Mapping[str, str]
) -> list[DriftFinding]:
    """Drift of one host from the raw outputs of :data:`DRIFT_DIAGNOSTICS` (the whole pipeline, pure)."""
    expected = expected_host(snapshot, host_name, target)
    # Every lab's namespaces are visible from any lab host; only this host's jails are looked for by name.
    return drift(expected, host_state(target, outputs))
