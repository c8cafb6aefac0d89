"""Check a running lab: the expected matrix, measured cell by cell with ``ping`` and TCP connects run inside the
namespaces (bounded: one packet, one second each)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from executors.ssh import SshSession
from topology import snapshot as s
from topology.render.lab import Cell, expected_matrix

from . import netns
from .common import LabError, NoProgress, Progress, read_state, require_root, run_coroutine
from .hosts import Lab

# Probes in flight: a probe of a cell expected to be blocked mostly waits out its timeout, and on large designs
# most cells are (400 sampled cells of 50 hosts: 14.6 s at 32, 8.1 s at 64, 5.7 s at 128, none mismatched).
PROBE_CONCURRENCY = 128
PROBE_TIMEOUT = 1  # seconds per ping / TCP connect


@dataclass
class MeasuredCell:
    """An expected cell and what the lab measured."""

    cell: Cell
    address: str  # the address probed (a DHCP guest's address is learnt at check time)
    measured: bool
    detail: str

    @property
    def matches(self) -> bool:
        """Measured as expected."""
        return self.measured == self.cell.expected

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        c = self.cell
        return {
            "source": c.source, "target": c.target, "address": self.address, "protocol": c.protocol,
            "port": c.port, "expected": c.expected, "measured": self.measured, "matches": self.matches,
            "reason": c.reason, "detail": self.detail,
        }  # fmt: skip


@dataclass
class CheckReport:
    """Expected vs measured, cell by cell."""

    design: str
    cells: list[MeasuredCell]
    seconds: float

    @property
    def total(self) -> int:
        """Number of cells."""
        return len(self.cells)

    @property
    def matched(self) -> int:
        """Cells measured as expected."""
        return sum(c.matches for c in self.cells)

    @property
    def mismatched(self) -> list[MeasuredCell]:
        """Cells measured otherwise than expected."""
        return [c for c in self.cells if not c.matches]

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "design": self.design,
            "total": self.total,
            "matched": self.matched,
            "mismatched": len(self.mismatched),
            "seconds": self.seconds,
            "cells": [c.as_dict() for c in self.cells],
        }

    def table(self, *, only_mismatches: bool = False) -> str:
        """A plain-text table for the CLI."""
        return cells_table([c.as_dict() for c in self.cells], only_mismatches=only_mismatches)


def cells_table(cells: list[dict[str, Any]], *, only_mismatches: bool = False) -> str:
    """A plain-text table of measured cells (``MeasuredCell.as_dict`` form, as a lab keeps its last check)."""
    rows = [("", "source", "target", "probe", "expected", "measured")]
    yes = {True: "reach", False: "no"}
    for c in cells:
        if only_mismatches and c["matches"]:
            continue
        probe = f"{c['protocol']} {c['address']}" + (f":{c['port']}" if c["port"] else "")
        rows.append(("ok" if c["matches"] else "MISMATCH", c["source"], c["target"], probe, yes[c["expected"]],
                     yes[c["measured"]]))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    matched = sum(bool(c["matches"]) for c in cells)
    lines.append(f"{matched}/{len(cells)} cells as expected, {len(cells) - matched} mismatched")
    return "\n".join(lines)


def lab_check(
    snapshot: s.DesignSnapshot,
    state_dir: Path,
    *,
    sample: int | None = None,
    max_sources: int | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Measure the expected matrix of ``snapshot`` in its running lab.

    Large designs: ``max_sources`` probes from that many endpoints only (spread over the design), ``sample``
    keeps at most that many cells (spread over the matrix).
    """
    require_root()
    state = read_state(Path(state_dir))
    if state.get("state") != "up":
        raise LabError(f"the lab of {snapshot.name} is not up (state: {state.get('state', 'down')})")
    lab = Lab(snapshot, Path(state_dir))
    sources = None
    if max_sources and len(lab.network.endpoints) > max_sources:
        step = len(lab.network.endpoints) / max_sources
        sources = {lab.network.endpoints[int(i * step)].name for i in range(max_sources)}
    cells = expected_matrix(lab.network, sources=sources)
    if sample and len(cells) > sample:
        step = len(cells) / sample
        cells = [cells[int(i * step)] for i in range(sample)]
    progress = progress or NoProgress()
    progress.line(f"measuring {len(cells)} cells of {snapshot.name} ({PROBE_CONCURRENCY} at a time)")
    started = time.monotonic()
    measured = run_coroutine(lambda: _measure(lab, cells, progress))
    mismatched = sum(not m.matches for m in measured)
    progress.line(f"{len(measured) - mismatched}/{len(measured)} cells as expected, {mismatched} mismatched")
    return CheckReport(snapshot.name, measured, round(time.monotonic() - started, 2))


