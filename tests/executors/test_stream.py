"""The web process's cache of encoded chunks: bounded in bytes, frames cut from it and from the database, one query
for the sockets that ask for the same page at once, frames that are the JSON clients expect."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit import change_context
from executors.jobs.log import encode_chunk
from executors.jobs.services import job_create
from executors.jobs.stream import ChunkCache, output_frame
from executors.models import JobKind, JobOutput
from topology.models import Design

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def job():
    with change_context(source="command"):
        job = job_create(kind=JobKind.LAB_EXEC, design=Design.objects.create(name="stream"), enqueue=False)
    JobOutput.objects.bulk_create(
        [JobOutput(job=job, seq=n, host="h", data=f"line {n}\n" * 100, produced_at=float(n)) for n in range(1, 41)]
    )
    return job


def test_the_cache_drops_the_least_recently_used_beyond_its_bytes():
    cache = ChunkCache(limit=1000)
    for seq in range(1, 6):
        cache.put(7, seq, "x" * 300)
    assert cache.size <= 1000 and cache.get(7, 1) is None and cache.get(7, 5) == "x" * 300
    cache.get(7, 3)  # used: kept over 4
    cache.put(7, 6, "y" * 300)
    assert cache.get(7, 3) is not None and cache.get(7, 4) is None


def test_runs_come_from_the_cache_then_the_database_within_a_budget(job):
    cache = ChunkCache()
    cache.put(job.pk, 1, encode_chunk({"seq": 1, "host": "h", "stream": "stdout", "data": "live\n", "t": 1.0}))

    async def runs():
        return await cache.run(job.pk, 1, 40, budget=3000), await cache.run(job.pk, 41, 50)

    first, beyond = async_to_sync(runs)()
    assert [seq for seq, _ in first[:3]] == [1, 2, 3]
    assert 3000 <= sum(len(text) for _, text in first) < 3000 + 1200  # stops at the budget (whole chunks)
    assert json.loads(first[0][1])["data"] == "live\n"  # the cached (live) encoding is used as it is
    assert beyond == []  # nothing stored there: nothing invented
    frame = json.loads(output_frame(job.pk, [text for _, text in first], [{"name": "h", "done": 1}]))
    assert frame["type"] == "job.output" and frame["job"] == job.pk and frame["steps"] == [{"name": "h", "done": 1}]
    assert [c["seq"] for c in frame["chunks"]] == [seq for seq, _ in first]
    assert frame["chunks"][1] == {"seq": 2, "host": "h", "stream": "stdout", "data": "line 2\n" * 100, "t": 2.0}


def test_sockets_asking_for_the_same_page_at_once_share_one_query(job):
    import asyncio

    cache = ChunkCache()

    async def twenty():
        return await asyncio.gather(*(cache.run(job.pk, 1, 40) for _ in range(20)))

    with CaptureQueriesContext(connection) as queries:
        runs = async_to_sync(twenty)()
    assert all(run == runs[0] for run in runs) and runs[0][0][0] == 1
    selects = [q for q in queries.captured_queries if "executors_joboutput" in q["sql"]]
    assert len(selects) == 1
