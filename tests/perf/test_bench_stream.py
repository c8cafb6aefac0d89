"""Benchmark of streaming a job's output to browsers: a command on a lab host prints 80-byte lines as fast as it can
for 10 s (over SSH, run by the real Celery worker as a job); websocket clients follow the job on the real ASGI
server (uvicorn) from the start. Runs: 1 client, 20 clients at once, 1 client that reads slowly.

Each client is a process of its own, connected before the job starts (so the figures are the server's, not those
of one process decoding every socket's frames). Prints, per run: lines produced, lines/s delivered per client,
p50/p99 latency from the line's timestamp at the producer to its arrival at the client, lines lost or repeated,
the sizes of the output frames, the web process's peak memory (and its memory early and late in the run), and the
CPU seconds of the web process, the worker, the producer and the clients while they follow (what limits the run).
Asserts only that no line is lost or repeated.
Goals: >= 20,000 lines/s per client, p99 < 250 ms, 0 lost, memory flat with a slow reader.

    flock /tmp/jailnet-lab.lock .venv/bin/python -m pytest tests/perf/test_bench_stream.py -m perf -s
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

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
    "sys.stdout.flush()\n"
    "sys.stderr.write('cpu %.3f\\n' % time.process_time())\n"
)


# One websocket client, run as a process of its own (one per client: the clients' decoding must not be what the
# benchmark measures). It connects, prints "ready", reads the job's id on stdin, follows the job from its start
# until it ends, then writes what it received to <out>.json and the latencies (seconds, one per 50 lines: the
# producer stamps 50 lines at a time) to <out>.lat. Cheap parse: one json.loads per frame; per chunk the line
# count, the numbers of its first and last lines, and the timestamp of every 50th line (lines are 80 bytes, so
# read by slicing; split when they are not). A slow client sleeps 50 ms after each output frame.
CLIENT = r"""
import asyncio, json, sys, time
from array import array
import websockets
from websockets.typing import Origin

url, cookie, slow, out, size = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4], int(sys.argv[5])
loads = json.loads
latencies = array("d")
frame_sizes = array("l")
result = {"lines": 0, "missing": 0, "repeated": 0}

async def main():
    partial = ""
    last = -1
    async with websockets.connect(url.replace("http://", "ws://") + "/ws/events/", origin=Origin(url),
                                  additional_headers={"Cookie": cookie}, max_size=None, max_queue=4,
                                  ping_interval=None) as socket:
        print("ready", flush=True)
        job_id = int(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))
        cpu = time.process_time()
        await socket.send(json.dumps({"action": "follow", "job": job_id, "since": 0}))
        result["started"] = time.time()
        while True:
            raw = await asyncio.wait_for(socket.recv(), 120)
            now = time.time()
            frame = loads(raw)
            if frame["type"] == "job.output":
                frame_sizes.append(len(raw))
                for chunk in frame["chunks"]:
                    if chunk["host"] != "h" or chunk["stream"] != "stdout":
                        continue
                    text = partial + chunk["data"]
                    end = text.rfind("\n") + 1
                    partial = text[end:]
                    if not end:
                        continue
                    count = text.count("\n", 0, end)
                    first = int(text[: text.find("\n")].split(" ", 2)[1])
                    last_line = int(text[text.rfind("\n", 0, end - 1) + 1 : end].split(" ", 2)[1])
                    if last_line - first + 1 != count:
                        raise SystemExit(f"lines {first}..{last_line} in a run of {count}")
                    if first <= last:
                        result["repeated"] += last - first + 1
                    result["missing"] += max(0, first - last - 1)
                    last = last_line
                    result["lines"] += count
                    if end == count * size:
                        stamps = [float(text[i : i + 17]) for i in range(0, end, 50 * size)]
                    else:
                        stamps = [float(line.split(" ", 1)[0]) for line in text[:end].split("\n")[:-1:50]]
                    latencies.extend(now - t for t in stamps)
                if slow:
                    await asyncio.sleep(0.05)
            elif frame["type"] == "job.state" and frame["job"]["state"] in ("succeeded", "failed", "cancelled"):
                result["finished"] = now
                result["last_line"] = last
                result["cpu"] = time.process_time() - cpu
                result["frames"] = list(frame_sizes)
                return

asyncio.run(main())
with open(out + ".lat", "wb") as f:
    latencies.tofile(f)
with open(out + ".json", "w") as f:
    json.dump(result, f)
