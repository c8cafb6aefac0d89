"""Benchmark: how long after a save the designer has the edit's validation findings and the edited host's
configuration, on the 1,000-host synthetic design (tests/perf/synthetic.py).

Per edit (through the API, as the designer does; six kinds in turn: a jail NIC's address, a host's default
router, a firewall rule added, a VNET jail added, a jail deleted, a VXLAN segment's multicast group): the
save, then the two requests the designer makes after it — ``GET /api/designs/<id>/validation/`` and
``GET /api/designs/<id>/render/?host=<the edited host>``. These are incremental
(``topology.services.live_design``): only the hosts the edit touched are read again and only their findings
computed again. For comparison, in the same run, the full path the endpoints took before (the whole
design's snapshot, every rule on it, the host rendered from it) after a few more edits of a NIC's address.
"patch" is the save's request alone (what to edit is looked up before the clock starts). The design is
committed, as on a server: each request runs in its own transaction (on PostgreSQL the live design reads in a
REPEATABLE READ one), not inside one test transaction holding the whole import uncommitted. (Until the
PostgreSQL work of issue 15 the lookups counted in "patch" and everything ran in the test's transaction.)
Prints the median and p95 of each step; asserts nothing about time (the machine is shared). Run with
``.venv/bin/python -m pytest tests/perf/test_bench_edit_latency.py -m perf -s``.

Goal (issue 15): findings and the host's configuration < 100 ms p95 after a save ("after save" below).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.perf.synthetic import synthetic_design
from topology.models import Design, FirewallPolicy, Host, Jail, JailNic, VxlanMember
from topology.render.freebsd import render_host
from topology.selectors import design_snapshot
from topology.services.designs import design_import_snapshot
from topology.services.live_design import forget_live_designs
from topology.validation import validate

pytestmark = [pytest.mark.perf, pytest.mark.django_db(transaction=True)]

EDITS = 36  # six of each kind
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


def _edit(client: APIClient, design: Design, kind: str, n: int) -> tuple[Callable[[], Any], str]:
    """One edit of ``kind`` through the API, on a host picked by ``n``: (a function sending it and answering
    its response, the edited host's name). What to edit is looked up here, before the clock starts."""
    hosts = Host.objects.filter(design=design).order_by("name")
    host = hosts[(n * 37) % hosts.count()]
    if kind == "jail NIC address":
        nic = JailNic.objects.filter(jail__host=host).order_by("pk").first()
        assert nic is not None
        body: dict[str, Any] = {"address": _new_address(nic, n)}
        return partial(client.patch, f"/api/jail-nics/{nic.pk}/", body, format="json"), host.name
    if kind == "host default router":
        body = {"default_router": f"192.168.0.{n % 200 + 1}"}
        return partial(client.patch, f"/api/hosts/{host.pk}/", body, format="json"), host.name
    if kind == "firewall rule added":
        policy = FirewallPolicy.objects.get(host=host)
        rule = {"policy": policy.pk, "action": "pass", "protocol": "tcp", "port": 1000 + n}
        return partial(client.post, "/api/firewall-rules/", rule, format="json"), host.name
    if kind == "VNET jail added":
        new_jail: dict[str, Any] = {"host": host.pk, "name": f"bench{n}", "type": "vnet"}
        return partial(client.post, "/api/jails/", new_jail, format="json"), host.name
    if kind == "jail deleted":
        jail = Jail.objects.filter(host=host).order_by("-pk").first()
        assert jail is not None
        return partial(client.delete, f"/api/jails/{jail.pk}/"), host.name
    # A VXLAN segment's multicast group: the segment's hosts, and the design-wide group check.
    member = VxlanMember.objects.filter(host=host).select_related("segment").first()
    assert member is not None
    body = {"multicast_group": f"239.2.{n // 250}.{n % 250 + 1}"}
    return partial(client.patch, f"/api/vxlan-segments/{member.segment_id}/", body, format="json"), host.name


KINDS = (
    "jail NIC address",
    "host default router",
    "firewall rule added",
    "VNET jail added",
    "jail deleted",
    "VXLAN multicast group",
)


def test_edit_to_findings_and_host_configuration_latency(make_user) -> None:
    design, _ = design_import_snapshot(snapshot=synthetic_design())
    forget_live_designs()
    client = APIClient()
    client.force_authenticate(make_user("bench", "designer"))
    # The designer opens the design first: its first validation reads everything (not counted).
    start = time.perf_counter()
    assert client.get(f"/api/designs/{design.pk}/validation/").status_code == 200
    first = time.perf_counter() - start

    timings: dict[str, list[float]] = {"patch": [], "validation": [], "render host": [], "after save": [], "total": []}
    per_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for n in range(EDITS):
        kind = KINDS[n % len(KINDS)]
        send, host_name = _edit(client, design, kind, n)
        start = time.perf_counter()
        status = send().status_code
        patched = time.perf_counter()
        findings = client.get(f"/api/designs/{design.pk}/validation/")
        validated = time.perf_counter()
        rendered = client.get(f"/api/designs/{design.pk}/render/", {"host": host_name})
        done = time.perf_counter()
        assert status in (200, 201, 204) and findings.status_code == 200 and rendered.status_code == 200
        timings["patch"].append(patched - start)
        timings["validation"].append(validated - patched)
        timings["render host"].append(done - validated)
        timings["after save"].append(done - patched)
        timings["total"].append(done - start)
        per_kind[kind].append(done - patched)

    full: dict[str, list[float]] = {
        "patch": [],
        "snapshot+validation": [],
        "snapshot+render host": [],
        "after save": [],
    }
    for n in range(FULL_EDITS):
        send, host_name = _edit(client, design, KINDS[0], EDITS + n)
        start = time.perf_counter()
        status = send().status_code
        patched = time.perf_counter()
        validate(design_snapshot(design=design)).as_dict()
        validated = time.perf_counter()
        render_host(design_snapshot(design=design), host_name)
        done = time.perf_counter()
        assert status == 200
        full["patch"].append(patched - start)
        full["snapshot+validation"].append(validated - patched)
        full["snapshot+render host"].append(done - validated)
        full["after save"].append(done - patched)

    print(f"\n1,000-host design: first validation (reads and checks everything) {first * 1000:.0f} ms")
    _print(f"before — full re-validation and render, {FULL_EDITS} edits (a jail NIC's address), ms:", full)
    _print(f"after — incremental API, {EDITS} edits ({len(KINDS)} kinds in turn), ms:", timings)
    _print("after save, by kind of edit, ms:", per_kind)
