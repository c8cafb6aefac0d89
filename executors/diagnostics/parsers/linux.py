"""Parsers of the lab hosts' Linux equivalents (iproute2 JSON, ss, nftables JSON) into the same records.

Linux names its concepts differently; the records use FreeBSD's words so that drift and the UI need not care:
a bridge port's ``isolated`` is the member flag ``PRIVATE``, ``learning`` is ``LEARNING``, ``flood`` is
``DISCOVER``; a vxlan link's ``id``/``group``/``remote``/``local``/``port`` fill the same vxlan settings.
Input that is not the JSON expected is kept as raw lines; no input makes a parser raise.
"""

from __future__ import annotations

import json
from typing import Any

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
    Parsed,
    RawLine,
    VxlanConfig,
)
from .freebsd import split_host_port


def _json_list(text: str, result: Parsed[Any], key: str | None = None) -> list[Any]:
    """The JSON array in ``text`` (or ``text[key]``); on anything else, every line becomes a raw line."""
    try:
        data = json.loads(text) if text.strip() else []
        if key is not None:
            data = data[key] if isinstance(data, dict) else None
    except (ValueError, KeyError, TypeError, RecursionError):
        data = None
    if not isinstance(data, list):
        result.unparsed.extend(RawLine(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip())
        return []
    return data


def _raw(result: Parsed[Any], index: int, item: object) -> None:
    try:
        text = json.dumps(item, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(item)
    result.unparsed.append(RawLine(index + 1, text))


_SLAVE_FLAGS = (("learning", "LEARNING"), ("flood", "DISCOVER"), ("isolated", "PRIVATE"))


def _member_flags(slave: dict[str, Any]) -> tuple[str, ...]:
    # FreeBSD's IFBIFBITS order: LEARNING, DISCOVER, STP, SPAN, STICKY, PRIVATE ...
    return tuple(name for key, name in _SLAVE_FLAGS if slave.get(key) is True)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str | None:
    return value if type(value) is str else None


def _int(value: object) -> int | None:
    return value if type(value) is int else None


def parse_ip_addr_json(text: str) -> Parsed[InterfaceRecord]:
    """``ip -j -d addr show``: links with flags, MTU, MAC, addresses, link kind, bridge master and port flags,
    vxlan id/group/remote/local/port/dev and vlan id/parent. Bridge members are gathered onto their bridge."""
    result: Parsed[InterfaceRecord] = Parsed()
    records = result.records
    ports: list[tuple[str, str, dict[str, Any]]] = []  # (bridge, port, slave data)
    for index, item in enumerate(_json_list(text, result)):
        name = item.get("ifname") if type(item) is dict else None
        if type(name) is not str:
            _raw(result, index, item)
            continue
        get = item.get
        flags = get("flags")
        record = InterfaceRecord(
            name=name,
            flags=tuple(f for f in flags if type(f) is str) if type(flags) is list else (),
            mtu=_int(get("mtu")),
            mac=_str(get("address")),
            master=_str(get("master")),
            description=_str(get("ifalias")),
        )
        addr_info = get("addr_info")
        if type(addr_info) is list:
            addresses = record.addresses
            for address in addr_info:
                if type(address) is not dict:
                    continue
                family, local = address.get("family"), address.get("local")
                if (family == "inet" or family == "inet6") and type(local) is str:
                    addresses.append(
                        InterfaceAddress(
                            family, local, _int(address.get("prefixlen")), _str(address.get("broadcast")),
                            None, _str(address.get("scope")),
                        )
                    )  # fmt: skip
        info = get("linkinfo")
        if type(info) is dict:
            _link_kind(record, item, info, ports)
        records.append(record)
    if ports:
        by_name = {r.name: r for r in records}
        for bridge, port_name, slave in ports:
            if bridge in by_name:
                by_name[bridge].members.append(
                    BridgeMember(port_name, _member_flags(slave), None, _int(slave.get("no")),
                                 _int(slave.get("priority")), _int(slave.get("cost")))
                )  # fmt: skip
    return result


def _link_kind(
    record: InterfaceRecord, item: dict[str, Any], info: dict[str, Any], ports: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """The link kind's details: vxlan settings, vlan tag and parent, the bridge port's flags."""
    record.kind = _str(info.get("info_kind"))
    data = _dict(info.get("info_data"))
    if record.kind == "vxlan" and _int(data.get("id")) is not None:
        group, remote = _str(data.get("group")), _str(data.get("remote"))
        udp_port = _int(data.get("port"))
        record.vxlan = VxlanConfig(
            vni=data["id"],
            local=_str(data.get("local")),
            local_port=udp_port,
            remote=group or remote,
            remote_port=udp_port,
            multicast=group is not None,
            device=_str(data.get("link")),
        )
    elif record.kind == "vlan":
        record.vlan_tag = _int(data.get("id"))
        record.vlan_parent = _str(item.get("link"))
    if record.master and info.get("info_slave_kind") == "bridge":
        ports.append((record.master, record.name, _dict(info.get("info_slave_data"))))


def parse_ip_neigh_json(text: str) -> Parsed[ArpEntry]:
    """``ip -j -4 neigh show``: address, MAC, device and state (PERMANENT is FreeBSD's ``permanent``)."""
    result: Parsed[ArpEntry] = Parsed()
    records = result.records
    for index, item in enumerate(_json_list(text, result)):
        dst = item.get("dst") if type(item) is dict else None
        dev = item.get("dev") if dst is not None else None  # type: ignore[union-attr]
        if type(dst) is not str or type(dev) is not str:
            _raw(result, index, item)
            continue
        state = item.get("state")  # type: ignore[union-attr]
        first = state[0] if type(state) is list and state and type(state[0]) is str else None
        mac = item.get("lladdr")  # type: ignore[union-attr]
        records.append(
            ArpEntry(
                dst,
                mac if type(mac) is str else None,
                dev,
                "?",
                type(state) is list and "PERMANENT" in state,
                None,
                False,
                False,
                None,
                first,
            )
        )
    return result


def parse_ip_maddr_json(text: str) -> Parsed[MulticastMembership]:
    """``ip -j maddr show [dev IF]``: per interface, the link (MAC) and inet/inet6 groups joined."""
    result: Parsed[MulticastMembership] = Parsed()
    for index, item in enumerate(_json_list(text, result)):
        if not isinstance(item, dict) or not isinstance(item.get("ifname"), str):
            _raw(result, index, item)
            continue
        entries = item.get("maddr")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("link"), str):
                result.records.append(MulticastMembership(item["ifname"], "link", entry["link"]))
            elif entry.get("family") in ("inet", "inet6") and isinstance(entry.get("address"), str):
                result.records.append(MulticastMembership(item["ifname"], entry["family"], entry["address"]))
    return result


_SS_NETIDS = frozenset({"tcp", "udp", "sctp", "raw", "u_str", "u_dgr", "u_seq"})


def parse_ss(text: str) -> Parsed[ListeningSocket]:
    """``ss -H -l -n -4 -t -u [-p]``: ``NETID STATE RECV-Q SEND-Q LOCAL PEER [users:((...))]``."""
    result: Parsed[ListeningSocket] = Parsed()
    records = result.records
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split(None, 6)
        if not parts or parts[0] == "Netid":
            continue
        local = split_host_port(parts[4]) if len(parts) >= 6 and parts[0] in _SS_NETIDS else None
        if local is None:
            result.unparsed.append(RawLine(number, line))
            continue
        host = local[0]
        if "%" in host:
            host = host.partition("%")[0]
        command = pid = None
        if len(parts) == 7 and parts[6].startswith('users:(("'):
            process = parts[6]
            command = process[9 : process.find('"', 9)]
            pid_text = process.partition("pid=")[2].split(",", 1)[0]
            pid = int(pid_text) if pid_text.isdigit() else None
        records.append(
            ListeningSocket(
                parts[0], "*" if host in ("0.0.0.0", "*", "::") else host, local[1], parts[5], None, command, pid,
                None, parts[1],
            )
        )  # fmt: skip
    return result


def parse_bridge_fdb_json(text: str) -> Parsed[FtableEntry]:
    """``bridge -j fdb show [dev VXLAN]``: entries with a ``dst`` are the vxlan forwarding table (MAC -> VTEP)."""
    result: Parsed[FtableEntry] = Parsed()
    for index, item in enumerate(_json_list(text, result)):
        if not isinstance(item, dict) or not isinstance(item.get("mac"), str):
            _raw(result, index, item)
            continue
        if not isinstance(item.get("dst"), str):
            continue  # the device's own and bridge entries: not tunnel endpoints
        state = item.get("state")
        dynamic = state not in ("permanent", "static")
        result.records.append(
            FtableEntry(
                dynamic, 0x01 if dynamic else 0x02, item["mac"].lower(), item["dst"], None, _str(item.get("ifname"))
            )
        )
    return result


def parse_ip_netns_json(text: str) -> Parsed[JailRecord]:
    """``ip -j netns list``: every network namespace (a lab VNET jail or VM is one; drift picks its own)."""
    result: Parsed[JailRecord] = Parsed()
    for index, item in enumerate(_json_list(text, result)):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            _raw(result, index, item)
            continue
        result.records.append(JailRecord(name=item["name"], manager="netns"))
    return result


def parse_nft_nat(text: str) -> Parsed[NatRule]:
    """``nft list ruleset``: rules ending in ``masquerade``/``snat to`` (outbound NAT) or ``dnat to`` (a redirect),
    with their ``iifname``/``oifname``, ``ip saddr``/``ip daddr`` and ``tcp|udp dport`` matches; one rule a line.
    Table, chain and other rule lines are structure, not NAT, and are skipped."""
    result: Parsed[NatRule] = Parsed()
    records = result.records
    for number, line in enumerate(text.splitlines(), 1):
        if "masquerade" not in line and "nat " not in line and "nat to" not in line:
            continue
        words = line.split()
        rule = _nft_nat_rule(words, line.strip())
        if rule is None:
            if words and words[-1] not in ("{", "}") and not line.lstrip().startswith(("type ", "table ", "chain ")):
                result.unparsed.append(RawLine(number, line))
            continue
        records.append(rule)
    return result


def _nft_nat_rule(words: list[str], text: str) -> NatRule | None:
    matches: dict[str, str] = {}
    action = target = target_port = None
    index, count = 0, len(words)
    while index < count:
        word = words[index]
        if word in ("iifname", "oifname") and index + 1 < count:
            matches[word] = words[index + 1].strip('"')
            index += 2
        elif word == "ip" and index + 2 < count and words[index + 1] in ("saddr", "daddr"):
            matches[words[index + 1]] = words[index + 2]
            index += 3
        elif word in ("tcp", "udp") and index + 2 < count and words[index + 1] == "dport":
            matches["proto"], matches["dport"] = word, words[index + 2]
            index += 3
        elif word == "masquerade":
            action, target = "nat", "masquerade"
            index += 1
        elif word in ("snat", "dnat") and index + 2 < count and words[index + 1] in ("to", "ip"):
            destination = words[index + 3] if words[index + 1] == "ip" and index + 3 < count else words[index + 2]
            action = "nat" if word == "snat" else "rdr"
            host, sep, port = destination.rpartition(":")
            target, target_port = (host, port) if sep and port.isdigit() else (destination, None)
            index = count
        elif word == "#" or word == "comment":
            break
        else:
            index += 1
    if action is None:
        return None
    interface = matches.get("oifname") if action == "nat" else matches.get("iifname")
    return NatRule(
        action, interface, matches.get("saddr", "any"), matches.get("daddr", "any"), target, matches.get("proto"),
        matches.get("dport"), target_port, text,
    )  # fmt: skip
