"""Allow-lists for every value of a design that reaches a root shell command or a configuration file (pure).

A value is accepted only when the whole of it matches (``fullmatch``: ``$`` would also match before a
final newline). Pure (no Django: validation and the document reader use it); ``topology.validators`` wraps the
same lists as Django validators on the model fields (so the API and the Django admin refuse a
bad value with a field error). :func:`snapshot_validators` holds them, keyed by the design format's
dataclass fields, which the document reader applies before anything is stored and the validation rule
JN190 applies to every snapshot. A string field of the format without an entry here fails
``tests/topology/test_hostile_values.py``, so a new field cannot slip through.

The renderer quotes every value as well (``topology.render.freebsd.plan``); these lists are the first
line of defence, the quoting the second.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache


class ValueProblem(ValueError):
    """A value its allow-list refuses; the message says what is allowed."""


@dataclass(frozen=True)
class AllowList:
    """Accept a text only when all of it matches ``pattern`` (``fullmatch``: no trailing newline sneaks in)."""

    pattern: str
    message: str
    max_length: int | None = None

    def __call__(self, value: object) -> None:
        if not isinstance(value, str) or not re.fullmatch(self.pattern, value):
            raise ValueProblem(f"{_excerpt(value)} is not allowed: {self.message}")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueProblem(f"{_excerpt(value)} is longer than {self.max_length} characters.")


def _excerpt(value: object) -> str:
    """A short, printable excerpt of a refused value (never echo a long or binary value back)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


# --- names -----------------------------------------------------------------------------------------

validate_design_name = AllowList(
    r"[a-z0-9][a-z0-9._-]*",
    "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit.",
    100,
)
validate_host_name = AllowList(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", "use a host name like jailhost-a (letters, digits, '-').", 63
)
# jail(8) names: iocage, pot and jail.conf all accept these; '.' is refused (jail(8) treats it as a hierarchy)
validate_jail_name = AllowList(r"[A-Za-z0-9][A-Za-z0-9_-]*", "letters, digits, '_' and '-'.", 64)
validate_vm_name = AllowList(r"[A-Za-z0-9][A-Za-z0-9_-]*", "letters, digits, '_' and '-'.", 64)
validate_route_name = AllowList(r"[A-Za-z0-9_]+", "letters, digits and '_' (an rc.conf variable suffix).", 32)
validate_jail_nic_name = AllowList(r"vnet[0-9]{1,4}", "vnet0, vnet1 ...")
validate_segment_name = AllowList(
    r"[A-Za-z0-9][A-Za-z0-9_.-]*", "letters, digits, '_', '.' and '-', starting with a letter or digit.", 64
)
# RFC 952/1123 host names, dotted (a DHCP reservation's name, dnsmasq dhcp-host)
validate_dns_name = AllowList(
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
    "a host name such as guest or guest.example.org (letters, digits, '-', dots between labels).",
    253,
)

# --- FreeBSD values --------------------------------------------------------------------------------

# freebsd-version(1) spellings: 14.1-RELEASE, 14.1-RELEASE-p3, 15.0-BETA2, 14-STABLE, 15.0-CURRENT
validate_release = AllowList(
    r"[0-9]{1,2}(\.[0-9]{1,2})?-(RELEASE|STABLE|CURRENT|RC[0-9]{1,2}|BETA[0-9]{1,2}|ALPHA[0-9]{1,2})(-p[0-9]{1,3})?",
    "a FreeBSD release such as 14.1-RELEASE (or 14.1-RELEASE-p3, 15.0-BETA2).",
)
# zpool(8): a pool name begins with a letter and contains letters, digits, '_', '-', '.', ':'
_ZFS_COMPONENT = r"[A-Za-z0-9_.:-]+"
validate_zfs_pool = AllowList(r"[A-Za-z][A-Za-z0-9_.:-]*", "a ZFS pool name such as zroot.", 64)
validate_vm_dir = AllowList(
    rf"zfs:[A-Za-z][A-Za-z0-9_.:-]*(/{_ZFS_COMPONENT})*|/[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*",
    "zfs:POOL/DATASET (e.g. zfs:zroot/vms) or an absolute directory such as /vm.",
    128,
)
validate_size = AllowList(r"[0-9]{1,9}[KMGT]?", "a size such as 512M or 20G.", 16)
validate_guest = AllowList(r"[a-z][a-z0-9_-]*", "a vm-bhyve guest type such as freebsd, linux or windows.", 32)
# A medium vm-bhyve fetches (``vm iso URL``) or a file already in $vm_dir/.iso
validate_iso = AllowList(
    r"(https?|ftp)://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%+=,-]+)*/[A-Za-z0-9._~%+,-]+|[A-Za-z0-9][A-Za-z0-9._+-]*",
    "an http(s)/ftp URL of an image (letters, digits and . _ ~ % + = , - in its path) or a file name in $vm_dir/.iso.",
    200,
)
# dnsmasq lease times (dnsmasq(8) --dhcp-range): seconds, or with m/h/d/w, or "infinite"
validate_lease_time = AllowList(r"[0-9]{1,7}[smhdw]?|infinite", "a lease time such as 12h, 45m or infinite.")
# Written into rc.conf as ifconfig_<if>_descr: letters, digits and plain punctuation, no quote, $, `, \ or #
validate_description = AllowList(
    r"[A-Za-z0-9 _.,:;/()@+=-]+", "letters, digits, spaces and _ . , : ; / ( ) @ + = - only.", 64
)
# A pf rule's comment, written as '# ...' lines of pf.conf: printable text, no backslash (pf.conf would
# continue the comment onto the rule's line); several lines are allowed.
validate_rule_comment = AllowList(r"[^\x00-\x09\x0b-\x1f\x7f\\]+", "printable text without '\\'.", 200)
# (blank is allowed by the fields themselves; "+" keeps the pattern from also matching the empty text)
# The design's own description: free text, never written to a host; no control characters but newlines and tabs.
validate_free_text = AllowList(r"[^\x00-\x08\x0b-\x1f\x7f]+", "text without control characters.", 10000)


