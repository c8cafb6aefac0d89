"""The catalogue of diagnostics: each troubleshooting command as data, for FreeBSD hosts and lab hosts.

An entry says what the command is for, its FreeBSD argv and the Linux (lab host) equivalent, which parameters
it takes and of which kind, whether it changes the host (operator role, confirmation, audit), whether it
streams (tcpdump), whether it can run inside a jail (``jexec``; a lab VNET jail's namespace) and which parser
reads its output. :func:`build_argv` checks every parameter (:mod:`.params`) and returns the argv; nothing is
ever a shell string until :func:`.params.remote_command` quotes the argv for SSH.

The entries follow the reference article's "VXLAN Multicast Troubleshooting" section (ifconfig, sockstat -l4,
ifmcstat -i, tcpdump, arp -an, the vxlan ftable sysctl, arp -ad, vxlanflush) and go beyond it (interface
groups, pf, jails, vm-bhyve switches, iocage and pot listings, routes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .params import (
    CAPTURE_BOUNDS,
    CaptureBounds,
    ParameterContext,
    ParamKind,
    UnsafeParameter,
    capture_bounds,
    check_capture_format,
    check_group,
    check_interface,
    check_jail,
    check_pf_anchor,
    check_pf_table,
    check_tcpdump_filter,
    check_vni,
    check_vxlan_interface,
    remote_command,
)
from .pcap import packets_within


class Target(StrEnum):
    """What kind of host a diagnostic runs on."""

    FREEBSD = "freebsd"
    LAB = "lab"  # a Linux network namespace of the lab


class Role(StrEnum):
    """Who may run a diagnostic: readers of the design, or operators (for what changes a host)."""

    VIEWER = "viewer"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter of a diagnostic: its name in the argv template, its kind, and whether it must be given."""

    name: str
    kind: ParamKind
    required: bool = True
    help: str = ""


@dataclass(frozen=True, slots=True)
class WhenGiven:
    """Template elements included only when every parameter they name was given (``-a {anchor}``)."""

    elements: tuple[str, ...]


Template = tuple[str | WhenGiven, ...]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One troubleshooting command of the catalogue.

    ``freebsd``/``lab``: argv templates (``{name}`` is replaced by the checked parameter); ``lab`` None when
    the lab has no equivalent (vm-bhyve, iocage and pot are not emulated). ``parsers``: the parser of each
    target's output (see :data:`.parsers.PARSERS`), None where the output is shown raw only.
    """

    id: str
    title: str
    description: str
    freebsd: Template | None
    lab: Template | None
    parameters: tuple[Parameter, ...] = ()
    parsers: Mapping[Target, str | None] = field(default_factory=dict)
    mutates: bool = False
    streams: bool = False
    in_jail: bool = False  # may run inside a jail (jexec / the VNET jail's namespace)
    requires_tool: str | None = None  # iocage, pot, vm-bhyve: only on hosts that have it
    confirmation: str | None = None  # what the UI asks before a mutating action
    article: bool = False  # shown in the reference article's troubleshooting section

    @property
    def role(self) -> Role:
        """Mutating actions need the operator role; reading ones, read access to the design."""
        return Role.OPERATOR if self.mutates else Role.VIEWER

    @property
    def audited(self) -> bool:
        """Every mutating action is recorded in the audit history (reading runs are recorded as jobs)."""
        return self.mutates

    def template(self, target: Target) -> Template | None:
        """The argv template for ``target``."""
        return self.freebsd if target is Target.FREEBSD else self.lab

    def parser(self, target: Target) -> str | None:
        """The name of the parser reading this diagnostic's output on ``target``."""
        return self.parsers.get(target)


