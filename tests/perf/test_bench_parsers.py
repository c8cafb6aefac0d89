"""Benchmark of the diagnostics parsers: lines per second on large inputs of each command's real format.

Prints figures (median of 5 runs); asserts nothing about time (the machine is shared). Goal: every line-based
parser >= 100,000 lines/s (an ARP table of 50,000 entries, a 4,000-entry vxlan ftable, a big ifconfig). The
JSON parsers (lab hosts) count the lines the text form of the same output has (``ip -d addr show`` prints about
eight lines for a link with two addresses), and also print records/s and what ``json.loads`` alone costs.
Run with ``make bench`` or ``pytest tests/perf/test_bench_parsers.py -m perf -s``.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import time
from collections.abc import Callable

import pytest

from executors.diagnostics.parsers import PARSERS

pytestmark = pytest.mark.perf

GOAL = 100_000
RUNS = 5


def _mac(n: int, upper: bool = False) -> str:
    text = ":".join(f"{(n >> shift) & 0xFF:02x}" for shift in (40, 32, 24, 16, 8, 0))
    return "02" + text[2:].upper() if upper else "02" + text[2:]


def _ip(n: int, base: int = 10) -> str:
    return f"{base}.{(n >> 16) & 0xFF}.{(n >> 8) & 0xFF}.{n & 0xFF}"


def arp_lines(n: int) -> str:
    kinds = ["permanent [bridge]", "expires in 1187 seconds [ethernet]", "expired [vlan]"]
    return "".join(f"? ({_ip(i)}) at {_mac(i)} on vxlan{i % 7} {kinds[i % 3]}\n" for i in range(n))


def ftable(n: int) -> str:
    return "net.link.vxlan.111.ftable.dump:\n" + "".join(
        f"D 0x01 {_mac(i, upper=True)} {_ip(i, 192):>15} {2000 + i % 500:08d}\n" for i in range(n)
    )


def ifconfig(interfaces: int) -> str:
    out = []
    for i in range(interfaces):
        kind = i % 3
        if kind == 0:
            out.append(
                f"switch{i}: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n"
                f"\tether {_mac(i)}\n\tinet {_ip(i)} netmask 0xffffff00 broadcast {_ip(i | 255)}\n"
                "\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15\n"
                "\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200\n"
                "\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0\n"
            )
            for m in range(8):
                flags = (
                    "943<LEARNING,DISCOVER,PRIVATE,AUTOEDGE,AUTOPTP>"
                    if m % 2
                    else "143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>"
                )
                out.append(
                    f"\tmember: vnet{m}.{i} flags={flags}\n"
                    f"\t        ifmaxaddr 0 port {m + 3} priority 128 path cost 2000\n"
                )
            out.append("\tgroups: bridge\n\tnd6 options=9<PERFORMNUD,IFDISABLED>\n")
        elif kind == 1:
            out.append(
                f"vxlan{i}: flags=8943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1450\n"
                f"\toptions=80000<LINKSTATE>\n\tether {_mac(i)}\n"
                f"\tinet {_ip(i)} netmask 0xffffff00 broadcast {_ip(i | 255)}\n\tgroups: vxlan\n"
                f"\tvxlan vni {i} local 192.168.0.20:4789 group 239.0.{(i >> 8) & 255}.{i & 255}:4789\n"
                "\tmedia: Ethernet autoselect (autoselect <full-duplex>)\n\tstatus: active\n"
                "\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n"
            )
        else:
            out.append(
                f"vnet0.{i}: flags=8943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500\n"
                f"\tdescription: associated with jail: jail{i} as nic: epair0b\n\toptions=8<VLAN_MTU>\n"
                f"\tether {_mac(i)}\n\thwaddr {_mac(i + 1)}\n"
                f"\tinet6 fe80::{i:x}%vnet0.{i} prefixlen 64 scopeid 0x{i:x}\n\tgroups: epair\n"
                "\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n\tstatus: active\n"
                "\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n"
            )
    return "".join(out)


def sockstat(n: int) -> str:
    head = "USER     COMMAND    PID   FD  PROTO  LOCAL ADDRESS         FOREIGN ADDRESS      \n"
    return head + "".join(
        f"root     nginx      {1000 + i:5d} {i % 900:<3d} tcp4   {_ip(i)}:{80 + i % 100:<5d}       *:*\n"
        for i in range(n)
    )


def ifmcstat(n: int) -> str:
    out = ["em0:\n\tinet 192.168.0.20\n\tigmpv3 rv 2 qi 125 qri 10 uri 3\n"]
    for i in range(n):
        out.append(
            f"\t\tgroup 239.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255} mode exclude\n"
            f"\t\t\tmcast-macaddr 01:00:5e:{(i >> 16) & 127:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}\n"
        )
    return "".join(out)


def pf_state(n: int) -> str:
    return "".join(
        f"all tcp {_ip(i, 192)}:{1024 + i % 60000} ({_ip(i)}:{2000 + i % 60000}) -> 203.0.113.{i % 250}:443"
        "       ESTABLISHED:ESTABLISHED\n"
        if i % 2
        else f"all udp {_ip(i)}:4789 <- 192.168.1.{i % 250}:{1024 + i % 60000}       MULTIPLE:MULTIPLE\n"
        for i in range(n)
    )


def pf_nat(n: int) -> str:
    return "".join(
        f"nat on em{i % 4} inet from {_ip(i * 256)}/24 to any -> (em{i % 4}) round-robin\n"
        if i % 2
        else f"rdr on em0 inet proto tcp from any to (em0) port = {1024 + i} -> {_ip(i)} port 80\n"
        for i in range(n)
    )


def pf_rules(n: int) -> str:
    return "".join(
        f"pass in quick on em{i % 4} inet proto tcp from any to {_ip(i)} port = {i % 65535} flags S/SA keep state\n"
        for i in range(n)
    )


def jls(n: int) -> str:
    return "".join(
        f"jid={i} name=ioc-jail{i} host.hostname=jail{i} path=/zroot/iocage/jails/jail{i}/root ip4.addr={_ip(i)}\n"
        for i in range(1, n + 1)
    )


def vm_switches(n: int) -> str:
    return "NAME    TYPE      IFACE      ADDRESS      PRIVATE  MTU  VLAN  PORTS\n" + "".join(
        f"sw{i}  standard  vm-sw{i}  {_ip(i)}/24  no  1500  {i % 4094}  em0\n" for i in range(n)
    )


def iocage(n: int) -> str:
    return "".join(f"{i}\tjail{i}\ton\tup\tjail\t14.1-RELEASE-p5\tvnet0|{_ip(i)}/24\t-\t-\tno\n" for i in range(n))


def pot(n: int) -> str:
    return "".join(
        f"pot name : pot{i}\n\tnetwork : public-bridge\n\tip : {_ip(i)}\n\tactive : true\n\n" for i in range(n)
    )


def tcpdump(n: int) -> str:
    return "".join(
        f"12:34:{(i // 1000000) % 60:02d}.{i % 1000000:06d} IP 192.168.0.10.{20000 + i % 40000} > 239.0.0.111.4789: "
        f"VXLAN, flags [I] (0x08), vni 111\nIP 10.0.111.{i % 250} > 10.0.111.20: ICMP echo request, id 1, seq {i}, "
        "length 64\n"
        for i in range(n // 2)
    )


def ss(n: int) -> str:
    return "".join(
        f'tcp LISTEN 0 128 {_ip(i)}:{1024 + i % 60000} 0.0.0.0:* users:(("nginx",pid={i},fd=3))\n' for i in range(n)
    )


def ip_addr_json(n: int) -> str:
    links = []
    for i in range(n):
        link = {
            "ifindex": i,
            "ifname": f"veth{i}",
            "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
            "mtu": 1500,
            "address": _mac(i),
            "master": f"br{i % 50}",
            "linkinfo": {
                "info_kind": "veth",
                "info_slave_kind": "bridge",
                "info_slave_data": {"learning": True, "flood": True, "isolated": bool(i % 2)},
            },
            "addr_info": [
                {"family": "inet", "local": _ip(i), "prefixlen": 24, "scope": "global"},
                {"family": "inet6", "local": f"fe80::{i:x}", "prefixlen": 64, "scope": "link"},
            ],
        }
        links.append(link)
    links += [
        {"ifindex": n + b, "ifname": f"br{b}", "flags": ["UP"], "mtu": 1500, "linkinfo": {"info_kind": "bridge"}}
        for b in range(50)
    ]
    return json.dumps(links)


def ip_neigh_json(n: int) -> str:
    return json.dumps(
        [{"dst": _ip(i), "dev": f"br{i % 9}", "lladdr": _mac(i), "state": ["REACHABLE"]} for i in range(n)]
    )


def bridge_fdb_json(n: int) -> str:
    return json.dumps([{"mac": _mac(i), "ifname": "vxlan111", "dst": _ip(i, 192), "state": ""} for i in range(n)])


def ip_maddr_json(n: int) -> str:
    return json.dumps(
        [
            {
                "ifindex": 3,
                "ifname": "em0",
                "maddr": [
                    {"family": "inet", "address": f"239.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"} for i in range(n)
                ],
            }
        ]
    )


def nft_text(n: int) -> str:
    rules = "".join(f'\t\toifname "em{i % 4}" ip saddr {_ip(i * 256)}/24 masquerade\n' for i in range(n))
    return (
        "table ip jailnet_lab {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; "
        f"policy accept;\n{rules}\t}}\n}}\n"
    )


def netns_json(n: int) -> str:
    return json.dumps([{"name": f"jn12345-host-j-jail{i}"} for i in range(n)])


# parser name -> (input builder, size, lines of the equivalent text output per size unit or None to count lines)
CASES: dict[str, tuple[Callable[[int], str], int, str]] = {
    "arp": (arp_lines, 50_000, "ARP table of 50,000 entries"),
    "arp-deleted": (lambda n: "".join(f"{_ip(i)} ({_ip(i)}) deleted\n" for i in range(n)), 50_000, "50,000 deletions"),
    "vxlan-ftable": (ftable, 4_000, "4,000-entry ftable"),
    "ifconfig": (ifconfig, 3_000, "3,000 interfaces (1,000 bridges of 8 members, 1,000 vxlan, 1,000 epairs)"),
    "ifconfig-group": (lambda n: "".join(f"epair{i}a\n" for i in range(n)), 20_000, "20,000 names"),
    "sockstat": (sockstat, 20_000, "20,000 sockets"),
    "ifmcstat": (ifmcstat, 10_000, "10,000 groups"),
    "pfctl-state": (pf_state, 50_000, "50,000 states"),
    "pfctl-nat": (pf_nat, 10_000, "10,000 nat/rdr rules"),
    "pfctl-rules": (pf_rules, 10_000, "10,000 filter rules"),
    "jls": (jls, 5_000, "5,000 jails"),
    "vm-switch-list": (vm_switches, 5_000, "5,000 switches"),
    "iocage-list": (iocage, 5_000, "5,000 jails"),
    "pot-ls": (pot, 5_000, "5,000 pots"),
    "tcpdump": (tcpdump, 50_000, "50,000 lines of VXLAN packets"),
    "ss": (ss, 20_000, "20,000 sockets"),
    "ip-addr-json": (ip_addr_json, 5_000, "5,000 links"),
    "ip-neigh-json": (ip_neigh_json, 50_000, "50,000 neighbours"),
    "bridge-fdb-json": (bridge_fdb_json, 4_000, "4,000 fdb entries"),
    "ip-maddr-json": (ip_maddr_json, 10_000, "10,000 groups"),
    "nft-nat": (nft_text, 20_000, "20,000 NAT rules (nft list ruleset)"),
    "ip-netns-json": (netns_json, 5_000, "5,000 namespaces"),
}


def _text_lines(name: str, document: object) -> int:
    """How many lines the text form of a JSON output has (what the goal counts), by iproute2's layout.

    ``ip -d addr show``: a header and a ``link/ether`` line per link, one line of link-kind details, one of
    bridge-port details, two per address (the address and its lifetimes). ``ip neigh``, ``bridge fdb`` and
    ``ip netns``: one line per entry; ``ip maddr``: one per interface and one per group.
    """
    assert isinstance(document, list)
    if name == "ip-addr-json":
        return sum(
            2 + ("linkinfo" in link) + ("master" in link) + 2 * len(link.get("addr_info", [])) for link in document
        )
    if name == "ip-maddr-json":
        return sum(1 + len(item["maddr"]) for item in document)
    return len(document)


def _reference_ms() -> float:
    """A fixed pure-Python workload (build 100,000 small tuples), to compare runs on a shared machine."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        _ = [(i, str(i)) for i in range(100_000)]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def test_bench_parsers_lines_per_second():
    assert set(CASES) == set(PARSERS), "every parser is benchmarked"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\nload average {load:.1f} on {os.cpu_count()} CPUs; reference workload {_reference_ms():.1f} ms "
        "(about 10 ms on an idle core)"
    )
    print(f"\n{'parser':<16} {'input':<72} {'lines':>8} {'records':>8} {'median ms':>10} {'lines/s':>11}  goal")
    below = []
    for name, (build, size, label) in CASES.items():
        text = build(size)
        lines = text.count("\n") or 1
        json_input = name.endswith("-json")
        if json_input:
            lines = _text_lines(name, json.loads(text))
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            result = PARSERS[name](text)
            times.append(time.perf_counter() - start)
        assert not result.unparsed, (name, result.unparsed[:3])
        median = statistics.median(times)
        rate = lines / median
        ok = rate >= GOAL
        if not ok:
            below.append(name)
        unit = "items/s" if json_input else "lines/s"
        if json_input:
            decode = []
            for _ in range(RUNS):
                gc.disable()  # as the parsers run
                start = time.perf_counter()
                json.loads(text)
                decode.append(time.perf_counter() - start)
                gc.enable()
            unit = f"text lines/s, {len(result.records) / median:,.0f} records/s; json.loads alone "
            unit += f"{statistics.median(decode) * 1000:.1f} ms"
        print(
            f"{name:<16} {label:<72} {lines:>8} {len(result.records):>8} {median * 1000:>10.1f} "
            f"{rate:>11,.0f}  {'ok' if ok else 'BELOW'} ({unit})"
        )
    print(f"parsers below {GOAL:,} lines/s: {', '.join(below) or 'none'}")
