"""Benchmark: a change request for the 1,000-host design, and the audit history page after 100,000 entries.

Prints figures; asserts nothing about time. Goals: change request (snapshot + validate + render + diff
+ store) under 10 s; audit page under 300 ms with a constant number of queries.
"""

from __future__ import annotations

import statistics
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEntry
from tests.perf.synthetic import synthetic_design
from topology.changes.services import change_request_create
from topology.models import Design
from topology.services.designs import design_import_snapshot

pytestmark = [pytest.mark.perf, pytest.mark.django_db(transaction=True)]


def test_benchmark_change_request_for_1000_hosts(make_user):
    designer = make_user("bench-designer", "designer")
    design, _ = design_import_snapshot(snapshot=synthetic_design())
    start = time.perf_counter()
    cr = change_request_create(design=design, user=designer, title="benchmark")
    elapsed = time.perf_counter() - start
    hosts = cr.hosts.count()
    print(f"\nchange request for {hosts} hosts (snapshot+validate+render+diff+store): {elapsed:.2f} s (goal < 10 s)")
    assert hosts == 1000


def test_benchmark_audit_history_page_after_100000_entries(make_user):
    viewer = make_user("bench-viewer", "viewer")
    design = Design.objects.create(name="audit-bench")
    ct = ContentType.objects.get_for_model(Design)
    now = timezone.now()
    existing = AuditEntry.objects.count()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                time=now, user_name=f"user{i % 7}", source="api", action="update", object_type=ct,
                object_id=design.pk, object_repr="audit-bench", design_id=design.pk, design_name=design.name,
                before={"description": str(i)}, after={"description": str(i + 1)},
            )
            for i in range(100_000 - existing)
        ],
        batch_size=5000,
    )  # fmt: skip
    client = APIClient()
    client.force_authenticate(viewer)
    for query in ("limit=50", "limit=50&offset=50000", "user=user3&limit=50", f"design_id={design.pk}&limit=50"):
        times, counts = [], []
        for _ in range(7):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(f"/api/audit-entries/?{query}")
                times.append(time.perf_counter() - start)
            counts.append(len(ctx.captured_queries))
            assert response.status_code == 200
        print(
            f"audit page ?{query}: median {statistics.median(times) * 1000:.0f} ms over 7, "
            f"{counts[-1]} queries (goal < 300 ms, constant)"
        )
    assert AuditEntry.objects.count() >= 100_000
