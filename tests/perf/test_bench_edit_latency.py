"""Benchmark: how long after a save the designer has the edit's validation findings and the edited host's
configuration, on the 1,000-host synthetic design (tests/perf/synthetic.py).

Per edit (a jail NIC's address changed through the API, as the designer does): the PATCH, then the two
requests the designer makes after it — ``GET /api/designs/<id>/validation/`` and
``GET /api/designs/<id>/render/?host=<the edited host>``. These are incremental
(``topology.services.live_design``): only the hosts the edit touched are read again and only their findings
computed again. For comparison, in the same run, the full path the endpoints took before (the whole
design's snapshot, every rule on it, the host rendered from it) after a few more edits. Prints the median
and p95 of each step; asserts nothing about time (the machine is shared). Run with
``.venv/bin/python -m pytest tests/perf/test_bench_edit_latency.py -m perf -s``.

Goal (issue 15): findings and the host's configuration < 100 ms p95 after a save ("after save" below).
"""

from __future__ import annotations

import statistics
import time

import pytest
from rest_framework.test import APIClient

from tests.perf.synthetic import synthetic_design
from topology.models import JailNic
from topology.render.freebsd import render_host
from topology.selectors import design_snapshot
from topology.services.designs import design_import_snapshot
from topology.services.live_design import forget_live_designs
from topology.validation import validate

pytestmark = [pytest.mark.perf, pytest.mark.django_db]

EDITS = 20
FULL_EDITS = 5  # the full path takes seconds per edit


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _print(title: str, timings: dict[str, list[float]]) -> None:
    print(title)
    for what, values in timings.items():
        ms = [v * 1000 for v in values]
        print(f"  {what:22s} median {statistics.median(ms):8.1f}   p95 {_p95(ms):8.1f}")


def _new_address(nic: JailNic, n: int) -> str:
    return nic.address.split("/")[0].rsplit(".", 1)[0] + f".{200 + n % 50}/" + nic.address.split("/")[1]


def test_edit_to_findings_and_host_configuration_latency(make_user) -> None:
    design, _ = design_import_snapshot(snapshot=synthetic_design())
    forget_live_designs()
    client = APIClient()
    client.force_authenticate(make_user("bench", "designer"))
    nics = list(JailNic.objects.filter(jail__host__design=design).select_related("jail__host")[: EDITS + FULL_EDITS])
    # The designer opens the design first: its first validation reads everything (not counted).
    start = time.perf_counter()
    assert client.get(f"/api/designs/{design.pk}/validation/").status_code == 200
    first = time.perf_counter() - start

    timings: dict[str, list[float]] = {"patch": [], "validation": [], "render host": [], "after save": [], "total": []}
    for n, nic in enumerate(nics[:EDITS]):
        start = time.perf_counter()
        saved = client.patch(
            f"/api/jail-nics/{nic.pk}/", {"address": _new_address(nic, n), "version": nic.version}, format="json"
        )
        patched = time.perf_counter()
        findings = client.get(f"/api/designs/{design.pk}/validation/")
        validated = time.perf_counter()
        rendered = client.get(f"/api/designs/{design.pk}/render/", {"host": nic.jail.host.name})
        done = time.perf_counter()
        assert saved.status_code == 200 and findings.status_code == 200 and rendered.status_code == 200
        timings["patch"].append(patched - start)
        timings["validation"].append(validated - patched)
        timings["render host"].append(done - validated)
        timings["after save"].append(done - patched)
        timings["total"].append(done - start)

    full: dict[str, list[float]] = {
        "patch": [],
        "snapshot+validation": [],
        "snapshot+render host": [],
        "after save": [],
    }
    for n, nic in enumerate(nics[EDITS:]):
        start = time.perf_counter()
        saved = client.patch(
            f"/api/jail-nics/{nic.pk}/", {"address": _new_address(nic, n), "version": nic.version}, format="json"
        )
        patched = time.perf_counter()
        validate(design_snapshot(design=design)).as_dict()
        validated = time.perf_counter()
        render_host(design_snapshot(design=design), nic.jail.host.name)
        done = time.perf_counter()
        assert saved.status_code == 200
        full["patch"].append(patched - start)
        full["snapshot+validation"].append(validated - patched)
        full["snapshot+render host"].append(done - validated)
        full["after save"].append(done - patched)

    print(f"\n1,000-host design: first validation (reads and checks everything) {first * 1000:.0f} ms")
    _print(f"before — full re-validation and render, {len(full['patch'])} edits (a jail NIC's address), ms:", full)
    _print(f"after — incremental API, {len(timings['patch'])} edits (a jail NIC's address), ms:", timings)
