"""Diagnostics against real lab hosts (S10 over SSH): drift as brought up, drift after a change by hand,
and bounded captures of real VXLAN traffic that leave no tcpdump behind."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from executors.diagnostics.catalogue import Target, build_argv, capture_limits
from executors.diagnostics.context import parameter_context
from executors.diagnostics.drift import DRIFT_DIAGNOSTICS, drift_of_host
from executors.diagnostics.params import remote_command
from executors.diagnostics.parsers import PARSERS
from executors.lab import netns
from executors.lab.lifecycle import Lab, run_coroutine

from .support import needs_lab, snapshot_of

pytestmark = needs_lab

S10 = (Path(__file__).parents[2] / "examples" / "s10-vxlan-multicast.yaml").read_text()


@pytest.fixture(scope="module")
def lab(bring_up) -> Lab:  # type: ignore[no-untyped-def]
    snapshot, state_dir = bring_up(snapshot_of(S10.replace("name: s10-vxlan-multicast", "name: lab-diag")))
    return Lab(snapshot, state_dir)


async def _outputs(lab: Lab, host: str) -> dict[str, str]:
    """Run the drift diagnostics of ``host`` over SSH, each built (and checked) by the catalogue."""
    context = parameter_context(lab.snapshot, host, Target.LAB)
    result = {}
    async with lab.transport.connect(lab.target(host)) as session:
        for diagnostic in DRIFT_DIAGNOSTICS:
            argv = build_argv(diagnostic, Target.LAB, {}, context)
            remote_command(argv)  # what an SSH exec would carry: refused if any element were unsafe
            done = await session.run(argv, check=True, timeout=20)
            result[diagnostic] = done.stdout
    return result


def _drift(lab: Lab, host: str) -> list[tuple[str, str, str]]:
    outputs = run_coroutine(lambda: _outputs(lab, host))
    return [(f.code, f.message, f.ref.path) for f in drift_of_host(lab.snapshot, host, Target.LAB, outputs)]


def _tcpdumps(lab: Lab, host: str) -> list[int]:
    """tcpdump processes in ``host``'s network namespace."""
    pids = netns.run(["ip", "netns", "pids", lab.network.host_netns[host]], check=False).stdout.split()
    found = []
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "tcpdump":
                found.append(int(pid))
        except OSError:
            continue
    return found


def test_drift_is_empty_as_brought_up_then_exactly_the_member_removed_by_hand(lab: Lab):
    for host in ("gateway", "jailhost-a", "jailhost-b"):
        assert _drift(lab, host) == [], host

    async def remove_member() -> None:
        async with lab.transport.connect(lab.target("jailhost-b")) as session:
            await session.run(["ip", "link", "set", "epair0a", "nomaster"], check=True)

    run_coroutine(lambda: remove_member())
    assert _drift(lab, "jailhost-b") == [
        ("member-missing", "switch111 member epair0a is missing", "jailhost-b/jails/vnetjail-b/nics/vnet0")
    ]
    assert _drift(lab, "jailhost-a") == []


def test_a_capture_on_the_underlay_shows_vxlan_packets_and_stops_at_its_packet_limit(lab: Lab):
    context = parameter_context(lab.snapshot, "jailhost-b", Target.LAB)
    values = {"interface": "em0", "filter": "udp and port 4789", "packets": 6, "seconds": 30}
    argv = build_argv("capture", Target.LAB, values, context)
    assert capture_limits(values).packets == 6

    async def go() -> tuple[str, int, float]:
        async with (
            lab.transport.connect(lab.target("jailhost-b")) as capture_session,
            lab.transport.connect(lab.target("jailhost-a")) as ping_session,
        ):
            started = time.monotonic()
            capture = asyncio.create_task(capture_session.run(argv, timeout=40))
            await asyncio.sleep(1.0)  # tcpdump attaches to em0
            # Bounded traffic across VXLAN 111: jailhost-a to jailhost-b's address on that segment.
            await ping_session.run(["ping", "-c", "10", "-i", "0.2", "-W", "1", "10.0.111.20"], timeout=20)
            done = await capture
            return done.stdout, done.exit_status, time.monotonic() - started

    stdout, status, elapsed = run_coroutine(lambda: go())
    assert status == 0 and elapsed < 25
    packets = [r for r in PARSERS["tcpdump"](stdout).records if r.timestamp]
    assert len(packets) == 6  # -c: tcpdump stopped at its packet limit, not at the end of the pings
    vnis = {p.vni for p in packets}
    assert 111 in vnis and vnis <= {111, 222}  # the pings on VNI 111 (and whatever VNI 222 said meanwhile)
    assert _tcpdumps(lab, "jailhost-b") == []


def test_a_capture_with_no_matching_traffic_stops_at_its_time_limit_and_leaves_nothing(lab: Lab):
    context = parameter_context(lab.snapshot, "jailhost-b", Target.LAB)
    argv = build_argv("capture", Target.LAB, {"interface": "em0", "filter": "udp and port 9", "seconds": 2}, context)

    async def go() -> tuple[int, float]:
        async with lab.transport.connect(lab.target("jailhost-b")) as session:
            started = time.monotonic()
            done = await session.run(argv, timeout=20)
            return done.exit_status, time.monotonic() - started

    status, elapsed = run_coroutine(lambda: go())
    assert status == 124  # timeout(1): the time bound ended it
    assert 1.5 < elapsed < 8
    assert _tcpdumps(lab, "jailhost-b") == []


def test_a_diagnostic_inside_a_vnet_jail_sees_the_jails_own_stack(lab: Lab):
    context = parameter_context(lab.snapshot, "jailhost-b", Target.LAB)
    argv = build_argv("interface", Target.LAB, {"interface": "vnet0"}, context, jail="vnetjail-b")

    async def go() -> str:
        async with lab.transport.connect(lab.target("jailhost-b")) as session:
            return (await session.run(argv, check=True, timeout=20)).stdout

    (nic,) = PARSERS["ip-addr-json"](run_coroutine(lambda: go())).records
    assert nic.name == "vnet0" and [a.cidr for a in nic.addresses if a.family == "inet"] == ["10.0.111.23/24"]