IFACE = Parameter("interface", ParamKind.INTERFACE)
OPTIONAL_IFACE = Parameter("interface", ParamKind.INTERFACE, required=False, help="all interfaces when empty")
VXLAN_IFACE = Parameter("interface", ParamKind.VXLAN_INTERFACE, help="a vxlan interface of the host")
ANCHOR = Parameter("anchor", ParamKind.PF_ANCHOR, required=False, help="a pf anchor such as pot-nat")
CAPTURE = (
    IFACE,
    Parameter("filter", ParamKind.TCPDUMP_FILTER, required=False, help="pcap-filter(7), e.g. udp and port 4789"),
    Parameter("packets", ParamKind.PACKETS, required=False),
    Parameter("seconds", ParamKind.SECONDS, required=False),
    Parameter("bytes", ParamKind.BYTES, required=False),
    Parameter("snaplen", ParamKind.SNAPLEN, required=False),
    Parameter("format", ParamKind.CAPTURE_FORMAT, required=False, help="text (streamed lines) or pcap (a file)"),
)
F, L = Target.FREEBSD, Target.LAB
CAPTURE_TEMPLATE: Template = (
    "timeout", "-s", "INT", "{seconds}", "tcpdump", "-n", "-l", "-i", "{interface}", "-c", "{packets}", "-s",
    "{snaplen}", WhenGiven(("--", "{filter}")),
)  # fmt: skip

