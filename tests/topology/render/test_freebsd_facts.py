"""The FreeBSD apply program against FreeBSD's own output formats.

Each step of ``converge-freebsd.sh`` reads a command's output to decide whether to act. Here the commands are
stubs that print exactly what FreeBSD prints (the formats, with their sources, are in docs/deploy.md, "FreeBSD
facts used by the apply program"), and the test checks what the step decides: nothing when the live state is
already right, the one right command otherwise, nothing at all in a plan, and removals only of what the
ledger says the app created.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from topology.render.freebsd.bundle import CONVERGE_COMMON, CONVERGE_LIBRARY

# What FreeBSD prints, line by line (ifconfig.c / ifconfig_netlink.c status, af_inet.c, ifbridge.c).
IGB0 = (
    "igb0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n"
    "\toptions=4e527bb<RXCSUM,TXCSUM,VLAN_MTU,VLAN_HWTAGGING,JUMBO_MTU>\n"
    "\tether 58:9c:fc:10:ff:a0\n"
    "\tinet 192.168.0.10 netmask 0xffffff00 broadcast 192.168.0.255\n"
)
SWITCH111 = (
    "switch111: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1450\n"
    "\tether 58:9c:fc:10:ff:b1\n"
    "\tinet 10.0.111.12 netmask 0xffffffff broadcast 10.0.111.12\n"
    "\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15\n"
    "\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200\n"
    "\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0\n"
    "\tmember: vxlan111 flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n"
    "\t        ifmaxaddr 0 port 5 priority 128 path cost 2000000\n"
    "\tgroups: bridge\n"
)
# route_netlink.c print_getmsg (FreeBSD 14): gateway line only for a route through a gateway.
ROUTE_DEFAULT = (
    "   route to: default\n"
    "destination: default\n"
    "       mask: default\n"
    "    gateway: 192.168.0.1\n"
    "        fib: 0\n"
    "  interface: igb0\n"
    "      flags: <UP,GATEWAY,DONE,STATIC>\n"
    " recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n"
    "       0         0         0         0      1500         1         0 \n"
)
ROUTE_GROUP = (
    "   route to: 239.0.0.111\n"
    "destination: 239.0.0.111\n"
    "       mask: 255.255.255.255\n"
    "        fib: 0\n"
    "  interface: igb0\n"
    "      flags: <UP,DONE,STATIC>\n"
)
# pfctl_parser.c print_status: "Status: %s for %u days %.2u:%.2u:%.2u" padded to 44, then the debug level.
PF_ENABLED = "Status: Enabled for 0 days 01:02:03              Debug: Urgent\n\nState Table\n"
PF_DISABLED = "Status: Disabled                             Debug: Urgent\n"

_STUB = """#!/bin/sh
# read-only calls print the live state; anything else is a change, logged
{body}
printf '%s\\n' "${{0##*/}} $*" >>"$LOG"
"""


def _stubs(tmp_path: Path, live: Mapping[str, str | None]) -> Path:
    """A bin directory of stubs; ``live`` maps "command args" of read-only calls to their output (or None: fail)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    commands = {key.split()[0] for key in live} | {"ifconfig", "route", "pfctl", "service", "jls", "vm", "iocage"}
    for command in commands | {"pot", "sysctl"}:
        cases = []
        for key, output in live.items():
            name, _, args = key.partition(" ")
            if name != command:
                continue
            data = tmp_path / f"out-{abs(hash(key))}"
            if output is None:
                cases.append(f"  {shlex.quote(args)}) exit 1 ;;")
            else:
                data.write_text(output)
                cases.append(f"  {shlex.quote(args)}) cat {shlex.quote(str(data))}; exit 0 ;;")
        reads = {
            "ifconfig": '  *" create"*|*" name "*|*" destroy"|*" addm "*|*" deletem "*) ;;\n'
            '  *" alias"|*" -alias"|*" mtu "*|*" up") ;;\n  *) exit 1 ;;',
            "route": '  "-n get"*) exit 1 ;;',
            "pfctl": '  "-s info") exit 1 ;;',
            "service": '  *" onestatus") exit 1 ;;',
            "jls": '  "-j "*) exit 1 ;;',
            "vm": '  "info "*) exit 0 ;;',
        }.get(command, "")
        body = 'case "$*" in\n' + "\n".join(cases) + "\n" + reads + "\nesac" if cases or reads else ""
        path = bin_dir / command
        path.write_text(_STUB.format(body=body))
        path.chmod(0o755)
    return bin_dir


