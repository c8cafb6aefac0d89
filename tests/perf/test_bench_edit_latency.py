"""Benchmark: how long after a save the designer has the edit's validation findings and the edited host's
configuration, on the 1,000-host synthetic design (tests/perf/synthetic.py).

Per edit (a jail NIC's address changed through the API, as the designer does): the PATCH, then the two
requests the designer makes after it — ``GET /api/designs/<id>/validation/`` and
``GET /api/designs/<id>/render/?host=<the edited host>``. Prints the median and p95 of each and of the sum.
Asserts nothing about time (the machine is shared). Run with
``.venv/bin/python -m pytest tests/perf/test_bench_edit_latency.py -m perf -s``.

Goal (issue 15): findings and the host's configuration < 100 ms p95 after a save. Validation and rendering
are of the whole design today (no incremental path yet), so this prints how far off that is.
"""

from __future__ import annotations

import statistics
import time

import pytest
from rest_framework.test import APIClient

from tests.perf.synthetic import synthetic_design
from topology.models import JailNic
from topology.services.designs import design_import_snapshot

pytestmark = [pytest.mark.perf, pytest.mark.django_db]

EDITS = 20


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def test_edit_to_findings_and_host_configuration_latency(make_user) -> None:
    design, _ = design_import_snapshot(snapshot=synthetic_design())
    client = APIClient()
    client.force_authenticate(make_user("bench", "designer"))
    nics = list(JailNic.objects.filter(jail__host__design=design).select_related("jail__host")[:EDITS])
    timings: dict[str, list[float]] = {"patch": [], "validation": [], "render host": [], "total": []}
    for n, nic in enumerate(nics):
        address = nic.address.split("/")[0].rsplit(".", 1)[0] + f".{200 + n % 50}/" + nic.address.split("/")[1]
        start = time.perf_counter()
        saved = client.patch(f"/api/jail-nics/{nic.pk}/", {"address": address, "version": nic.version}, format="json")
        patched = time.perf_counter()
        findings = client.get(f"/api/designs/{design.pk}/validation/")
        validated = time.perf_counter()
        rendered = client.get(f"/api/designs/{design.pk}/render/", {"host": nic.jail.host.name})
        done = time.perf_counter()
        assert saved.status_code == 200 and findings.status_code == 200 and rendered.status_code == 200
        timings["patch"].append(patched - start)
        timings["validation"].append(validated - patched)
        timings["render host"].append(done - validated)
        timings["total"].append(done - start)
    print(f"\n1,000-host design, {len(nics)} edits (a jail NIC's address): ms after the save starts")
    for what, values in timings.items():
        ms = [v * 1000 for v in values]
        print(f"  {what:12s} median {statistics.median(ms):7.1f}   p95 {_p95(ms):7.1f}")
