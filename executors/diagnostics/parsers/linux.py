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
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_ip_addr_json(text: str) -> Parsed[InterfaceRecord]:
    """``ip -j -d addr show``: links with flags, MTU, MAC, addresses, link kind, bridge master and port flags,
    vxlan id/group/remote/local/port/dev and vlan id/parent. Bridge members are gathered onto their bridge."""
    result: Parsed[InterfaceRecord] = Parsed()
    ports: list[tuple[str, str, dict[str, Any]]] = []  # (bridge, port, slave data)
    for index, item in enumerate(_json_list(text, result)):
        name = item.get("ifname") if isinstance(item, dict) else None
        if not isinstance(name, str):
            _raw(result, index, item)
            continue
        flags = item.get("flags")
        record = InterfaceRecord(
            name=name,
            flags=tuple(f for f in flags if isinstance(f, str)) if isinstance(flags, list) else (),
            mtu=_int(item.get("mtu")),
            mac=_str(item.get("address")),
            master=_str(item.get("master")),
            description=_str(item.get("ifalias")),
        )
        for address in _list(item.get("addr_info")):
            if not isinstance(address, dict) or address.get("family") not in ("inet", "inet6"):
                continue
            local = _str(address.get("local"))
            if local is None:
                continue
            record.addresses.append(
                InterfaceAddress(
                    family=address["family"],
                    address=local,
                    prefixlen=_int(address.get("prefixlen")),
                    broadcast=_str(address.get("broadcast")),
                    scope=_str(address.get("scope")),
                )
            )
        info = _dict(item.get("linkinfo"))
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
        slave = _dict(info.get("info_slave_data"))
        if record.master and info.get("info_slave_kind") == "bridge":
            ports.append((record.master, name, slave))
        result.records.append(record)
    by_name = {r.name: r for r in result.records}
    for bridge, port_name, slave in ports:
        if bridge in by_name:
            by_name[bridge].members.append(
                BridgeMember(port_name, _member_flags(slave), None, _int(slave.get("no")), _int(slave.get("priority")),
                             _int(slave.get("cost")))
            )  # fmt: skip
    return result


def parse_ip_neigh_json(text: str) -> Parsed[ArpEntry]:
    """``ip -j -4 neigh show``: address, MAC, device and state (PERMANENT is FreeBSD's ``permanent``)."""
    result: Parsed[ArpEntry] = Parsed()
    for index, item in enumerate(_json_list(text, result)):
        if not isinstance(item, dict) or not isinstance(item.get("dst"), str) or not isinstance(item.get("dev"), str):
            _raw(result, index, item)
            continue
        state = _list(item.get("state"))
        first = next((s for s in state if isinstance(s, str)), None)
        result.records.append(
            ArpEntry(
                ip=item["dst"],
                mac=_str(item.get("lladdr")),
                interface=item["dev"],
                permanent="PERMANENT" in state,
                state=first,
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
        for entry in item.get("maddr") or []:
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("link"), str):
                result.records.append(MulticastMembership(item["ifname"], "link", entry["link"]))
            elif entry.get("family") in ("inet", "inet6") and isinstance(entry.get("address"), str):
                result.records.append(MulticastMembership(item["ifname"], entry["family"], entry["address"]))
    return result


def parse_ss(text: str) -> Parsed[ListeningSocket]:
    """``ss -H -l -n -4 -t -u [-p]``: ``NETID STATE RECV-Q SEND-Q LOCAL PEER [users:((...))]``."""
    result: Parsed[ListeningSocket] = Parsed()
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0] == "Netid":
            continue
        local = split_host_port(parts[4]) if len(parts) >= 6 else None
        if local is None or parts[0] not in ("tcp", "udp", "sctp", "raw", "u_str", "u_dgr", "u_seq"):
            result.unparsed.append(RawLine(number, line))
            continue
        host = local[0].partition("%")[0]
        process = " ".join(parts[6:]) or None
        command = pid = None
        if process and process.startswith('users:(("'):
            command = process[9:].split('"', 1)[0]
            pid_text = process.partition("pid=")[2].split(",", 1)[0]
            pid = int(pid_text) if pid_text.isdigit() else None
        result.records.append(
            ListeningSocket(
                proto=parts[0],
                local_address="*" if host in ("0.0.0.0", "*", "::") else host,
                local_port=local[1],
                foreign=parts[5],
                command=command,
                pid=pid,
                state=parts[1],
            )
        )
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


def _match(expression: dict[str, Any]) -> tuple[str, str] | None:
    """``{"match": {"left": {"meta": {"key": "oifname"}}, "right": "em0"}}`` -> ("oifname", "em0")."""
    match = expression.get("match")
    if not isinstance(match, dict) or match.get("op", "==") != "==":
        return None
    left, right = match.get("left"), match.get("right")
    if not isinstance(left, dict):
        return None
    if isinstance(right, dict) and isinstance(right.get("prefix"), dict):
        prefix = right["prefix"]
        right = f"{prefix.get('addr')}/{prefix.get('len')}"
    if not isinstance(right, str | int):
        return None
    if isinstance(left.get("meta"), dict):
        return str(left["meta"].get("key")), str(right)
    if isinstance(left.get("payload"), dict):
        payload = left["payload"]
        return f"{payload.get('protocol')} {payload.get('field')}", str(right)
    return None


def parse_nft_nat_json(text: str) -> Parsed[NatRule]:
    """``nft -j list ruleset``: masquerade/snat rules as ``nat``, dnat rules as ``rdr`` (other rules skipped)."""
    result: Parsed[NatRule] = Parsed()
    for index, item in enumerate(_json_list(text, result, "nftables")):
        if not isinstance(item, dict):
            _raw(result, index, item)
            continue
        rule = item.get("rule")
        if not isinstance(rule, dict) or not isinstance(rule.get("expr"), list):
            continue
        matches: dict[str, str] = {}
        action: NatRule | None = None
        for expression in rule["expr"]:
            if not isinstance(expression, dict):
                continue
            found = _match(expression)
            if found is not None:
                matches[found[0]] = found[1]
            if "masquerade" in expression:
                action = NatRule("nat", None, None, None, "masquerade")
            elif isinstance(expression.get("snat"), dict):
                action = NatRule("nat", None, None, None, str(expression["snat"].get("addr")))
            elif isinstance(expression.get("dnat"), dict):
                dnat = expression["dnat"]
                port = dnat.get("port")
                action = NatRule(
                    "rdr", None, None, None, str(dnat.get("addr")), target_port=None if port is None else str(port)
                )
        if action is None:
            continue
        proto = next((k.split()[0] for k in matches if k.endswith(" dport")), None)
        port = next((v for k, v in matches.items() if k.endswith(" dport")), None)
        interface = matches.get("oifname") if action.action == "nat" else matches.get("iifname")
        result.records.append(
            NatRule(
                action=action.action,
                interface=interface,
                source=matches.get("ip saddr", "any"),
                destination=matches.get("ip daddr", "any"),
                target=action.target,
                proto=proto,
                port=port,
                target_port=action.target_port,
                text=json.dumps(rule["expr"], sort_keys=True),
            )
        )
    return result
