"""Benchmark of the lab: bring designs up on network namespaces and check them; SSH transport rates.

Prints figures; asserts nothing about time (the machine is shared). Run with ``make bench`` (as root).
Goals: S10 up + checked < 30 s; 50 hosts up < 3x the time of 5 hosts.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path

import pytest

from executors.lab.lifecycle import KEY_TYPE, Lab, lab_check, lab_down, lab_up, leftovers, run_coroutine
from tests.lab.documents import S7, S10
from tests.lab.support import needs_lab, snapshot_of
from tests.perf.synthetic import synthetic_design

pytestmark = [pytest.mark.perf, needs_lab]


def _up_check_down(snapshot, state_dir: Path, **check) -> tuple[float, float, int, int]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    lab_up(snapshot, state_dir)
    up = time.perf_counter() - start
    try:
        start = time.perf_counter()
        report = lab_check(snapshot, state_dir, **check)
        checked = time.perf_counter() - start
    finally:
        lab_down(snapshot.name, state_dir)
    assert leftovers(snapshot.name) == {"namespaces": [], "processes": []}
    return up, checked, report.total, len(report.mismatched)


def test_bench_s10_up_and_check(tmp_path: Path):
    up, checked, cells, mismatched = _up_check_down(snapshot_of(S10), tmp_path / "s10")
    print(f"\nS10: up {up:.2f} s, check {checked:.2f} s ({cells} cells, {mismatched} mismatched), "
          f"total {up + checked:.2f} s (goal < 30 s)")  # fmt: skip


def _busy_cpu_seconds() -> float:
    """CPU seconds this machine has spent busy (all processes, all cores; steal and idle excluded)."""
    user, nice, system, _idle, _iowait, irq, softirq = map(int, Path("/proc/stat").read_text().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def test_bench_synthetic_5_and_50_hosts(tmp_path: Path):
    """Up time of 5 and 50 hosts, three rounds each (5 and 50 alternating), medians and the ratio of medians.

    Between runs the kernel is left a few seconds to finish destroying the last lab's namespaces (it does so
    in the background after ``lab down``; a namespace created meanwhile waits for it). The CPU figure is what
    the whole machine spent per host, the floor of what a 2-core machine can parallelise.
    """
    ups: dict[int, list[float]] = {5: [], 50: []}
    cpu: dict[int, list[float]] = {5: [], 50: []}
    phases: dict[int, list[dict[str, float]]] = {5: [], 50: []}
    for _round in range(3):
        for hosts in (5, 50):
            snapshot = synthetic_design(hosts=hosts, jails_per_host=2, vms_per_host=1, segments=max(1, hosts // 10),
                                        name=f"bench-lab-{hosts}")  # fmt: skip
            state_dir = tmp_path / str(hosts)
            time.sleep(3)
            busy, start = _busy_cpu_seconds(), time.perf_counter()
            result = lab_up(snapshot, state_dir)
            ups[hosts].append(time.perf_counter() - start)
            cpu[hosts].append(_busy_cpu_seconds() - busy)
            phases[hosts].append(result.phases)
            lab_down(snapshot.name, state_dir)
            assert leftovers(snapshot.name) == {"namespaces": [], "processes": []}
    for hosts in (5, 50):
        runs = ", ".join(f"{x:.2f}" for x in ups[hosts])
        phase = {k: round(statistics.median(p[k] for p in phases[hosts]), 3) for k in phases[hosts][0]}
        per_host = statistics.median(cpu[hosts]) / hosts * 1000
        print(f"\n{hosts} hosts ({hosts * 3} jails+VMs): up median {statistics.median(ups[hosts]):.2f} s "
              f"(runs {runs}); machine CPU {per_host:.0f} ms per host; phases {phase}")  # fmt: skip
    ratio = statistics.median(ups[50]) / statistics.median(ups[5])
    per_round = ", ".join(f"{b / a:.2f}" for a, b in zip(ups[5], ups[50], strict=True))
    print(f"50 hosts / 5 hosts up time: {ratio:.2f}x (per round {per_round}; goal < 3x)")
    # One check of the 50-host lab, sampled: the lab is not only up but as the design says.
    snapshot = synthetic_design(hosts=50, jails_per_host=2, vms_per_host=1, segments=5, name="bench-lab-50")
    time.sleep(3)
    up, checked, cells, mismatched = _up_check_down(snapshot, tmp_path / "50-check", max_sources=20, sample=400)
    print(f"50 hosts up {up:.2f} s + check {checked:.2f} s ({cells} cells sampled, {mismatched} mismatched)")


def test_bench_ssh_rates(tmp_path: Path):
    snapshot = snapshot_of(S7.replace("name: lab-s07-iocage", "name: bench-ssh"))
    lab_up(snapshot, tmp_path / "ssh")
    lab = Lab(snapshot, tmp_path / "ssh")
    try:

        async def commands(n: int) -> float:
            async with lab.transport.connect(lab.target("jailhost")) as session:
                start = time.perf_counter()
                for _ in range(n):
                    await session.run(["true"], check=True)
                return n / (time.perf_counter() - start)

        async def parallel_commands(n: int) -> float:
            async with lab.transport.connect(lab.target("jailhost")) as session:
                start = time.perf_counter()
                await asyncio.gather(*(session.run(["true"], check=True) for _ in range(n)))
                return n / (time.perf_counter() - start)

        async def connections(n: int) -> float:
            start = time.perf_counter()
            for _ in range(n):
                async with lab.transport.connect(lab.target("jailhost")):
                    pass
            return n / (time.perf_counter() - start)

        sequential = run_coroutine(lambda: commands(200))
        parallel = run_coroutine(lambda: parallel_commands(200))
        setups = run_coroutine(lambda: connections(30))
        print(f"\nSSH: {sequential:.0f} commands/s sequential, {parallel:.0f} commands/s with 200 in flight "
              f"(one connection); {setups:.1f} connection setups/s ({KEY_TYPE}, key auth)")  # fmt: skip
    finally:
        lab_down(snapshot.name, tmp_path / "ssh")
