"""Parsers of FreeBSD command output, written from the tools' printf formats (sources in docs/diagnostics.md).

Each parser takes the whole text and returns :class:`~executors.diagnostics.records.Parsed` records. A line it
does not recognise is kept as a :class:`~executors.diagnostics.records.RawLine`; no input makes one raise.
Indentation is not relied on (tools print tabs, articles and terminals turn them into spaces); line wraps
that articles add to the ifconfig header (``... <FLAGS>`` / ``metric 0 mtu 1450``) are joined.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..records import (
    ArpEntry,
    BridgeMember,
    FtableEntry,
    InterfaceAddress,
    InterfaceRecord,
    JailRecord,
    ListeningSocket,
    MulticastMembership,
    NatRule,
    PacketLine,
    Parsed,
    PfRule,
    PfState,
    RawLine,
    VmSwitch,
    VxlanConfig,
)

# --- ifconfig ------------------------------------------------------------------------------------------

_HEADER = re.compile(r"([^\s:][^\s]*?): flags=([0-9a-fA-F]+)<([^>]*)>(?: metric (\d+))?(?: mtu (\d+))?\s*$")
_WRAPPED_TAIL = re.compile(r"(?:metric (\d+) )?mtu (\d+)\s*$")
_MEMBER = re.compile(r"member: (\S+) flags=([0-9a-fA-F]+)<([^>]*)>")
_MEMBER_DETAIL = re.compile(r"(?:ifmaxaddr \d+ )?port (\d+) priority (\d+) path cost (\d+)")
_VXLAN = re.compile(r"vxlan vni (\d+) local (\[[^\]]*\]|[^\s:]*):(\d*) (group|remote) (\[[^\]]*\]|[^\s:]*):(\d*)")
_VLAN = re.compile(r"vlan: (\d+)(?:.*?parent interface: (\S+))?")
_IFNAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,14}")
# Lines of an interface we recognise and keep as they are (options, STP parameters, nd6 ...).
_KNOWN_PREFIXES = (
    "options=", "capabilities=", "hwaddr ", "lladdr ", "nd6 options=", "id ", "maxage ", "root id ", "bridge flags",
    "ifmaxaddr ", "config: ", "ftable: ", "tunnel ", "fib: ", "tunnelfib: ", "Opened by PID", "plugged: ", "vendor: ",
    "carp: ", "laggproto ", "laggport: ", "lagg options", "lagghash ", "pfsync: ", "syncpeer: ", "role ", "drivername:",
)  # fmt: skip


def _prefixlen(mask_hex: str) -> int | None:
    try:
        mask = int(mask_hex, 16)
    except ValueError:
        return None
    ones = bin(mask).count("1")
    return ones if mask == (0xFFFFFFFF << (32 - ones)) & 0xFFFFFFFF and mask <= 0xFFFFFFFF else None


def _inet(words: list[str]) -> InterfaceAddress | None:
    if len(words) < 2:
        return None
    address = words[1]
    prefixlen: int | None = None
    netmask = broadcast = None
    if "/" in address:
        address, _, bits = address.partition("/")
        prefixlen = int(bits) if bits.isdigit() and int(bits) <= 32 else None
    for index in range(2, len(words) - 1, 2):
        key, value = words[index], words[index + 1]
        if key == "netmask":
            netmask = value
            if value.startswith("0x"):
                prefixlen = _prefixlen(value[2:])
            else:
                prefixlen = _prefixlen("".join(f"{int(o):02x}" for o in value.split(".") if o.isdigit()) or "x")
        elif key == "broadcast":
            broadcast = value
    if address.count(".") != 3:
        return None
    return InterfaceAddress("inet", address, prefixlen, broadcast, netmask)


def _inet6(words: list[str]) -> InterfaceAddress | None:
    if len(words) < 2:
        return None
    address, _, scope = words[1].partition("%")
    prefixlen = None
    if "/" in address:
        address, _, bits = address.partition("/")
        prefixlen = int(bits) if bits.isdigit() else None
    if "prefixlen" in words:
        index = words.index("prefixlen")
        if index + 1 < len(words) and words[index + 1].isdigit():
            prefixlen = int(words[index + 1])
    return InterfaceAddress("inet6", address, prefixlen, scope=scope or None)


def parse_ifconfig(text: str) -> Parsed[InterfaceRecord]:
    """``ifconfig``, ``ifconfig -a``, ``ifconfig IF``: interfaces with flags, MTU, addresses, groups, bridge
    members (flags in IFBIFBITS order), vxlan vni/local/group|remote and vlan tag/parent (sbin/ifconfig)."""
    result: Parsed[InterfaceRecord] = Parsed()
    current: InterfaceRecord | None = None
    awaiting_tail = False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.endswith("\\"):  # a line wrapped for print (as the article does)
            line = line[:-1].rstrip()
        if not line[0].isspace():
            header = _HEADER.match(line)
            if header is not None:
                name, _value, flags, metric, mtu = header.groups()
                current = InterfaceRecord(
                    name=name,
                    flags=tuple(f for f in flags.split(",") if f),
                    metric=int(metric) if metric else None,
                    mtu=int(mtu) if mtu else None,
                )
                result.records.append(current)
                awaiting_tail = mtu is None
                continue
            if awaiting_tail and current is not None and (tail := _WRAPPED_TAIL.fullmatch(line.strip())):
                current.metric = int(tail.group(1)) if tail.group(1) else current.metric
                current.mtu = int(tail.group(2))
                awaiting_tail = False
                continue
            result.unparsed.append(RawLine(number, line))
            continue
        awaiting_tail = False
        if current is None:
            result.unparsed.append(RawLine(number, line))
            continue
        body = line.strip()
        if not _interface_line(current, body):
            result.unparsed.append(RawLine(number, line))
    return result


def _interface_line(current: InterfaceRecord, body: str) -> bool:
    """Apply one indented line to ``current``; False when it is not a line we know."""
    first, _, rest = body.partition(" ")
    if first == "inet":
        address = _inet(body.split())
        if address is None:
            return False
        current.addresses.append(address)
    elif first == "inet6":
        address = _inet6(body.split())
        if address is None:
            return False
        current.addresses.append(address)
    elif first == "ether":
        current.mac = rest.strip().lower() or None
    elif first == "member:":
        match = _MEMBER.match(body)
        if match is None:
            return False
        name, value, flags = match.groups()
        current.members.append(BridgeMember(name, tuple(f for f in flags.split(",") if f), int(value, 16)))
    elif first == "groups:":
        current.groups = tuple(rest.split())
        current.kind = current.kind or (current.groups[0] if current.groups else None)
    elif first == "vxlan":
        match = _VXLAN.match(body)
        if match is None:
            return False
        vni, local, lport, mode, remote, rport = match.groups()
        current.vxlan = VxlanConfig(
            vni=int(vni),
            local=local.strip("[]") or None,
            local_port=int(lport) if lport else None,
            remote=remote.strip("[]") or None,
            remote_port=int(rport) if rport else None,
            multicast=mode == "group",
        )
    elif first == "vlan:":
        match = _VLAN.match(body)
        if match is None:
            return False
        current.vlan_tag = int(match.group(1))
        current.vlan_parent = match.group(2)
    elif first == "description:":
        current.description = rest
    elif first == "media:":
        current.media = rest
    elif first == "status:":
        current.status = rest
    elif (detail := _MEMBER_DETAIL.match(body)) is not None and current.members:
        port, priority, cost = detail.groups()
        current.members[-1] = replace(current.members[-1], port=int(port), priority=int(priority), path_cost=int(cost))
    elif body.startswith(_KNOWN_PREFIXES) or body in ("role", "state"):
        current.extra.append(body)
    else:
        return False
    return True


def parse_ifconfig_group(text: str) -> Parsed[str]:
    """``ifconfig -g GROUP``: one interface name per line (ifgroup.c ``printf("%s\\n")``)."""
    result: Parsed[str] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        name = line.strip()
        if not name:
            continue
        if _IFNAME.fullmatch(name):
            result.records.append(name)
        else:
            result.unparsed.append(RawLine(number, line))
    return result


# --- arp -------------------------------------------------------------------------------------------------

_LINK_TYPES = frozenset({"ethernet", "fddi", "atm", "vlan", "firewire", "bridge", "infiniband"})


def parse_arp(text: str) -> Parsed[ArpEntry]:
    """``arp -an``: ``? (IP) at MAC on IF permanent|expires in N seconds|expired [published] [type]`` (arp.c)."""
    result: Parsed[ArpEntry] = Parsed()
    records = result.records
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words:
            continue
        entry = _arp_entry(words)
        if entry is None:
            result.unparsed.append(RawLine(number, line))
        else:
            records.append(entry)
    return result


def _arp_entry(words: list[str]) -> ArpEntry | None:
    # HOST (IP) at MAC|(incomplete) on IF [permanent|expired|expires in N seconds] [published] [[type]]
    if len(words) < 6 or words[2] != "at" or words[4] != "on":
        return None
    ip = words[1]
    if ip[:1] != "(" or ip[-1:] != ")" or ip.count(".") != 3:
        return None
    mac = words[3]
    permanent = expired = published = False
    expires: int | None = None
    link_type = None
    index, count = 6, len(words)
    while index < count:
        word = words[index]
        if word == "permanent":
            permanent = True
        elif word == "expired":
            expired = True
        elif word == "published":
            published = True
        elif word == "expires" and index + 3 < count and words[index + 1] == "in" and words[index + 3] == "seconds":
            if not words[index + 2].isdigit():
                return None
            expires = int(words[index + 2])
            index += 3
        elif word[:1] == "[" and word[-1:] == "]" and word[1:-1] in _LINK_TYPES:
            link_type = word[1:-1]
        else:
            return None
        index += 1
    return ArpEntry(
        ip[1:-1],
        None if mac == "(incomplete)" else mac.lower(),
        words[5],
        words[0],
        permanent,
        expires,
        expired,
        published,
        link_type,
    )


_ARP_DELETED = re.compile(r"\S+ \(([0-9.]+)\) deleted")


def parse_arp_deleted(text: str) -> Parsed[str]:
    """``arp -ad``: ``HOST (IP) deleted`` per entry; the records are the deleted addresses."""
    result: Parsed[str] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _ARP_DELETED.fullmatch(line.strip())
        if match is None:
            result.unparsed.append(RawLine(number, line))
        else:
            result.records.append(match.group(1))
    return result


# --- sockstat ----------------------------------------------------------------------------------------------


def split_host_port(text: str) -> tuple[str, int | None] | None:
    """``*:4789`` -> ("*", 4789); ``10.0.0.2:*`` -> ("10.0.0.2", None); None when there is no ``:PORT``."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        return None
    if port == "*":
        return host, None
    if not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def parse_sockstat(text: str) -> Parsed[ListeningSocket]:
    """``sockstat -l4``: ``USER COMMAND PID FD PROTO LOCAL FOREIGN``; kernel sockets show ``?`` (sockstat.c)."""
    result: Parsed[ListeningSocket] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0] == "USER":
            continue
        local = split_host_port(parts[-2]) if len(parts) >= 7 else None
        if local is None or not parts[-3].startswith(("tcp", "udp", "sctp", "div", "stream", "dgram", "seqpac")):
            result.unparsed.append(RawLine(number, line))
            continue
        user, pid, fd = parts[0], parts[-5], parts[-4]
        result.records.append(
            ListeningSocket(
                proto=parts[-3],
                local_address=local[0],
                local_port=local[1],
                foreign=parts[-1],
                user=None if user == "?" else user,
                command=None if parts[1] == "?" else " ".join(parts[1:-5]),
                pid=int(pid) if pid.isdigit() else None,
                fd=int(fd) if fd.isdigit() else None,
            )
        )
    return result