CATALOGUE: tuple[Diagnostic, ...] = (
    Diagnostic(
        "interfaces", "Interfaces",
        "Every interface with flags, MTU, addresses, groups, bridge members and vxlan settings.",
        freebsd=("ifconfig", "-a"), lab=("ip", "-j", "-d", "addr", "show"),
        parsers={F: "ifconfig", L: "ip-addr-json"}, in_jail=True, article=True,
    ),
    Diagnostic(
        "interface", "One interface", "One interface as ifconfig shows it (a bridge with its members, a vxlan).",
        freebsd=("ifconfig", "{interface}"), lab=("ip", "-j", "-d", "addr", "show", "dev", "{interface}"),
        parameters=(IFACE,), parsers={F: "ifconfig", L: "ip-addr-json"}, in_jail=True, article=True,
    ),
    Diagnostic(
        "interface-group", "Interfaces of a group", "The names of the interfaces in a group (ifconfig -g bridge).",
        freebsd=("ifconfig", "-g", "{group}"), lab=None,  # Linux has no interface groups
        parameters=(Parameter("group", ParamKind.GROUP),), parsers={F: "ifconfig-group"}, in_jail=True,
    ),
    Diagnostic(
        "listening-sockets", "Listening IPv4 sockets",
        "Listening sockets, e.g. the kernel's vxlan socket on UDP 4789 (user '?').",
        freebsd=("sockstat", "-l4"), lab=("ss", "-H", "-l", "-n", "-4", "-t", "-u", "-p"),
        parsers={F: "sockstat", L: "ss"}, in_jail=True, article=True,
    ),
    Diagnostic(
        "multicast-memberships", "Multicast memberships",
        "Groups joined per interface: a multicast VXLAN joins its group on its underlay interface.",
        freebsd=("ifmcstat", WhenGiven(("-i", "{interface}"))),
        lab=("ip", "-j", "maddr", "show", WhenGiven(("dev", "{interface}"))),
        parameters=(OPTIONAL_IFACE,), parsers={F: "ifmcstat", L: "ip-maddr-json"}, in_jail=True, article=True,
    ),
    Diagnostic(
        "capture", "Packet capture",
        "tcpdump on an interface, bounded by packets, seconds and bytes; stoppable; text lines or a pcap file.",
        # Shown as is; build_capture_argv builds it (pcap format: -U -w - instead of -l).
        freebsd=CAPTURE_TEMPLATE, lab=CAPTURE_TEMPLATE,
        parameters=CAPTURE, parsers={F: "tcpdump", L: "tcpdump"}, streams=True, in_jail=True, article=True,
    ),
    Diagnostic(
        "arp", "ARP table", "IPv4 neighbours with MAC, interface and expiry.",
        freebsd=("arp", "-an"), lab=("ip", "-j", "-4", "neigh", "show"),
        parsers={F: "arp", L: "ip-neigh-json"}, in_jail=True, article=True,
    ),
    Diagnostic(
        "arp-flush", "Flush the ARP table", "Delete every ARP entry (they are learnt again on the next packet).",
        freebsd=("arp", "-ad"), lab=("ip", "-4", "neigh", "flush", "all"),
        parsers={F: "arp-deleted", L: None}, mutates=True, in_jail=True, article=True,
        confirmation="Delete every ARP entry of this host? Traffic pauses while addresses are resolved again.",
    ),
    Diagnostic(
        "vxlan-ftable", "VXLAN forwarding table", "Inner MAC -> remote VTEP entries of one vxlan interface.",
        freebsd=("sysctl", "net.link.vxlan.{unit}.ftable.dump"),
        lab=("bridge", "-j", "fdb", "show", "dev", "{interface}"),
        parameters=(VXLAN_IFACE,), parsers={F: "vxlan-ftable", L: "bridge-fdb-json"}, article=True,
    ),
    Diagnostic(
        "vxlan-flush", "Flush a VXLAN forwarding table", "Delete the learnt (dynamic) entries of one vxlan interface.",
        freebsd=("ifconfig", "{interface}", "vxlanflush"),
        lab=("bridge", "fdb", "flush", "dev", "{interface}", "self", "dynamic"),
        parameters=(VXLAN_IFACE,), parsers={F: None, L: None}, mutates=True, article=True,
        confirmation="Flush the learnt entries of this vxlan interface? Frames are flooded until it learns again.",
    ),
    Diagnostic(
        "pf-nat", "pf translation rules", "nat and rdr rules loaded in pf (optionally of one anchor).",
        freebsd=("pfctl", "-s", "nat", WhenGiven(("-a", "{anchor}"))), lab=("nft", "list", "ruleset"),
        parameters=(ANCHOR,), parsers={F: "pfctl-nat", L: "nft-nat"}, in_jail=True,
    ),
    Diagnostic(
        "pf-rules", "pf filter rules", "Filter rules loaded in pf (optionally of one anchor).",
        freebsd=("pfctl", "-s", "rules", WhenGiven(("-a", "{anchor}"))), lab=("nft", "list", "ruleset"),
        parameters=(ANCHOR,), parsers={F: "pfctl-rules", L: None}, in_jail=True,
    ),
    Diagnostic(
        "pf-state", "pf states", "The state table: connections with their translations and TCP/UDP states.",
        freebsd=("pfctl", "-s", "state"), lab=None,  # the lab hosts have no conntrack tool
        parsers={F: "pfctl-state"}, in_jail=True,
    ),
    Diagnostic(
        "pf-info", "pf status", "Whether pf is enabled, its counters and limits (shown raw).",
        freebsd=("pfctl", "-s", "info"), lab=None, parsers={}, in_jail=True,
    ),
    Diagnostic(
        "jails", "Running jails", "Running jails with their JID, name, hostname, path and first IPv4 address.",
        freebsd=("jls", "-q", "-n", "jid", "name", "host.hostname", "path", "ip4.addr"),
        lab=("ip", "-j", "netns", "list"),  # a lab VNET jail is a network namespace
        parsers={F: "jls", L: "ip-netns-json"},
    ),
    Diagnostic(
        "vm-switches", "vm-bhyve switches", "vm-bhyve's virtual switches (vm switch list).",
        freebsd=("vm", "switch", "list"), lab=None, parsers={F: "vm-switch-list"}, requires_tool="vm-bhyve",
    ),
    Diagnostic(
        "iocage-jails", "iocage jails", "Every iocage jail with its state, release and addresses.",
        freebsd=("iocage", "list", "-h", "-l"), lab=None, parsers={F: "iocage-list"}, requires_tool="iocage",
    ),
    Diagnostic(
        "pot-jails", "pot jails", "Every pot with its network type, address and whether it runs.",
        freebsd=("pot", "ls"), lab=None, parsers={F: "pot-ls"}, requires_tool="pot",
    ),
    Diagnostic(
        "routes", "IPv4 routes", "The routing table (shown raw).",
        freebsd=("netstat", "-rn", "-f", "inet"), lab=("ip", "-4", "route", "show"), parsers={}, in_jail=True,
    ),
)  # fmt: skip

BY_ID: dict[str, Diagnostic] = {d.id: d for d in CATALOGUE}


class NotAvailable(LookupError):
    """The diagnostic does not exist, has no equivalent on this target, or cannot run inside a jail."""


def diagnostic(diagnostic_id: str) -> Diagnostic:
    """The catalogue entry ``diagnostic_id``."""
    try:
        return BY_ID[diagnostic_id]
    except KeyError:
        raise NotAvailable(f"no diagnostic called {diagnostic_id!r}") from None


PF_SHOW = {"nat": "pf-nat", "rules": "pf-rules", "state": "pf-state", "info": "pf-info"}


