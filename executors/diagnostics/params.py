"""Safe parameters: every value a user gives a diagnostic is checked here before it reaches an argv.

Names (interfaces, jails, groups, anchors) must look like names *and* exist in the design or the host's facts;
a VNI must be one of the host's segments; a tcpdump filter must consist of known pcap-filter tokens only;
captures are bounded by packets, seconds and bytes. A refused value raises :class:`UnsafeParameter` with a
message that says which parameter, what was wrong and what is allowed.

Values are never spliced into a shell string: a diagnostic is an argv, and :func:`remote_command` quotes each
element as one word for the SSH exec (the filter stays one element, as tcpdump accepts it).
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum


class UnsafeParameter(ValueError):
    """A parameter value was refused; ``str()`` is the message for the user."""

    def __init__(self, parameter: str, value: object, reason: str) -> None:
        self.parameter = parameter
        self.value = value
        self.reason = reason
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        super().__init__(f"{parameter} {shown} refused: {reason}")


class ParamKind(StrEnum):
    """What a parameter is, which decides how it is checked (and which widget the UI shows)."""

    INTERFACE = "interface"
    VXLAN_INTERFACE = "vxlan-interface"
    GROUP = "interface-group"
    JAIL = "jail"
    VNI = "vni"
    PF_TABLE = "pf-table"
    PF_ANCHOR = "pf-anchor"
    TCPDUMP_FILTER = "tcpdump-filter"
    PACKETS = "packets"
    SECONDS = "seconds"
    BYTES = "bytes"
    SNAPLEN = "snaplen"
    CAPTURE_FORMAT = "capture-format"


# --- bounds of a capture ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bound:
    """A numeric parameter's default and allowed range (the UI shows the default)."""

    default: int
    minimum: int
    maximum: int
    unit: str


CAPTURE_BOUNDS: dict[ParamKind, Bound] = {
    ParamKind.PACKETS: Bound(default=1_000, minimum=1, maximum=100_000, unit="packets"),
    ParamKind.SECONDS: Bound(default=30, minimum=1, maximum=600, unit="seconds"),
    ParamKind.BYTES: Bound(default=10 * 1024 * 1024, minimum=1024, maximum=100 * 1024 * 1024, unit="bytes"),
    # Enough for a VXLAN-encapsulated full-size frame (1500 + 50 + Ethernet), far below tcpdump's 262144.
    ParamKind.SNAPLEN: Bound(default=2048, minimum=64, maximum=65_535, unit="bytes per packet"),
}

PF_TABLES = ("nat", "rules", "state", "info")
CAPTURE_FORMATS = ("text", "pcap")


@dataclass(frozen=True, slots=True)
class CaptureBounds:
    """The limits of one capture; it stops at whichever comes first (and on Stop)."""

    packets: int
    seconds: int
    bytes: int
    snaplen: int


def check_bound(kind: ParamKind, value: object | None, parameter: str | None = None) -> int:
    """``value`` (int or decimal digits) within the bounds of ``kind``; its default when None."""
    bound = CAPTURE_BOUNDS[kind]
    name = parameter or str(kind)
    if value is None or value == "":
        return bound.default
    if isinstance(value, bool):
        raise UnsafeParameter(name, value, "must be a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,10}", value):
        number = int(value)
    else:
        raise UnsafeParameter(name, value, "must be a whole number")
    if not bound.minimum <= number <= bound.maximum:
        raise UnsafeParameter(name, value, f"must be between {bound.minimum} and {bound.maximum} {bound.unit}")
    return number


def capture_bounds(
    *, packets: object = None, seconds: object = None, bytes: object = None, snaplen: object = None
) -> CaptureBounds:
    """Checked capture limits; each missing one takes its default."""
    return CaptureBounds(
        packets=check_bound(ParamKind.PACKETS, packets, "packets"),
        seconds=check_bound(ParamKind.SECONDS, seconds, "seconds"),
        bytes=check_bound(ParamKind.BYTES, bytes, "bytes"),
        snaplen=check_bound(ParamKind.SNAPLEN, snaplen, "snaplen"),
    )


# --- what a host has: the design's names and the host's facts ----------------------------------------


