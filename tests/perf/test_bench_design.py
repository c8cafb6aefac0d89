"""Benchmark: import, snapshot, validate and render a design of 1,000 hosts / 20,000 jails / 2,000 VMs.

Prints figures; asserts nothing about time (the machine is shared). Run with ``make bench``.
Goals: validate + render all hosts < 5 s, render one host < 50 ms, snapshot query count independent
of the number of hosts.
"""

from __future__ import annotations

import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.perf.synthetic import synthetic_design
from topology.models import Design
from topology.selectors import design_snapshot
from topology.services.designs import design_import_snapshot

pytestmark = [pytest.mark.perf, pytest.mark.django_db(transaction=True)]


def timed(fn, repeat: int = 1):
    """Run ``fn`` ``repeat`` times; return (last result, median seconds)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def test_benchmark_large_design():
    from topology.render.freebsd import render_design, render_host
    from topology.validation import validate

    snap = synthetic_design()
    jails = sum(len(h.jails) for h in snap.hosts)
    vms = sum(len(h.vms) for h in snap.hosts)
    print(f"\nsynthetic design: {len(snap.hosts)} hosts, {jails} jails, {vms} VMs, {len(snap.vxlan_segments)} segments")

    (design, _), t_import = timed(lambda: design_import_snapshot(snapshot=snap))
    print(f"import (create):              {t_import:8.2f} s")
    _, t_reimport = timed(lambda: design_import_snapshot(snapshot=snap))
    print(f"import (unchanged, compare):  {t_reimport:8.2f} s")

    with CaptureQueriesContext(connection) as ctx:
        db_snap, t_snap = timed(lambda: design_snapshot(design=design))
    print(f"snapshot from database:       {t_snap:8.2f} s  ({len(ctx.captured_queries)} queries)")

    report, t_validate = timed(lambda: validate(db_snap), repeat=3)
    findings = f"{len(report.errors)} errors, {len(report.warnings)} warnings"
    print(f"validate (median of 3):       {t_validate:8.2f} s  ({findings})")
    configs, t_render = timed(lambda: render_design(db_snap), repeat=3)
    size = sum(len(c.script) for c in configs.values()) / 1e6
    print(f"render all hosts (median 3):  {t_render:8.2f} s  ({size:.1f} MB of script)")
    print(f"validate + render all:        {t_validate + t_render:8.2f} s  (goal < 5 s)")
    _, t_one = timed(lambda: render_host(db_snap, "host0500"), repeat=21)
    print(f"render one host (median 21):  {t_one * 1000:8.2f} ms (goal < 50 ms)")
    assert len(configs) == 1000
    assert report.is_valid, [f.message for f in report.errors[:5]]


def test_snapshot_query_count_is_independent_of_host_count():
    counts = {}
    for hosts in (10, 100):
        snap = synthetic_design(hosts=hosts, segments=max(1, hosts // 5), name=f"q{hosts}")
        design, _ = design_import_snapshot(snapshot=snap)
        with CaptureQueriesContext(connection) as ctx:
            design_snapshot(design=Design.objects.get(pk=design.pk))
        counts[hosts] = len(ctx.captured_queries)
    print(f"\nsnapshot queries: 10 hosts -> {counts[10]}, 100 hosts -> {counts[100]}")
    assert counts[10] == counts[100]