"""


@dataclass
class ClientResult:
    """What one websocket client received (read back from its files)."""

    lines: int
    missing: int
    repeated: int
    started: float
    finished: float
    last_line: int
    cpu: float  # CPU seconds of the client's process while it followed
    frames: list[int]  # bytes of each job.output frame
    latencies: array = field(default_factory=lambda: array("d"))

    @property
    def rate(self) -> float:
        return self.lines / max(1e-9, self.finished - self.started)


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


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of process ``pid`` and its living descendants (a worker and its pool)."""
    total = cpu_seconds(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += tree_cpu_seconds(int(child))
    return total


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


class ClientProcesses:
    """``count`` client processes, each connected and waiting for the job's id."""

    def __init__(self, url: str, cookie: str, count: int, directory: Path, *, slow: bool = False) -> None:
        self.outputs = [directory / f"client-{i}" for i in range(count)]
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-c", CLIENT, url, cookie, "1" if slow else "0", str(out), str(LINE_BYTES)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for out in self.outputs
        ]
        for process in self.processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"

    def follow(self, job_id: int) -> list[ClientResult]:
        """Start every client on ``job_id`` at once, wait for them to see it end, read their results."""
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write(f"{job_id}\n")
            process.stdin.flush()
        for process in self.processes:
            assert process.wait(300) == 0
        results = []
        for out in self.outputs:
            result = ClientResult(**json.loads(out.with_suffix(".json").read_text()))
            result.latencies.frombytes(out.with_suffix(".lat").read_bytes())
            results.append(result)
        return results

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def produced_lines(job_id: int) -> int:
    text = "".join(JobOutput.objects.filter(job_id=job_id, host="h", stream="stdout").values_list("data", flat=True))
    return text.count("\n")


def producer_cpu(job_id: int) -> float:
    """CPU seconds the producer reported at its end (its last line on stderr: "cpu <seconds>")."""
    text = "".join(JobOutput.objects.filter(job_id=job_id, host="h", stream="stderr").values_list("data", flat=True))
    words = text.split()
    return float(words[words.index("cpu") + 1]) if "cpu" in words else float("nan")


def start_producer(design: Any) -> Job:
    with change_context(source="command"):
        return job_create(kind=JobKind.LAB_EXEC, design=design,
                          options={"host": "h", "argv": ["python3", "-c", PRODUCER], "timeout": 120})  # fmt: skip


def percentile(values: Sequence[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else float("nan")


def report(
    label: str, results: list[ClientResult], produced: int, memory: MemorySampler, cpu: dict[str, float]
) -> None:
    """Print the run's figures (per client, latency, losses, frames, memory, CPU); assert nothing lost or repeated."""
    rates = sorted(r.rate for r in results)
    latencies = sorted(x for r in results for x in r.latencies)  # one per 50 lines
    lost = sum(produced - r.lines for r in results)
    for r in results:
        if r.lines != produced:
            print(f"client: {r.lines} lines, {r.missing} missing, last line {r.last_line}")
    repeated = sum(r.repeated for r in results)
    frames = sorted(size for r in results for size in r.frames)
    cpu_text = ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
    print(
        f"\n{label}: {produced} lines produced in {SECONDS} s ({produced / SECONDS:,.0f}/s); load average "
        f"{os.getloadavg()[0]:.1f}\n"
        f"  per client lines/s: median {statistics.median(rates):,.0f} (min {rates[0]:,.0f}, max {rates[-1]:,.0f})\n"
        f"  latency producer -> client: p50 {percentile(latencies, 0.5) * 1000:,.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:,.0f} ms, max {percentile(latencies, 1.0) * 1000:,.0f} ms\n"
        f"  lost {lost}, repeated {repeated}\n"
        f"  output frames: {len(frames) / len(results):,.0f} per client, median {percentile(frames, 0.5) / 1024:,.0f} "
        f"KiB, p99 {percentile(frames, 0.99) / 1024:,.0f} KiB, max {percentile(frames, 1.0) / 1024:,.0f} KiB\n"
        f"  web peak RSS {memory.peak():.0f} MiB (at 20% of the run {memory.at(0.2):.0f} MiB, at 90% "
        f"{memory.at(0.9):.0f} MiB)\n"
        f"  CPU seconds while following: {cpu_text}, clients {sum(r.cpu for r in results):.1f} "
        f"(per client median {statistics.median(r.cpu for r in results):.2f})"
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
def test_bench_stream(
    web_server, bench_design, jobs_on_worker, make_user, tmp_path: Path, clients: int, slow: bool
) -> None:
    client = Client()
    client.force_login(make_user(f"bench-{clients}-{slow}", "viewer"))
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    label = f"{clients} {'slow ' if slow else ''}client{'s' if clients > 1 else ''}"
    followers = ClientProcesses(web_server.url, cookie, clients, tmp_path, slow=slow)
    try:
        job = start_producer(bench_design)
        web_cpu, worker_cpu = cpu_seconds(web_server.process.pid), tree_cpu_seconds(jobs_on_worker.process.pid)
        spies = profiled({f"web-{clients}{'-slow' if slow else ''}": web_server.process.pid})
        with MemorySampler(web_server.process.pid) as memory:
            results = followers.follow(job.pk)
        web_cpu = cpu_seconds(web_server.process.pid) - web_cpu
        worker_cpu = tree_cpu_seconds(jobs_on_worker.process.pid) - worker_cpu
    finally:
        followers.stop()
    for spy in spies:
        spy.wait()
    job = wait_done(job)
    assert job.state == "succeeded", job.message
    cpu = {"web": web_cpu, "worker": worker_cpu, "producer (on the host)": producer_cpu(job.pk)}
    report(label, results, produced_lines(job.pk), memory, cpu)