def _run(tmp_path: Path, live: Mapping[str, str | None], steps: str, *, dry_run: bool = False, **env: str):  # type: ignore[no-untyped-def]
    bin_dir = _stubs(tmp_path, live)
    script = tmp_path / "apply.sh"
    script.write_text(f"{CONVERGE_COMMON}\n{CONVERGE_LIBRARY}\nset -e\n{steps}\n")
    log = tmp_path / "changes.log"
    log.write_text("")
    environment = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "LOG": str(log),
        "JAILNET_DIR": str(tmp_path),
        "JAILNET_DRYRUN": "1" if dry_run else "0",
        **env,
    }
    result = subprocess.run(["dash", str(script)], capture_output=True, text=True, env=environment, check=False)
    assert result.returncode == 0, result.stderr
    said = [line.removeprefix("@@changed ") for line in result.stdout.splitlines() if line.startswith("@@changed ")]
    return log.read_text().splitlines(), said


def test_an_address_and_a_member_already_there_are_left_alone_and_a_prefix_is_not_a_match(tmp_path: Path):
    live: dict[str, str | None] = {
        "ifconfig igb0 inet": IGB0,
        "ifconfig switch111": SWITCH111,
        "ifconfig switch111 inet": SWITCH111,
    }
    calls, said = _run(
        tmp_path, live,
        "addr_ensure igb0 192.168.0.10 24\naddr_ensure igb0 192.168.0.1 24\n"
        "member_ensure switch111 vxlan111\nmember_ensure switch111 vxlan11\n",
    )  # fmt: skip
    assert calls == ["ifconfig igb0 inet 192.168.0.1/24 alias", "ifconfig switch111 addm vxlan11"]
    assert said == ["address 192.168.0.1/24 on igb0", "vxlan11 added to switch111"]


def test_a_clone_is_created_with_a_kernel_picked_unit_and_renamed(tmp_path: Path):
    # ifclone.c: "ifconfig bridge create" prints the name the kernel gave ("bridge" != "bridge3")
    bin_live = {"ifconfig switch111": None, "ifconfig bridge create": "bridge3\n", "ifconfig igb0.101": None}
    calls, said = _run(tmp_path, bin_live, "clone_ensure bridge0 switch111\nvlan_ensure igb0 101\n")
    assert calls == ["ifconfig bridge3 name switch111", "ifconfig igb0.101 create vlan 101 vlandev igb0"]
    assert said == ["interface switch111 created", "VLAN interface igb0.101 created"]


def test_mtu_and_up_read_the_first_line_of_ifconfig(tmp_path: Path):
    live = {"ifconfig switch111": SWITCH111, "ifconfig igb0": IGB0}
    calls, said = _run(tmp_path, live, "mtu_ensure switch111 1450\nmtu_ensure igb0 9000\nup_ensure igb0\n")
    assert calls == ["ifconfig igb0 mtu 9000"] and said == ["interface igb0 mtu 1500 -> 9000"]


def test_routes_are_read_from_route_get(tmp_path: Path):
    live = {"route -n get default": ROUTE_DEFAULT, "route -n get -net 239.0.0.111/32": ROUTE_GROUP}
    calls, _said = _run(
        tmp_path, live,
        "default_route_ensure 192.168.0.1\nstatic_route_ensure 239.0.0.111/32 -interface igb0\n"
        "static_route_ensure 239.0.0.222/32 -interface igb0\ndefault_route_ensure 192.168.0.254\n",
    )  # fmt: skip
    assert calls == [
        "route -n delete -net 239.0.0.222/32",
        "route -n add -net 239.0.0.222/32 -interface igb0",
        "route -n change default 192.168.0.254",
    ]


@pytest.mark.parametrize(
    "status,changed_file,expected",
    [(PF_ENABLED, "", []), (PF_ENABLED, "/etc/pf.conf", ["pfctl -f /etc/pf.conf"]),
     (PF_DISABLED, "", ["service pf onestart"]), (None, "", ["service pf onestart"])],
)  # fmt: skip
def test_pf_is_reloaded_when_it_runs_and_started_when_it_does_not(tmp_path: Path, status, changed_file, expected):
    changed = tmp_path / "changed-files"
    changed.write_text(changed_file + "\n" if changed_file else "")
    calls, _ = _run(tmp_path, {"pfctl -s info": status}, "pf_ensure /etc/pf.conf", JAILNET_CHANGED=str(changed))
    assert calls == expected