# --- ifmcstat ----------------------------------------------------------------------------------------------

_MC_GROUP = re.compile(r"group (\S+)(?: scopeid 0x[0-9a-fA-F]+)?(?: mode (\S+))?(?: srcs \S+)?")


def parse_ifmcstat(text: str) -> Parsed[MulticastMembership]:
    """``ifmcstat [-i IF]``: ``IF:`` then ``group ADDR mode include|exclude`` and ``mcast-macaddr MAC`` lines."""
    result: Parsed[MulticastMembership] = Parsed()
    interface: str | None = None
    pending: MulticastMembership | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            result.records.append(pending)
            pending = None

    for number, line in enumerate(text.splitlines(), 1):
        body = line.strip()
        if not body:
            continue
        if not line[0].isspace() and body.endswith(":") and _IFNAME.fullmatch(body[:-1]):
            flush()
            interface = body[:-1]
            continue
        if interface is None:
            result.unparsed.append(RawLine(number, line))
            continue
        first = body.split(" ", 1)[0]
        if first == "group":
            match = _MC_GROUP.fullmatch(body)
            if match is None:
                result.unparsed.append(RawLine(number, line))
                continue
            flush()
            group = match.group(1).partition("%")[0]
            pending = MulticastMembership(interface, "inet6" if ":" in group else "inet", group, match.group(2))
        elif first == "mcast-macaddr" and pending is not None:
            pending = replace(pending, mac=body.split()[1].lower() if len(body.split()) > 1 else None)
        elif first in ("inet", "inet6", "link") or first.startswith(("igmpv", "mldv")):
            continue  # the interface's primary address and its IGMP/MLD settings
        else:
            result.unparsed.append(RawLine(number, line))
    flush()
    return result


