"""The streaming benchmark without the lab: the same clients and web server as ``test_bench_stream`` (uvicorn as
``make run`` starts it), fed by a job log written at full speed by a process of its own (no SSH, no host), so the
figures are those of storing and delivering alone. Needs no root: a quick way to measure the web side.

    .venv/bin/python -m pytest tests/perf/test_bench_stream_web.py -m perf -s
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from core.audit import change_context
from executors.jobs.services import job_create
from executors.models import JobKind
from tests.executors.conftest import database_url
from tests.factories import DesignFactory

from . import test_bench_stream
from .test_bench_stream import (
    LINE_BYTES,
    RATE,
    ROOT,
    SECONDS,
    ClientProcesses,
    MemorySampler,
    cpu_seconds,
    produced_lines,
    profiled,
    report,
    wait_done,
)

web_server = test_bench_stream.web_server  # the fixture: uvicorn as make run starts it

pytestmark = [pytest.mark.perf, pytest.mark.django_db(transaction=True)]

# Writes the job's log as a worker would (job_start, JobLog, job_finish), 800 lines per write like a 64 KiB read
# from SSH; lines as in test_bench_stream: "<unix time> <sequence number> <padding>\n".
WRITER = f"""
import sys, time, django
django.setup()
from executors.jobs.log import JobLog
from executors.jobs.services import job_finish, job_start
job_id = int(sys.argv[1])
job_start(job_id=job_id)
n = 0
rate = {RATE}
with JobLog(job_id) as log:
    start = time.time()
    end = start + {SECONDS}
    while True:
        t = time.time()
        if t > end:
            break
        if rate and n > (t - start) * rate:
            time.sleep(0.002)
            continue
        lines = []
        for _ in range(800):
            lines.append('%.6f %09d ' % (t, n) + 'x' * {LINE_BYTES - 29} + '\\n')
            n += 1
        log.write(''.join(lines), host='h', stream='stdout')
job_finish(job_id=job_id, state='succeeded', message='done')
print('cpu %.3f' % time.process_time(), flush=True)
"""


@pytest.mark.parametrize(
    ("clients", "slow"), [(1, False), (20, False), (1, True)], ids=["1-client", "20-clients", "slow"]
)
def test_bench_stream_web(web_server, make_user, tmp_path: Path, clients: int, slow: bool) -> None:
    client = Client()
    client.force_login(make_user(f"bench-web-{clients}-{slow}", "viewer"))
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    with change_context(source="command"):
        job = job_create(kind=JobKind.LAB_EXEC, design=DesignFactory.create(name=f"web-{clients}-{slow}"),
                         enqueue=False)  # fmt: skip
    env: dict[str, Any] = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "JAILNET_CREDENTIAL_KEY": settings.CREDENTIAL_ENCRYPTION_KEY,
    }
    label = f"web only, {clients} {'slow ' if slow else ''}client{'s' if clients > 1 else ''}"
    followers = ClientProcesses(web_server.url, cookie, clients, tmp_path, slow=slow)
    try:
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(job.pk)], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        web_cpu = cpu_seconds(web_server.process.pid)
        spies = profiled({f"webonly-web-{clients}{'-slow' if slow else ''}": web_server.process.pid})
        with MemorySampler(web_server.process.pid) as memory:
            results = followers.follow(job.pk)
        web_cpu = cpu_seconds(web_server.process.pid) - web_cpu
    finally:
        followers.stop()
    for spy in spies:
        spy.wait()
    writer_out, _ = writer.communicate(timeout=60)
    assert writer.returncode == 0
    job = wait_done(job)
    assert job.state == "succeeded", job.message
    cpu = {"web": web_cpu, "writer (worker's part)": float(writer_out.split()[-1])}
    report(label, results, produced_lines(job.pk), memory, cpu)