def pf_diagnostic(table: object) -> str:
    """The catalogue entry showing pf's ``table`` (``pfctl -s nat|rules|state|info``), the table checked first."""
    return PF_SHOW[check_pf_table(table)]


def _check(parameter: Parameter, value: object, context: ParameterContext) -> str:
    kind = parameter.kind
    if kind is ParamKind.INTERFACE:
        return check_interface(value, context, parameter.name)
    if kind is ParamKind.VXLAN_INTERFACE:
        return check_vxlan_interface(value, context, parameter.name)
    if kind is ParamKind.GROUP:
        return check_group(value, context, parameter.name)
    if kind is ParamKind.JAIL:
        return check_jail(value, context, parameter.name)
    if kind is ParamKind.VNI:
        return str(check_vni(value, context, parameter.name))
    if kind is ParamKind.PF_ANCHOR:
        return check_pf_anchor(value, parameter.name)
    raise UnsafeParameter(parameter.name, value, f"{kind} parameters are not taken by this diagnostic")


def build_argv(
    diagnostic_id: str,
    target: Target,
    values: Mapping[str, object],
    context: ParameterContext,
    *,
    jail: str | None = None,
) -> tuple[str, ...]:
    """The checked argv of a diagnostic on ``target`` (inside ``jail`` when given).

    Unknown parameters are refused (a typo must not silently run something else); ``vni`` may be given
    instead of a vxlan ``interface`` (the host's member interface of that segment is used).
    """
    entry = diagnostic(diagnostic_id)
    if jail is not None:
        if not entry.in_jail:
            raise NotAvailable(f"{entry.title} does not run inside a jail")
        context = context.inside(check_jail(jail, context))
    if entry.streams:
        return build_capture_argv(target, values, context, jail=jail)
    template = entry.template(target)
    if template is None:
        raise NotAvailable(f"{entry.title} has no equivalent on {target} hosts")
    values = dict(values)
    if "vni" in values and any(p.kind is ParamKind.VXLAN_INTERFACE for p in entry.parameters):
        vni = check_vni(values.pop("vni"), context)
        values.setdefault("interface", context.vnis[vni])
    names = {p.name for p in entry.parameters}
    unknown = sorted(set(values) - names)
    if unknown:
        raise UnsafeParameter(unknown[0], values[unknown[0]], f"{entry.title} takes no such parameter")
    checked: dict[str, str] = {}
    for parameter in entry.parameters:
        value = values.get(parameter.name)
        if value is None or value == "":
            if parameter.required:
                raise UnsafeParameter(parameter.name, value, "is required")
            continue
        checked[parameter.name] = _check(parameter, value, context)
    if "interface" in checked and checked["interface"] in context.vxlan_units:
        checked["unit"] = str(context.vxlan_units[checked["interface"]])
    argv: list[str] = []
    for element in template:
        if isinstance(element, WhenGiven):
            try:
                argv += [e.format_map(checked) for e in element.elements]
            except KeyError:
                continue
        else:
            argv.append(element.format_map(checked))
    return _in_jail(entry, target, tuple(argv), context, jail)


def build_command(
    diagnostic_id: str,
    target: Target,
    values: Mapping[str, object],
    context: ParameterContext,
    *,
    jail: str | None = None,
) -> tuple[tuple[str, ...], str]:
    """The checked argv and the exact command line an SSH exec request carries for it (see ``remote_command``)."""
    argv = build_argv(diagnostic_id, target, values, context, jail=jail)
    return argv, remote_command(argv)