@dataclass(frozen=True, slots=True)
class HostFacts:
    """What a host reported about itself (gathered by ``ifconfig -l``/``jls``/``ip link`` at connection test)."""

    interfaces: frozenset[str] = frozenset()
    jails: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ParameterContext:
    """The names a host's diagnostics may take: the design's (for that host) and the host's own facts.

    ``vxlan_units`` maps a vxlan interface to the clone unit its sysctl tree is numbered by
    (``net.link.vxlan.<unit>``); ``vnis`` maps each VNI of the host to its vxlan interface.
    ``jail_prefix`` maps a jail to the argv prefix that runs a command inside it: ``jexec ioc-<name>`` for
    iocage (``jexec <name>`` for pot and jail.conf); on a lab host, ``nsenter --net=<the VNET jail's netns>``.
    ``jail_interfaces``: the interfaces inside each VNET jail (a plain jail shares the host's).
    """

    host: str
    interfaces: frozenset[str] = frozenset()
    jails: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    vnis: dict[int, str] = field(default_factory=dict)
    vxlan_units: dict[str, int] = field(default_factory=dict)
    jail_prefix: dict[str, tuple[str, ...]] = field(default_factory=dict)
    jail_interfaces: dict[str, frozenset[str]] = field(default_factory=dict)
    facts: HostFacts | None = None
    scope: str = "this host"  # how refusals name where a name was looked for

    def inside(self, jail: str) -> ParameterContext:
        """The context of a command run inside ``jail``: a VNET jail's own interfaces instead of the host's."""
        if jail not in self.jail_interfaces:
            return self
        return replace(
            self, interfaces=self.jail_interfaces[jail], facts=None, vnis={}, vxlan_units={}, scope=f"jail {jail}"
        )

    def known_interfaces(self) -> frozenset[str]:
        """The design's interfaces of this host and those the host reported."""
        return self.interfaces | (self.facts.interfaces if self.facts else frozenset())

    def known_jails(self) -> frozenset[str]:
        """The design's jails of this host and those the host reported running."""
        return self.jails | (self.facts.jails if self.facts else frozenset())

    def known_groups(self) -> frozenset[str]:
        """Interface groups: the drivers' and tools' groups, and those the host reported."""
        return self.groups | (self.facts.groups if self.facts else frozenset())


# The groups FreeBSD's cloners and the tools of the article put interfaces in (ifconfig ``groups:`` lines).
STANDARD_GROUPS = frozenset(
    {
        "bridge",
        "epair",
        "vxlan",
        "vlan",
        "tap",
        "lo",
        "pflog",
        "vm-switch",
        "vm-port",
        "vm-vlan",
        "pot",
        "egress",
    }
)

_IFNAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,14}")  # IFNAMSIZ 16 with its NUL; a letter first
_JAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_GROUP = re.compile(r"[A-Za-z_][A-Za-z0-9_.@-]{0,14}")  # ifconfig: "group names may not end in a digit"
_ANCHOR = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}(/[A-Za-z0-9_*][A-Za-z0-9_.*-]{0,63}){0,3}")


def _text(parameter: str, value: object) -> str:
    if not isinstance(value, str):
        raise UnsafeParameter(parameter, value, "must be text")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise UnsafeParameter(parameter, value, "contains control characters (newline, tab, NUL ...)")
    return value


def _listed(parameter: str, value: str, known: Collection[str], what: str, scope: str = "this host") -> str:
    if value not in known:
        names = ", ".join(sorted(known)[:12]) or "none"
        more = "" if len(known) <= 12 else f" and {len(known) - 12} more"
        raise UnsafeParameter(parameter, value, f"not {what} of {scope} (known: {names}{more})")
    return value


def check_interface(value: object, context: ParameterContext, parameter: str = "interface") -> str:
    """An interface name that looks like one and that the design or the host knows."""
    name = _text(parameter, value)
    if not _IFNAME.fullmatch(name):
        raise UnsafeParameter(
            parameter, value, "an interface name is a letter, then up to 14 letters, digits, '.', '_' or '-'"
        )
    return _listed(parameter, name, context.known_interfaces(), "an interface", context.scope)


def check_vxlan_interface(value: object, context: ParameterContext, parameter: str = "interface") -> str:
    """A vxlan interface of the host (one of its VXLAN segment members)."""
    name = check_interface(value, context, parameter)
    known = set(context.vxlan_units) | set(context.vnis.values())
    return _listed(parameter, name, known, "a vxlan interface", context.scope)