# --- vxlan forwarding table --------------------------------------------------------------------------------

_FTABLE = re.compile(r"([DS]) 0x([0-9A-Fa-f]{2}) ((?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}) +(\S+) (-?\d+)")


def parse_vxlan_ftable(text: str) -> Parsed[FtableEntry]:
    """``sysctl net.link.vxlan.N.ftable.dump``: ``%c 0x%02X MAC(%02X:) %15s(remote) %08jd(expire)`` lines
    (sys/net/if_vxlan.c vxlan_ftable_entry_dump); the ``name:`` line and blank lines are skipped."""
    result: Parsed[FtableEntry] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        body = line.strip()
        if not body or (body.endswith(":") and body.startswith("net.link.vxlan.")):
            continue
        if body.startswith("net.link.vxlan.") and ": " in body:
            body = body.split(": ", 1)[1]  # sysctl prints "name: " and the first line when it has no newline
        match = _FTABLE.fullmatch(body)
        if match is None:
            result.unparsed.append(RawLine(number, line))
            continue
        kind, flags, mac, remote, expire = match.groups()
        result.records.append(FtableEntry(kind == "D", int(flags, 16), mac.lower(), remote, int(expire)))
    return result


# --- pf -----------------------------------------------------------------------------------------------------


def parse_pfctl_state(text: str) -> Parsed[PfState]:
    """``pfctl -s state``: ``IF PROTO ADDR[ (ORIG)] ->|<- ADDR[ (ORIG)]    SRC:DST`` (pf_print_state.c)."""
    result: Parsed[PfState] = Parsed()
    records = result.records
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words:
            continue
        state = _pf_state(words)
        if state is None:
            result.unparsed.append(RawLine(number, line))
        else:
            records.append(state)
    return result


