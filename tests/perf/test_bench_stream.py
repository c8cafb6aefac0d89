"""Benchmark of streaming a job's output to browsers: a command on a lab host prints 80-byte lines as fast as it can
for 10 s (over SSH, run by the real Celery worker as a job); websocket clients follow the job on the real ASGI
server (uvicorn) from the start. Runs: 1 client, 20 clients at once, 1 client that reads slowly.

Prints, per run: lines produced, lines/s delivered per client, p50/p99 latency from the line's timestamp at the
producer to its arrival at the client, lines lost or repeated, and the web process's peak memory (and, for the slow
reader, its memory early and late in the run). Asserts only that no line is lost or repeated.
Goals: >= 20,000 lines/s per client, p99 < 250 ms, 0 lost, memory flat with a slow reader.

    flock /tmp/jailnet-lab.lock .venv/bin/python -m pytest tests/perf/test_bench_stream.py -m perf -s
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websockets
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from websockets.typing import Origin

from core.audit import change_context
from executors.jobs.services import job_create
from executors.lab.lifecycle import leftovers
from executors.models import Job, JobKind, JobOutput
from project.embedded_redis import exit_with_parent, free_loopback_port, stop_process
from tests.executors.conftest import database_url
from tests.lab.documents import S7
from tests.lab.support import needs_lab, unique_name
from topology.services.designs import design_import_document

pytestmark = [pytest.mark.perf, needs_lab, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
NAME = unique_name("bench-stream")
SECONDS = int(os.environ.get("BENCH_STREAM_SECONDS", "10"))
# Lines per second the producer keeps to (0: as fast as it can, the benchmark's case). A paced run shows the
# latency of the path itself when delivery keeps up; at full speed the backlog of a faster producer dominates it.
RATE = int(os.environ.get("BENCH_STREAM_RATE", "0"))
LINE_BYTES = 80
# The producer: each line is "<unix time> <sequence number> <padding>\n", 80 bytes, printed for SECONDS seconds.
PRODUCER = (
    "import sys, time\n"
    "w = sys.stdout.write\n"
    f"end = time.time() + {SECONDS}\n"
    "n = 0\n"
    f"rate = {RATE}\n"
    "start = time.time()\n"
    "while True:\n"
    "    t = time.time()\n"
    "    if t > end: break\n"
    "    if rate and n > (t - start) * rate:\n"
    "        sys.stdout.flush(); time.sleep(0.002); continue\n"
    "    for _ in range(50):\n"
    f"        w('%.6f %09d ' % (t, n) + 'x' * {LINE_BYTES - 29} + '\\n')\n"
    "        n += 1\n"
)


@dataclass
class ClientResult:
    """What one websocket client received."""

    lines: int = 0
    first_seq: int | None = None
    missing: int = 0
    repeated: int = 0
    latencies: array = field(default_factory=lambda: array("d"))
    started: float = 0.0
    finished: float = 0.0
    last_line: int = -1

    def take_lines(self, lines: list[str], now: float) -> None:
        """Consecutive complete lines of the output, received at ``now``.

        Every line is counted; the numbers are checked at both ends of the run (the lines of one chunk are one
        contiguous piece of the output, so a run whose ends are n and n + len - 1 holds every line between); the
        latency is read from every 50th line (the producer stamps 50 lines at a time).
        """
        if not lines:
            return
        first, last = int(lines[0].split(" ", 2)[1]), int(lines[-1].split(" ", 2)[1])
        if first <= self.last_line:
            self.repeated += self.last_line - first + 1
        self.missing += max(0, first - self.last_line - 1)
        assert last - first + 1 == len(lines), (first, last, len(lines))
        self.last_line = last
        self.lines += len(lines)
        for line in lines[::50]:
            self.latencies.append(now - float(line.split(" ", 1)[0]))


def procfile_web_options() -> list[str]:
    """The uvicorn options of the Procfile's web process after host and port (what `make run` serves with)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            words = line.split()
            return words[words.index("--port") + 2 :]
    return []


WEB_OPTIONS = procfile_web_options()


@dataclass
class AsgiServer:
    process: subprocess.Popen[bytes]
    url: str