def check_jail(value: object, context: ParameterContext, parameter: str = "jail") -> str:
    """A jail name that looks like one and that the design or the host knows."""
    name = _text(parameter, value)
    if not _JAIL.fullmatch(name):
        raise UnsafeParameter(
            parameter, value, "a jail name is a letter or digit, then up to 63 letters, digits, '.', '_' or '-'"
        )
    return _listed(parameter, name, context.known_jails(), "a jail")


def check_group(value: object, context: ParameterContext, parameter: str = "group") -> str:
    """An interface group (``ifconfig -g``): the syntax ifconfig accepts, and known to the host."""
    name = _text(parameter, value)
    if not _GROUP.fullmatch(name) or name[-1].isdigit():
        raise UnsafeParameter(
            parameter, value, "a group name is up to 15 letters, digits, '.', '_', '@' or '-', not ending in a digit"
        )
    return _listed(parameter, name, context.known_groups(), "an interface group")


def check_vni(value: object, context: ParameterContext, parameter: str = "vni") -> int:
    """A VXLAN network identifier (0..16777215) of one of the host's segments."""
    if isinstance(value, bool):
        raise UnsafeParameter(parameter, value, "must be a whole number")
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,8}", value):
        value = int(value)
    if not isinstance(value, int):
        raise UnsafeParameter(parameter, value, "must be a whole number")
    if not 0 <= value < 1 << 24:
        raise UnsafeParameter(parameter, value, "a VNI is 24 bits: 0 to 16777215")
    if value not in context.vnis:
        known = ", ".join(str(v) for v in sorted(context.vnis)) or "none"
        raise UnsafeParameter(parameter, value, f"not a VXLAN segment of this host (its VNIs: {known})")
    return value


def check_pf_table(value: object, parameter: str = "table") -> str:
    """What ``pfctl -s`` shows: one of :data:`PF_TABLES`."""
    name = _text(parameter, value)
    if name not in PF_TABLES:
        raise UnsafeParameter(parameter, value, f"must be one of {', '.join(PF_TABLES)}")
    return name


def check_pf_anchor(value: object, parameter: str = "anchor") -> str:
    """A pf anchor path (``pot-nat``, ``pot-rdr/web``): names of letters, digits, '_', '.', '-', '/' between."""
    name = _text(parameter, value)
    if not _ANCHOR.fullmatch(name) or ".." in name:
        raise UnsafeParameter(parameter, value, "an anchor is names of letters, digits, '_', '.' or '-' joined by '/'")
    return name


def check_capture_format(value: object, parameter: str = "format") -> str:
    """``text`` (tcpdump's lines, streamed) or ``pcap`` (a file for Wireshark)."""
    if value is None:
        return "text"
    name = _text(parameter, value)
    if name not in CAPTURE_FORMATS:
        raise UnsafeParameter(parameter, value, f"must be one of {', '.join(CAPTURE_FORMATS)}")
    return name


# --- tcpdump filters ---------------------------------------------------------------------------------

FILTER_MAX_LENGTH = 512
FILTER_MAX_TOKENS = 64

# pcap-filter(7) primitives and qualifiers we accept. Names of hosts and services are not: the capture runs
# with -n, and a name would make the host resolve it (and leak the query).
FILTER_WORDS = frozenset(
    {
        # qualifiers
        "host", "net", "port", "portrange", "src", "dst", "ether", "gateway", "mask", "proto", "vlan", "mpls",
        "inbound", "outbound", "broadcast", "multicast", "less", "greater", "len",
        # protocols
        "ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "igmp", "pim", "vrrp", "carp", "sctp", "esp",
        "ah", "gre", "geneve",
        # logic
        "and", "or", "not",
        # named offsets and flag values of pcap-filter
        "tcpflags", "icmptype", "icmp6type", "tcp-fin", "tcp-syn", "tcp-rst", "tcp-push", "tcp-ack", "tcp-urg",
        "icmp-echoreply", "icmp-unreach", "icmp-echo", "icmp-timxceed",
    }
)  # fmt: skip