def _pf_state(words: list[str]) -> PfState | None:
    count = len(words)
    if count not in (6, 7, 8):
        return None
    index = 3
    local_orig = remote_orig = None
    if words[index][:1] == "(":
        local_orig = words[index][1:-1]
        index += 1
    arrow = words[index]
    if arrow not in ("->", "<-") or index + 2 >= count:
        return None
    remote = words[index + 1]
    index += 2
    if words[index][:1] == "(":
        remote_orig = words[index][1:-1]
        index += 1
    if index != count - 1:
        return None
    direction = "out" if arrow == "->" else "in"
    return PfState(words[0], words[1], direction, words[2], local_orig, remote, remote_orig, words[index])


_PF_TOKENS = re.compile(r"\{[^}]*\}|\"[^\"]*\"|\S+")
_NAT_ACTIONS = ("nat", "rdr", "binat", "nat-anchor", "rdr-anchor", "binat-anchor")
_STOP_WORDS = frozenset(
    {"to", "port", "->", "flags", "tag", "tagged", "label", "round-robin", "random", "bitmask", "source-hash",
     "static-port", "sticky-address", "keep", "modulate", "synproxy", "no"}
)  # fmt: skip


def _collect(tokens: list[str], start: int) -> tuple[str | None, int]:
    """The words from ``start`` up to the next keyword, joined (``! 10.0.0.0/8``), and where they end."""
    words = []
    index = start
    while index < len(tokens) and tokens[index] not in _STOP_WORDS:
        words.append(tokens[index])
        index += 1
    return (" ".join(words) or None), index


def _port(tokens: list[str], index: int) -> tuple[str | None, int]:
    """After ``port``: ``= 8080`` -> "8080", ``1024:2048`` -> "1024:2048", ``{ 80, 443 }`` kept."""
    words = []
    while index < len(tokens) and tokens[index] not in _STOP_WORDS:
        words.append(tokens[index])
        index += 1
    text = " ".join(words)
    return (text[2:] if text.startswith("= ") else text) or None, index


def _tokens(line: str) -> list[str]:
    """pf words: brace lists and quoted strings stay one token (``{ 80, 443 }``)."""
    return _PF_TOKENS.findall(line) if "{" in line or '"' in line else line.split()


