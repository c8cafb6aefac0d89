"""Jails and the tools that manage them: jls, vm switch list, iocage list, pot ls."""

from __future__ import annotations

import re

from ...records import (
    JailRecord,
    Parsed,
    RawLine,
    VmSwitch,
)

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