_FILTER_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<mac>[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})(?![\w:.])
  | (?P<ipv6>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:/[0-9]{1,3})?)(?![\w:.])
  | (?P<ipv4>[0-9]{1,3}(?:\.[0-9]{1,3}){1,3}(?:/[0-9]{1,2})?)(?![\w.])
  | (?P<number>0x[0-9A-Fa-f]{1,8}|[0-9]{1,10})(?![\w.])
  | (?P<word>[a-z][a-z0-9-]*)(?![\w.])
  | (?P<op>&&|\|\||==|>=|<=|<<|>>|[()\[\]:=<>&|+*/-])
    """,
    re.VERBOSE,
)


def check_tcpdump_filter(value: object, parameter: str = "filter") -> str:
    """A pcap filter of known tokens only (addresses, numbers, pcap-filter words, operators); '' is none.

    Refused: anything that is not one of those tokens (quotes, ``;``, ``$``, backticks, names of hosts),
    ``!`` (write ``not``: root's csh on FreeBSD before 14 expands ``!`` even in quotes), a leading ``-``
    (tcpdump would read an option), unbalanced parentheses, more than 512 characters or 64 tokens.
    """
    text = _text(parameter, value)
    if len(text) > FILTER_MAX_LENGTH:
        raise UnsafeParameter(parameter, value, f"longer than {FILTER_MAX_LENGTH} characters")
    stripped = text.strip()
    if stripped.startswith("-"):
        raise UnsafeParameter(parameter, value, "must not start with '-' (tcpdump would read it as an option)")
    if "!" in text:
        raise UnsafeParameter(parameter, value, "write 'not' (or '!=' as 'not ... =') instead of '!'")
    tokens = 0
    depth = 0
    position = 0
    while position < len(text):
        match = _FILTER_TOKEN.match(text, position)
        if match is None:
            bad = text[position : position + 12]
            raise UnsafeParameter(parameter, value, f"cannot read a pcap filter token at {bad!r}")
        kind = match.lastgroup
        token = match.group()
        position = match.end()
        if kind == "space":
            continue
        tokens += 1
        if kind == "word" and token not in FILTER_WORDS:
            raise UnsafeParameter(
                parameter,
                value,
                f"{token!r} is not a pcap-filter word we accept (use addresses and numbers, not names)",
            )
        if kind == "ipv4":
            _check_ipv4_token(parameter, value, token)
        if kind == "ipv6":
            try:
                ipaddress.ip_network(token, strict=False) if "/" in token else ipaddress.IPv6Address(token)
            except ValueError:
                raise UnsafeParameter(parameter, value, f"{token!r} is not an IPv6 address") from None
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            if depth < 0:
                raise UnsafeParameter(parameter, value, "a ')' closes nothing")
    if depth:
        raise UnsafeParameter(parameter, value, "a '(' is not closed")
    if tokens > FILTER_MAX_TOKENS:
        raise UnsafeParameter(parameter, value, f"more than {FILTER_MAX_TOKENS} tokens")
    return stripped


def _check_ipv4_token(parameter: str, value: object, token: str) -> None:
    address, _, prefix = token.partition("/")
    if any(int(octet) > 255 for octet in address.split(".")) or (prefix and int(prefix) > 32):
        raise UnsafeParameter(parameter, value, f"{token!r} is not an IPv4 address or network")


# --- the command line sent over SSH ------------------------------------------------------------------

_UNSAFE_IN_ARGV = re.compile(r"[\x00-\x1f\x7f!]")


def remote_command(argv: Sequence[str]) -> str:
    """The command line an SSH exec request carries for ``argv``: each element one single-quoted word.

    sshd hands the line to the user's login shell. ``shlex.join`` makes every element one word for sh; the
    elements are also refused here when they hold a control character (a newline ends a csh command even in
    quotes) or ``!`` (csh's history expansion works inside single quotes), so that the same line means the
    same argv for root's sh (FreeBSD 14+), csh (before 14) and the lab's Linux shells.
    """
    if not argv:
        raise UnsafeParameter("argv", list(argv), "is empty")
    for element in argv:
        if not isinstance(element, str):
            raise UnsafeParameter("argv", element, "every element must be text")
        if _UNSAFE_IN_ARGV.search(element):
            raise UnsafeParameter("argv", element, "contains a control character or '!'")
    return shlex.join(argv)