def parse_nat_rule_line(line: str) -> NatRule | None:
    """One ``pfctl -s nat`` line (print_rule + print_pool), or None when it is not a translation rule."""
    tokens = _tokens(line)
    if not tokens:
        return None
    negated = tokens[0] == "no"
    action_index = 1 if negated else 0
    if action_index >= len(tokens) or tokens[action_index] not in _NAT_ACTIONS:
        return None
    action = ("no-" if negated else "") + tokens[action_index]
    interface = proto = source = destination = target = port = target_port = None
    index = action_index + 1
    if action.endswith("-anchor") and index < len(tokens):
        target = tokens[index].strip('"')
        index += 1
    while index < len(tokens):
        token = tokens[index]
        if token == "on" and index + 1 < len(tokens):
            interface = tokens[index + 1]
            index += 2
        elif token == "proto" and index + 1 < len(tokens):
            proto = tokens[index + 1]
            index += 2
        elif token == "all":
            source = destination = "any"
            index += 1
        elif token == "from":
            source, index = _collect(tokens, index + 1)
            if index < len(tokens) and tokens[index] == "port":
                _, index = _port(tokens, index + 1)
        elif token == "to":
            destination, index = _collect(tokens, index + 1)
            if index < len(tokens) and tokens[index] == "port":
                port, index = _port(tokens, index + 1)
        elif token == "->":
            target, index = _collect(tokens, index + 1)
            if index < len(tokens) and tokens[index] == "port":
                target_port, index = _port(tokens, index + 1)
        else:
            index += 1
    return NatRule(action, interface, source, destination, target, proto, port, target_port, line.strip())


def parse_pfctl_nat(text: str) -> Parsed[NatRule]:
    """``pfctl -s nat``: nat/rdr/binat rules and nat-/rdr-anchors; ``-v`` counter lines are kept raw."""
    result: Parsed[NatRule] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        body = line.strip()
        if body[:1] == "@":  # -vv rule numbers
            body = body[1:].lstrip("0123456789 ")
        rule = parse_nat_rule_line(body)
        if rule is None:
            result.unparsed.append(RawLine(number, line))
        else:
            result.records.append(rule)
    return result


_FILTER_ACTIONS = ("pass", "block", "match", "scrub", "antispoof", "anchor")


def parse_pfctl_rules(text: str) -> Parsed[PfRule]:
    """``pfctl -s rules``: action, direction, quick and interface of each rule; the full text is kept."""
    result: Parsed[PfRule] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        body = line.strip()
        if not body:
            continue
        tokens = _tokens(body)
        if tokens and tokens[0].startswith("@"):
            tokens = tokens[1:]
        if not tokens or tokens[0] not in _FILTER_ACTIONS:
            result.unparsed.append(RawLine(number, line))
            continue
        direction = next((t for t in tokens[1:4] if t in ("in", "out")), None)
        interface = tokens[tokens.index("on") + 1] if "on" in tokens[:-1] else None
        result.records.append(PfRule(tokens[0], direction, "quick" in tokens, interface, body))
    return result


# --- jails and tools ----------------------------------------------------------------------------------------