async def _measure(lab: Lab, cells: list[Cell], progress: Progress) -> list[MeasuredCell]:
    endpoints = {e.name: e for e in lab.network.endpoints}
    # Progress per source: the host a probe starts from (the internet stub is a source of its own).
    per_source: dict[str, list[int]] = {}
    for cell in cells:
        per_source.setdefault(endpoints[cell.source].host or cell.source, [0, 0])[1] += 1
    for name, (_, total) in sorted(per_source.items()):
        progress.step(name, state="running", done=0, total=total, message="probing")
    # The hosts probes start from, and the hosts of DHCP guests (whose leased addresses are read first).
    sources = {host for c in cells if (host := endpoints[c.source].host)}
    hosts_needed = sorted(sources | {host for e in endpoints.values() if e.dhcp_ifaces and (host := e.host)})
    sessions: dict[str, SshSession] = {}
    managers = []
    try:
        # Concurrently (the transport bounds how many at once); every connection opened is closed below.
        opened = await asyncio.gather(*(lab.connect(h, ready_timeout=3) for h in hosts_needed), return_exceptions=True)
        for host, item in zip(hosts_needed, opened, strict=True):
            if not isinstance(item, BaseException):
                managers.append(item[0])
                sessions[host] = item[1]
        failed = next((item for item in opened if isinstance(item, BaseException)), None)
        if failed is not None:
            raise failed
        actual = await _learn_dhcp_addresses(lab, sessions)
        limit = asyncio.Semaphore(PROBE_CONCURRENCY)

        async def probe(cell: Cell) -> MeasuredCell:
            source = endpoints[cell.source]
            address = actual.get((cell.target, cell.address), cell.address)
            prefix: list[str] = []
            if source.kind in ("vnet-jail", "vm", "internet"):
                prefix = ["nsenter", f"--net=/run/netns/{source.netns}"]
            if cell.protocol == "icmp":
                argv = [*prefix, "ping", "-n", "-q", "-c", "1", "-W", str(PROBE_TIMEOUT)]
                argv += ["-I", str(source.source)] if source.source else []
                argv.append(address)
            else:
                helper = f"{lab.state_dir}/helper.py"  # one copy for the lab (namespaces share the filesystem)
                argv = [*prefix, "python3", "-I", "-S", helper, "connect", "--timeout", str(PROBE_TIMEOUT)]
                argv += ["--source", str(source.source)] if source.source else []
                argv += [address, str(cell.port)]
            async with limit:
                if source.kind == "internet":
                    status, out, err = await netns.arun(argv, timeout=PROBE_TIMEOUT + 4)
                else:
                    result = await sessions[source.host or ""].run(argv, timeout=PROBE_TIMEOUT + 4)
                    status, out, err = result.exit_status, result.stdout, result.stderr
            detail = (out if status == 0 else err or out).strip().splitlines()
            measured = MeasuredCell(cell, address, status == 0, detail[-1] if detail else f"exit {status}")
            counter = per_source[source.host or cell.source]
            counter[0] += 1
            finished = counter[0] == counter[1]
            progress.step(source.host or cell.source, done=counter[0], state="succeeded" if finished else None)
            if not measured.matches:
                progress.line(
                    f"MISMATCH {cell.source} -> {cell.target} {cell.protocol} {address}"
                    f"{':' + str(cell.port) if cell.port else ''}: expected "
                    f"{'reach' if cell.expected else 'no'}, measured {'reach' if measured.measured else 'no'}",
                    host=source.host or "",
                )
            progress.check_cancelled()
            return measured

        return list(await asyncio.gather(*(probe(c) for c in cells)))
    finally:
        for cm in managers:
            await cm.__aexit__(None, None, None)


async def _learn_dhcp_addresses(lab: Lab, sessions: dict[str, SshSession]) -> dict[tuple[str, str], str]:
    """Addresses DHCP guests really got: (endpoint, expected address) -> address read from the namespace."""
    found: dict[tuple[str, str], str] = {}
    for e in lab.network.endpoints:
        if not e.dhcp_ifaces or e.host not in sessions:
            continue
        for ifname in e.dhcp_ifaces:
            result = await sessions[e.host].run(["ip", "-n", e.netns, "-4", "-o", "addr", "show", "dev", ifname])
            words = result.stdout.split()
            if "inet" in words:
                address = words[words.index("inet") + 1].split("/")[0]
                for expected in e.addresses:
                    found[(e.name, str(expected))] = address
    return found