@pytest.fixture
def web_server(jobs_on_worker, tmp_path: Path) -> Iterator[AsgiServer]:
    """uvicorn with the app, on the test database, the test Redis and the worker's host-work queue."""
    port = free_loopback_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.e2e.asgi_settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "JAILNET_CREDENTIAL_KEY": settings.CREDENTIAL_ENCRYPTION_KEY,
        "JAILNET_HOSTS_QUEUE": jobs_on_worker.hosts_queue,
        "JAILNET_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "project.asgi:application", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", *WEB_OPTIONS]  # fmt: skip
    with open(tmp_path / "uvicorn.log", "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=exit_with_parent,
        )  # fmt: skip
    server = AsgiServer(process, f"http://127.0.0.1:{port}")
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(server.url + "/api/session/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield server
    finally:
        stop_process(process, 10)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profiled(pids: dict[str, int]) -> list[subprocess.Popen[bytes]]:
    """With ``BENCH_STREAM_PROFILE=<dir>`` (and py-spy on the PATH or in ``PY_SPY``), sample each process for the
    run's length into ``<dir>/<label>.txt`` (collapsed stacks): where the web process and the clients spend time."""
    directory = os.environ.get("BENCH_STREAM_PROFILE")
    if not directory:
        return []
    spy = os.environ.get("PY_SPY", "py-spy")
    spies = []
    for label, pid in pids.items():
        output = str(Path(directory) / f"{label}.txt")
        command = [spy, "record", "--pid", str(pid), "--duration", str(SECONDS), "--rate", "100", "--format", "raw",
                   "--nonblocking", "-o", output]  # fmt: skip
        spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return spies


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class MemorySampler:
    """Samples a process's resident memory every 100 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.samples.append((time.monotonic(), rss_mib(self.pid)))

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self) -> float:
        return max(m for _, m in self.samples)

    def at(self, fraction: float) -> float:
        return self.samples[min(len(self.samples) - 1, int(len(self.samples) * fraction))][1]


async def follow(url: str, cookie: str, job_id: int, result: ClientResult, *, slow: bool = False) -> None:
    """Follow the job from its start until it ends; a slow client sleeps 50 ms after each frame."""
    ws_url = url.replace("http://", "ws://") + "/ws/events/"
    partial = ""
    async with websockets.connect(
        ws_url,
        origin=Origin(url),
        additional_headers={"Cookie": cookie},
        max_size=None,
        max_queue=4,
        ping_interval=None,
    ) as socket:
        await socket.send(json.dumps({"action": "follow", "job": job_id, "since": 0}))
        result.started = time.time()
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 120))
            now = time.time()
            if frame["type"] == "job.output":
                for chunk in frame["chunks"]:
                    if chunk["host"] != "h" or chunk["stream"] != "stdout":
                        continue
                    text = partial + chunk["data"]
                    *lines, partial = text.split("\n")
                    result.take_lines(lines, now)
                if slow:
                    await asyncio.sleep(0.05)
            elif frame["type"] == "job.state" and frame["job"]["state"] in ("succeeded", "failed", "cancelled"):
                result.finished = now
                return


def run_clients(url: str, cookie: str, job_id: int, count: int, *, slow: bool = False) -> list[ClientResult]:
    results = [ClientResult() for _ in range(count)]

    async def main() -> None:
        await asyncio.gather(*(follow(url, cookie, job_id, r, slow=slow) for r in results))

    asyncio.run(main())
    return results


def produced_lines(job_id: int) -> int:
    text = "".join(JobOutput.objects.filter(job_id=job_id, host="h", stream="stdout").values_list("data", flat=True))
    return text.count("\n")


def start_producer(design: Any) -> Job:
    with change_context(source="command"):
        return job_create(kind=JobKind.LAB_EXEC, design=design,
                          options={"host": "h", "argv": ["python3", "-c", PRODUCER], "timeout": 120})  # fmt: skip


def report(label: str, results: list[ClientResult], produced: int, memory: MemorySampler) -> None:
    rates = [r.lines / max(1e-9, r.finished - r.started) for r in results]
    latencies = sorted(x for r in results for x in r.latencies)  # every 50th line
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else float("nan")
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else float("nan")
    lost = sum(produced - r.lines for r in results)
    for r in results:
        if r.lines != produced:
            print(f"client: {r.lines} lines, {r.missing} missing, last line {r.last_line}, first {r.first_seq}")
    repeated = sum(r.repeated for r in results)
    print(
        f"\n{label}: {produced} lines produced in {SECONDS} s ({produced / SECONDS:,.0f}/s); per client: median "
        f"{statistics.median(rates):,.0f} lines/s (min {min(rates):,.0f}); latency p50 {p50:.0f} ms, p99 {p99:.0f} ms; "
        f"lost {lost}, repeated {repeated}; web peak RSS {memory.peak():.0f} MiB "
        f"(at 20% of the run {memory.at(0.2):.0f} MiB, at 90% {memory.at(0.9):.0f} MiB)"
    )
    assert lost == 0 and repeated == 0


@pytest.fixture
def bench_design(jobs_on_worker) -> Iterator[Any]:
    document = S7.replace("name: lab-s07-iocage", f"name: {NAME}").replace("name: jailhost", "name: h", 1)
    design, _ = design_import_document(document_text=document)
    with change_context(source="command"):
        up = job_create(kind=JobKind.LAB_UP, design=design)
    for _ in range(600):
        up.refresh_from_db()
        if up.state not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert up.state == "succeeded", up.message
    try:
        yield design
    finally:
        call_command("lab", "down", NAME)
        assert leftovers(NAME) == {"namespaces": [], "processes": []}


def wait_done(job: Job) -> Job:
    for _ in range(1200):
        job.refresh_from_db()
        if job.state not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError("producer job did not end")


@pytest.mark.parametrize(
    ("clients", "slow"), [(1, False), (20, False), (1, True)], ids=["1-client", "20-clients", "slow"]
)
def test_bench_stream(web_server, bench_design, make_user, clients: int, slow: bool) -> None:
    client = Client()
    client.force_login(make_user(f"bench-{clients}-{slow}", "viewer"))
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    job = start_producer(bench_design)
    label = f"{clients} {'slow ' if slow else ''}client{'s' if clients > 1 else ''}"
    web_cpu, client_cpu = cpu_seconds(web_server.process.pid), cpu_seconds(os.getpid())
    spies = profiled({f"web-{clients}{'-slow' if slow else ''}": web_server.process.pid,
                      f"clients-{clients}{'-slow' if slow else ''}": os.getpid()})  # fmt: skip
    with MemorySampler(web_server.process.pid) as memory:
        results = run_clients(web_server.url, cookie, job.pk, clients, slow=slow)
    web_cpu, client_cpu = cpu_seconds(web_server.process.pid) - web_cpu, cpu_seconds(os.getpid()) - client_cpu
    for spy in spies:
        spy.wait()
    job = wait_done(job)
    assert job.state == "succeeded", job.message
    print(f"\n{label}: CPU seconds while following: web process {web_cpu:.1f}, clients {client_cpu:.1f}")
    report(label, results, produced_lines(job.pk), memory)