_JLS_PAIR = re.compile(r'([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_jls(text: str) -> Parsed[JailRecord]:
    """``jls -q -n jid name host.hostname path ip4.addr`` (name=value pairs), or ``jls``'s default table
    (``JID  IP Address  Hostname  Path``, the IP column empty for a VNET jail) (usr.sbin/jls/jls.c)."""
    result: Parsed[JailRecord] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        body = line.strip()
        if not body or body.startswith("JID"):
            continue
        if "=" in body:
            if '"' in body:
                pairs = {k: v[1:-1] if v.startswith('"') else v for k, v in _JLS_PAIR.findall(body)}
            else:
                pairs = dict(word.partition("=")[::2] for word in body.split())
            name = pairs.get("name")
            jid = pairs.get("jid", "")
            if not name or not jid.isdigit():
                result.unparsed.append(RawLine(number, line))
                continue
            ip4 = pairs.get("ip4.addr") or None
            result.records.append(
                JailRecord(
                    name=name,
                    jid=int(jid),
                    hostname=pairs.get("host.hostname") or None,
                    path=pairs.get("path") or None,
                    ip4=None if ip4 in (None, "-") else ip4,
                )
            )
            continue
        parts = body.split()
        if len(parts) in (3, 4) and parts[0].isdigit():
            ip4 = parts[1] if len(parts) == 4 else None
            hostname, path = parts[-2], parts[-1]
            # The default table has no name column; the hostname stands in (iocage and pot set it to the name).
            result.records.append(JailRecord(name=hostname, jid=int(parts[0]), hostname=hostname, path=path, ip4=ip4))
        else:
            result.unparsed.append(RawLine(number, line))
    return result


def _dash(value: str) -> str | None:
    return None if value in ("-", "n/a", "") else value


def parse_vm_switch_list(text: str) -> Parsed[VmSwitch]:
    """``vm switch list``: NAME TYPE IFACE ADDRESS PRIVATE MTU VLAN PORTS (vm-bhyve lib/vm-switch, column -t)."""
    result: Parsed[VmSwitch] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[:2] == ["NAME", "TYPE"]:
            continue
        if len(parts) < 8 or parts[4] not in ("yes", "no", "n/a", "-"):
            result.unparsed.append(RawLine(number, line))
            continue
        mtu = _dash(parts[5])
        result.records.append(
            VmSwitch(
                name=parts[0],
                type=parts[1],
                interface=_dash(parts[2]),
                address=_dash(parts[3]),
                private=None if parts[4] in ("n/a", "-") else parts[4] == "yes",
                mtu=int(mtu) if mtu and mtu.isdigit() else None,
                vlan=_dash(parts[6]),
                ports=tuple(p for p in (_dash(x) for x in " ".join(parts[7:]).replace(",", " ").split()) if p),
            )
        )
    return result


def parse_iocage_list(text: str) -> Parsed[JailRecord]:
    """``iocage list -h [-l]`` (tab separated: JID NAME [BOOT] STATE [TYPE] RELEASE IP4 ...) or its table form."""
    result: Parsed[JailRecord] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("+"):
            continue
        table_row = line.startswith("|")
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if table_row else line.split("\t")
        if cells and cells[0] == "JID":
            continue
        if len(cells) >= 10:  # -l: jid name boot state type release ip4 ip6 template basejail
            jid, name, state, release, ip4 = cells[0], cells[1], cells[3], cells[5], cells[6]
        elif len(cells) == 5:  # jid name state release ip4
            jid, name, state, release, ip4 = cells
        else:
            result.unparsed.append(RawLine(number, line))
            continue
        if state not in ("up", "down", "CORRUPT") or not name:
            result.unparsed.append(RawLine(number, line))
            continue
        result.records.append(
            JailRecord(
                name=name,
                jid=int(jid) if jid.isdigit() else None,
                ip4=_dash(ip4),
                running=state == "up",
                release=release or None,
                manager="iocage",
            )
        )
    return result


def parse_pot_ls(text: str) -> Parsed[JailRecord]:
    """``pot ls``: ``pot name : NAME`` then ``network :``, ``ip :``, ``active : true|false`` (share/pot/list.sh)."""
    result: Parsed[JailRecord] = Parsed()
    current: dict[str, str] | None = None

    def flush() -> None:
        if current is not None and current.get("pot name"):
            result.records.append(
                JailRecord(
                    name=current["pot name"],
                    ip4=current.get("ip") or None,
                    running=current.get("active") == "true",
                    release=current.get("base"),
                    network=current.get("network"),
                    manager="pot",
                )
            )

    for number, line in enumerate(text.splitlines(), 1):
        body = line.strip()
        if not body:
            continue
        key, sep, value = body.partition(" : ")
        if key == "pot name" and sep:
            flush()
            current = {"pot name": value.strip()}
        elif current is not None and sep and key in ("network", "ip", "active", "base", "level", "base pot"):
            current[key] = value.strip()
        elif current is not None and (body in ("datasets:", "snapshot:") or line.startswith("\t\t")):
            continue  # -v details
        else:
            result.unparsed.append(RawLine(number, line))
    flush()
    return result


# --- tcpdump -------------------------------------------------------------------------------------------------

_TIMESTAMP = re.compile(r"(\d{2}:\d{2}:\d{2}\.\d{6}) ")
_VNI = re.compile(r"VXLAN, flags \[[I.]\] \(0x[0-9a-f]{2}\), vni (\d+)")


def parse_tcpdump(text: str) -> Parsed[PacketLine]:
    """``tcpdump -n -l``: each line as a packet line, with its timestamp and the VNI of a VXLAN header
    (print-vxlan.c ``VXLAN, flags [I] (0x08), vni %u``; the inner frame follows on the next line)."""
    result: Parsed[PacketLine] = Parsed()
    for line in text.splitlines():
        if not line.strip():
            continue
        stamp = _TIMESTAMP.match(line)
        vni = _VNI.search(line) if "VXLAN" in line else None
        result.records.append(PacketLine(stamp.group(1) if stamp else None, line, int(vni.group(1)) if vni else None))
    return result
