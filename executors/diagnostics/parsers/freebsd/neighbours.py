"""Neighbours and sockets: arp, sockstat, ifmcstat and the vxlan forwarding table."""

from __future__ import annotations

import re
from dataclasses import replace

from ...records import (
    ArpEntry,
    FtableEntry,
    ListeningSocket,
    MulticastMembership,
    Parsed,
    RawLine,
)
from .interfaces import INTERFACE_NAME

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
        if not line[0].isspace() and body.endswith(":") and INTERFACE_NAME.fullmatch(body[:-1]):
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