def test_an_iocage_jail_is_found_by_its_ioc_name_and_pot_takes_the_name_as_argument(tmp_path: Path):
    changed = tmp_path / "changed-files"
    changed.write_text("/iocage/jails/web/config.json\n/usr/local/pot/jails/db/conf/pot.conf\n")
    live = {"jls -j ioc-web": "   JID  IP Address      Hostname                      Path\n", "jls -j db": ""}
    calls, said = _run(
        tmp_path, live,
        "jail_ensure iocage web yes\njail_ensure pot db yes\njail_ensure jail idle no\njail_ensure jail new yes\n",
        JAILNET_CHANGED=str(changed),
    )  # fmt: skip
    assert calls == ["iocage restart web", "pot stop db", "pot start db", "service jail start new"]
    assert said == ["jail web restarted", "jail db restarted", "jail new started"]


def test_services_are_asked_with_onestatus_and_started_with_onestart(tmp_path: Path):
    steps = "service_ensure dnsmasq /usr/local/etc/dnsmasq.conf\nservice_ensure natd /etc/rc.conf.local"
    calls, _ = _run(tmp_path, {"service dnsmasq onestatus": "dnsmasq is running as pid 812.\n"}, steps)
    assert calls == ["service natd onestart"]


def test_a_plan_says_what_it_would_do_and_runs_nothing(tmp_path: Path):
    live = {"ifconfig switch111": None, "ifconfig bridge create": "bridge3\n", "ifconfig igb0 inet": IGB0,
            "pfctl -s info": PF_DISABLED, "jls -j ioc-web": None}  # fmt: skip
    calls, said = _run(
        tmp_path, live,
        "clone_ensure bridge0 switch111\naddr_ensure igb0 192.168.0.20 24\npf_ensure /etc/pf.conf\n"
        "jail_ensure iocage web yes\nreconcile",
        dry_run=True,
    )  # fmt: skip
    assert calls == []
    assert said == ["interface switch111 created", "address 192.168.0.20/24 on igb0", "pf started", "jail web started"]


def test_reconcile_removes_only_what_the_ledger_says_the_app_created_and_no_longer_wanted(tmp_path: Path):
    previous = tmp_path / "previous"
    previous.write_text(
        "'clone_ensure' 'bridge0' 'switch111'\t'clone_ensure' 'bridge0' 'switch111'\n"
        "'addr_ensure' 'switch111' '10.0.111.12'\t'addr_ensure' 'switch111' '10.0.111.12' '32'\n"
        "'member_ensure' 'switch111' 'vxlan111'\t'member_ensure' 'switch111' 'vxlan111'\n"
        "'addr_ensure' 'igb0' '192.168.0.99'\t'addr_ensure' 'igb0' '192.168.0.99' '24'\n"
    )
    live = {"ifconfig switch111": SWITCH111, "ifconfig switch111 inet": SWITCH111, "ifconfig igb0 inet": IGB0}
    wanted, ledger, undo = tmp_path / "wanted", tmp_path / "ledger", tmp_path / "undo"
    calls, said = _run(
        tmp_path, live,
        # the new bundle keeps the switch and igb0's own address, drops the member and the switch's address
        "clone_ensure bridge0 switch111\naddr_ensure igb0 192.168.0.10 24\nreconcile",
        JAILNET_PREVIOUS=str(previous), JAILNET_WANTED=str(wanted), JAILNET_CREATED=str(tmp_path / "created"),
        JAILNET_LEDGER=str(ledger), JAILNET_UNDO=str(undo),
    )  # fmt: skip
    # newest first; 192.168.0.99 is in the ledger but no longer on the host: nothing to do
    assert calls == ["ifconfig switch111 deletem vxlan111", "ifconfig switch111 inet 10.0.111.12 -alias"]
    assert said == ["vxlan111 removed from switch111", "address 10.0.111.12 removed from switch111"]
    # igb0's 192.168.0.10 was there before: wanted, but never the app's, so not in the ledger
    assert ledger.read_text() == "'clone_ensure' 'bridge0' 'switch111'\t'clone_ensure' 'bridge0' 'switch111'\n"
    # a rollback re-creates what was removed (and only that), with the calls that created it
    assert undo.read_text().splitlines() == [
        "'member_ensure' 'switch111' 'vxlan111'",
        "'addr_ensure' 'switch111' '10.0.111.12' '32'",
    ]
