"""Benchmark of the lab: bring designs up on network namespaces and check them; SSH transport rates.

Prints figures; asserts nothing about time (the machine is shared). Run with ``make bench`` (as root).
Goals: S10 up + checked < 30 s; 50 hosts up < 3x the time of 5 hosts.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from executors.lab.lifecycle import Lab, lab_check, lab_down, lab_up, leftovers, run_coroutine
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
        report = lab_check(snapshot, state_dir, progress=lambda _: None, **check)
        checked = time.perf_counter() - start
    finally:
        lab_down(snapshot.name, state_dir)
    assert leftovers(snapshot.name) == {"namespaces": [], "processes": []}
    return up, checked, report.total, len(report.mismatched)


def test_bench_s10_up_and_check(tmp_path: Path):
    up, checked, cells, mismatched = _up_check_down(snapshot_of(S10), tmp_path / "s10")
    print(f"\nS10: up {up:.2f} s, check {checked:.2f} s ({cells} cells, {mismatched} mismatched), "
          f"total {up + checked:.2f} s (goal < 30 s)")  # fmt: skip


def test_bench_synthetic_5_and_50_hosts(tmp_path: Path):
    figures = {}
    for hosts in (5, 50):
        snapshot = synthetic_design(hosts=hosts, jails_per_host=2, vms_per_host=1, segments=max(1, hosts // 10),
                                    name=f"bench-lab-{hosts}")  # fmt: skip
        figures[hosts] = _up_check_down(snapshot, tmp_path / str(hosts), max_sources=20, sample=400)
        up, checked, cells, mismatched = figures[hosts]
        print(f"\n{hosts} hosts ({hosts * 3} jails+VMs): up {up:.2f} s, check {checked:.2f} s "
              f"({cells} cells sampled, {mismatched} mismatched)")  # fmt: skip
    print(f"50 hosts / 5 hosts up time: {figures[50][0] / figures[5][0]:.2f}x (goal < 3x)")


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
              f"(one connection); {setups:.1f} connection setups/s (ed25519, key auth)")  # fmt: skip
    finally:
        lab_down(snapshot.name, tmp_path / "ssh")
