"""ifconfig: interfaces with their addresses, MTU, flags, groups, bridge members and vxlan settings."""

from __future__ import annotations

import re
from dataclasses import replace

from ...records import (
    BridgeMember,
    InterfaceAddress,
    InterfaceRecord,
    Parsed,
    RawLine,
    VxlanConfig,
)

# --- ifconfig ------------------------------------------------------------------------------------------

_HEADER = re.compile(r"([^\s:][^\s]*?): flags=([0-9a-fA-F]+)<([^>]*)>(?: metric (\d+))?(?: mtu (\d+))?\s*$")
_WRAPPED_TAIL = re.compile(r"(?:metric (\d+) )?mtu (\d+)\s*$")
_MEMBER = re.compile(r"member: (\S+) flags=([0-9a-fA-F]+)<([^>]*)>")
_MEMBER_DETAIL = re.compile(r"(?:ifmaxaddr \d+ )?port (\d+) priority (\d+) path cost (\d+)")
_VXLAN = re.compile(r"vxlan vni (\d+) local (\[[^\]]*\]|[^\s:]*):(\d*) (group|remote) (\[[^\]]*\]|[^\s:]*):(\d*)")
_VLAN = re.compile(r"vlan: (\d+)(?:.*?parent interface: (\S+))?")
INTERFACE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,14}")
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
            if not line:  # nothing but the wrap mark
                continue
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
        if INTERFACE_NAME.fullmatch(name):
            result.records.append(name)
        else:
            result.unparsed.append(RawLine(number, line))
    return result