# --- addresses -------------------------------------------------------------------------------------


def validate_ipv4_address(value: str) -> None:
    """Accept a dotted-quad IPv4 address such as ``10.1.1.1``."""
    try:
        ipaddress.IPv4Address(value)
    except ValueError as exc:
        raise ValueProblem(f"{_excerpt(value)} is not an IPv4 address.") from exc


def validate_ipv4_interface(value: str) -> None:
    """Accept an address with optional prefix length (``10.1.1.1/24``, ``172.31.255.17``)."""
    try:
        ipaddress.IPv4Interface(value)
    except ValueError as exc:
        raise ValueProblem(f"{_excerpt(value)} is not an IPv4 address with prefix length (e.g. 10.1.1.1/24).") from exc


def validate_ipv4_network(value: str) -> None:
    """Accept an address, network or host prefix (``10.1.1.0/24``, ``172.31.255.17``); host bits allowed."""
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError as exc:
        raise ValueProblem(f"{_excerpt(value)} is not an IPv4 network (e.g. 10.1.1.0/24).") from exc


def validate_pf_network(value: str) -> None:
    """Accept a network as pf writes it in a rule, optionally negated (``!192.168.0.2``, ``10.1.1.0/24``)."""
    validate_ipv4_network(value[1:] if value.startswith("!") else value)