def build_capture_argv(
    target: Target,
    values: Mapping[str, object],
    context: ParameterContext,
    *,
    jail: str | None = None,
    save_to: str | None = None,
) -> tuple[str, ...]:
    """The bounded tcpdump argv: ``timeout -s INT SECONDS tcpdump -n -l|-U -w - -i IF -c N -s SNAPLEN -- FILTER``.

    ``save_to`` (a pcap format capture run as a job): the lines are printed (``-l --print``) while the packets
    are written to that file on the host (``-U -w FILE``), and ``-c`` is lowered to what the byte limit holds
    (:func:`.pcap.packets_within`), so that the file never outgrows the limit.

    The filter is one argv element after ``--`` (tcpdump joins the remaining arguments into its expression);
    ``timeout`` (FreeBSD base since 10.3, coreutils on Linux) ends it after ``seconds`` with SIGINT so that
    tcpdump flushes and prints its counts; ``-c`` bounds the packets; the byte bound is enforced by the
    reader of the stream (and ``-c`` x ``-s`` bounds a pcap file).
    """
    entry = BY_ID["capture"]
    if jail is not None:
        context = context.inside(check_jail(jail, context))
    unknown = sorted(set(values) - {p.name for p in entry.parameters})
    if unknown:
        raise UnsafeParameter(unknown[0], values[unknown[0]], "a capture takes no such parameter")
    interface = values.get("interface")
    if interface is None or interface == "":
        raise UnsafeParameter("interface", interface, "is required")
    interface = check_interface(interface, context)
    raw_filter = values.get("filter")
    capture_filter = "" if raw_filter is None else check_tcpdump_filter(raw_filter)
    bounds = capture_bounds(
        packets=values.get("packets"), seconds=values.get("seconds"), bytes=values.get("bytes"),
        snaplen=values.get("snaplen"),
    )  # fmt: skip
    packets = bounds.packets
    output: tuple[str, ...] = ("-l",)
    if check_capture_format(values.get("format")) == "pcap":
        output = ("-U", "-w", "-")
        if save_to is not None:
            output = ("-l", "--print", "-U", "-w", save_to)
            packets = min(packets, packets_within(bounds.bytes, bounds.snaplen))
    argv = ("timeout", "-s", "INT", str(bounds.seconds), "tcpdump", "-n", *output, "-i", interface)
    argv += ("-c", str(packets), "-s", str(bounds.snaplen))
    if capture_filter:
        argv += ("--", capture_filter)
    return _in_jail(entry, target, argv, context, jail)


def capture_limits(values: Mapping[str, object]) -> CaptureBounds:
    """The bounds a capture with ``values`` runs under (the reader stops at ``bytes``)."""
    return capture_bounds(
        packets=values.get("packets"), seconds=values.get("seconds"), bytes=values.get("bytes"),
        snaplen=values.get("snaplen"),
    )  # fmt: skip


def _in_jail(
    entry: Diagnostic, target: Target, argv: tuple[str, ...], context: ParameterContext, jail: str | None
) -> tuple[str, ...]:
    if jail is None:
        return argv
    if not entry.in_jail:
        raise NotAvailable(f"{entry.title} does not run inside a jail")
    name = check_jail(jail, context)
    prefix = context.jail_prefix.get(name)
    if prefix is None:
        if target is Target.LAB:
            raise NotAvailable(
                f"jail {name} has no network namespace of its own in the lab (a plain jail shares the host's)"
            )
        raise NotAvailable(f"jail {name} is not a jail jexec can enter on this host")
    return (*prefix, *argv)


def catalogue_as_dicts() -> list[dict[str, object]]:
    """The catalogue as JSON-ready data for the UI (parameters with their kinds, defaults and bounds)."""
    result: list[dict[str, object]] = []
    for entry in CATALOGUE:
        parameters = []
        for p in entry.parameters:
            item: dict[str, object] = {"name": p.name, "kind": str(p.kind), "required": p.required, "help": p.help}
            bound = CAPTURE_BOUNDS.get(p.kind)
            if bound is not None:
                item.update(default=bound.default, minimum=bound.minimum, maximum=bound.maximum, unit=bound.unit)
            parameters.append(item)
        result.append(
            {
                "id": entry.id,
                "title": entry.title,
                "description": entry.description,
                "freebsd": _shown(entry.freebsd),
                "lab": _shown(entry.lab),
                "parameters": parameters,
                "mutates": entry.mutates,
                "role": str(entry.role),
                "confirmation": entry.confirmation,
                "streams": entry.streams,
                "in_jail": entry.in_jail,
                "requires_tool": entry.requires_tool,
                "parsers": {str(t): name for t, name in entry.parsers.items()},
            }
        )
    return result


def _shown(template: Template | None) -> str | None:
    if template is None:
        return None
    words = []
    for element in template:
        words.append(f"[{' '.join(element.elements)}]" if isinstance(element, WhenGiven) else element)
    return " ".join(words)