# FreeBSD interface names: IFNAMSIZ is 16 including the terminating NUL.
IFNAMSIZ = 16
_MAC = AllowList(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", "a MAC address like 58:9c:fc:00:00:01 (lower case).")
_INTERFACE_NAME = AllowList(
    r"[A-Za-z][A-Za-z0-9_.-]*", "an interface name: a letter, then letters, digits, '_', '.', '-'.", IFNAMSIZ - 1
)


# MACs and interface names are formats the designer checks with its own code (kinds_ts), hence functions.
def validate_mac(value: str) -> None:
    """Accept a MAC address written as six lower-case colon-separated octets."""
    _MAC(value)


def validate_interface_name(value: str) -> None:
    """Accept a FreeBSD interface name: a letter, then letters, digits, ``_ . -``; at most 15 characters."""
    _INTERFACE_NAME(value)


# --- the design format's string fields -------------------------------------------------------------

Validator = Callable[[str], None]


@cache
def snapshot_validators() -> dict[tuple[type, str], Validator]:
    """Validator of every free (non-enumerated) string field of the design format, by (dataclass, field).

    Enumerated fields (kinds, engines, modes ...) are checked against their choices by the reader.
    """
    from . import snapshot as s

    name = validate_switch_name = validate_interface_name
    return {
        (s.DesignSnapshot, "name"): validate_design_name,
        (s.DesignSnapshot, "description"): validate_free_text,
        (s.DesignSnapshot, "default_release"): validate_release,
        (s.Host, "name"): validate_host_name,
        (s.Host, "release"): validate_release,
        (s.Host, "default_router"): validate_ipv4_address,
        (s.Host, "zfs_pool"): validate_zfs_pool,
        (s.Host, "vm_dir"): validate_vm_dir,
        (s.Interface, "name"): name,
        (s.Interface, "address"): validate_ipv4_interface,
        (s.Interface, "parent"): name,
        (s.Interface, "description"): validate_description,
        (s.StaticRoute, "name"): validate_route_name,
        (s.StaticRoute, "destination"): validate_ipv4_network,
        (s.StaticRoute, "gateway"): validate_ipv4_address,
        (s.StaticRoute, "interface"): name,
        (s.SwitchPort, "interface"): name,
        (s.Switch, "name"): validate_switch_name,
        (s.Switch, "address"): validate_ipv4_interface,
        (s.JailAddress, "interface"): name,
        (s.JailAddress, "address"): validate_ipv4_interface,
        (s.JailNic, "name"): validate_jail_nic_name,
        (s.JailNic, "switch"): validate_switch_name,
        (s.JailNic, "address"): validate_ipv4_interface,
        (s.JailNic, "mac"): validate_mac,
        (s.FirewallRule, "interface"): name,
        (s.FirewallRule, "source"): validate_pf_network,
        (s.FirewallRule, "destination"): validate_pf_network,
        (s.FirewallRule, "comment"): validate_rule_comment,
        (s.Jail, "name"): validate_jail_name,
        (s.Jail, "release"): validate_release,
        (s.Jail, "default_router"): validate_ipv4_address,
        (s.VmNic, "switch"): validate_switch_name,
        (s.VmNic, "address"): validate_ipv4_interface,
        (s.VmNic, "mac"): validate_mac,
        (s.VirtualMachine, "name"): validate_vm_name,
        (s.VirtualMachine, "guest"): validate_guest,
        (s.VirtualMachine, "memory"): validate_size,
        (s.VirtualMachine, "disk_size"): validate_size,
        (s.VirtualMachine, "iso"): validate_iso,
        (s.VirtualMachine, "default_router"): validate_ipv4_address,
        (s.DhcpStaticLease, "mac"): validate_mac,
        (s.DhcpStaticLease, "address"): validate_ipv4_address,
        (s.DhcpStaticLease, "hostname"): validate_dns_name,
        (s.DhcpService, "switch"): validate_switch_name,
        (s.DhcpService, "range_start"): validate_ipv4_address,
        (s.DhcpService, "range_end"): validate_ipv4_address,
        (s.DhcpService, "lease_time"): validate_lease_time,
        (s.OutboundNat, "interface"): name,
        (s.OutboundNat, "source"): validate_ipv4_network,
        (s.PortRedirect, "interface"): name,
        (s.PortRedirect, "target_jail"): validate_jail_name,
        (s.PortRedirect, "target_vm"): validate_vm_name,
        (s.PortRedirect, "target_address"): validate_ipv4_address,
        (s.VxlanMember, "host"): validate_host_name,
        (s.VxlanMember, "interface_name"): name,
        (s.VxlanMember, "underlay_interface"): name,
        (s.VxlanMember, "local_address"): validate_ipv4_address,
        (s.VxlanMember, "remote_address"): validate_ipv4_address,
        (s.VxlanMember, "address"): validate_ipv4_interface,
        (s.VxlanMember, "switch"): validate_switch_name,
        (s.VxlanSegment, "name"): validate_segment_name,
        (s.VxlanSegment, "subnet"): validate_ipv4_network,
        (s.VxlanSegment, "multicast_group"): validate_ipv4_address,
    }


def value_errors(value: str, validator: Validator) -> list[str]:
    """The messages ``validator`` gives for ``value`` (empty when it is accepted)."""
    try:
        validator(value)
    except ValueProblem as exc:
        return [str(exc)]
    return []


def _label(item: object) -> str:
    for attribute in ("name", "interface_name", "switch", "mac", "interface"):
        value = getattr(item, attribute, None)
        if isinstance(value, str) and value:
            return value if len(value) <= 40 and value.isprintable() else _excerpt(value)
    return ""


def snapshot_value_errors(snap: object, where: str = "design") -> list[tuple[str, str, object]]:
    """Every string value of a snapshot its allow-list refuses: ``(location, message, object)``, document order.

    ``location`` reads like ``design.hosts[jailhost-a].jails[www].release``.
    """
    table = snapshot_validators()
    errors: list[tuple[str, str, object]] = []
    for f in dataclasses.fields(snap):  # type: ignore[arg-type]
        value = getattr(snap, f.name)
        validator = table.get((type(snap), f.name))
        if validator is not None and isinstance(value, str) and value != "":
            errors += [(f"{where}.{f.name}", message, snap) for message in value_errors(value, validator)]
        elif dataclasses.is_dataclass(value):
            errors += snapshot_value_errors(value, f"{where}.{f.name}")
        elif isinstance(value, tuple):
            for position, item in enumerate(value):
                if dataclasses.is_dataclass(item):
                    label = _label(item)
                    errors += snapshot_value_errors(item, f"{where}.{f.name}[{label or position}]")
    return errors
