"""The lab runs as jobs on a real Celery worker (as root), with a real Redis and real namespaces: per-host steps and
the live log over the websocket, output received exactly once (also across a reconnect, a Redis restart and
dropped batches), cancel leaves nothing running, a killed worker's job is interrupted, a changed design is not
checked against an old lab."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from django.test import Client

from core.audit import change_context
from executors.jobs.services import job_create
from executors.lab import netns
from executors.lab.lifecycle import leftovers
from executors.models import Job, JobKind, JobOutput
from project.celery import app as celery_app
from project.embedded_redis import start_embedded_redis
from project.settings import channel_layers_for
from tests.executors.conftest import _point_app_at, start_worker
from topology.models import Design, Host
from topology.render.lab import lab_id
from topology.services.designs import design_import_document

from .documents import S10
from .support import needs_lab, unique_name

pytestmark = [needs_lab, pytest.mark.django_db(transaction=True)]

NAME = unique_name("lab-jobs")
DOC = S10.replace("name: lab-s10-vxlan", f"name: {NAME}")
FINAL = {"succeeded", "failed", "cancelled", "interrupted"}
JOB_TIMEOUT = 60.0


@pytest.fixture
def design(jobs_on_worker) -> Any:
    design, _ = design_import_document(document_text=DOC)
    yield design
    call_command("lab", "down", NAME)
    assert leftovers(NAME) == {"namespaces": [], "processes": []}


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def open_socket(cookie: bytes) -> WebsocketCommunicator:
    from project.asgi import application

    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver"), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["type"] == "hello"
    return communicator


class Follower:
    """What one websocket client received of one job: every chunk (in order), steps, and the final state."""

    def __init__(self) -> None:
        self.chunks: list[dict[str, Any]] = []
        self.steps: dict[str, dict[str, Any]] = {}
        self.final: dict[str, Any] | None = None
        self.chunks_before_final = 0
        self.reconnects = 0

    @property
    def last(self) -> int:
        return self.chunks[-1]["seq"] if self.chunks else 0

    def take(self, frame: dict[str, Any], job_id: int) -> None:
        if frame.get("type") == "job.output" and frame["job"] == job_id:
            self.chunks += frame["chunks"]
            for step in frame.get("steps") or []:
                self.steps[step["name"]] = step
        elif frame.get("type") == "followed":
            for step in frame["state"]["steps"]:
                self.steps[step["name"]] = step
        elif frame.get("type") == "job.state" and frame["job"]["id"] == job_id and frame["job"]["state"] in FINAL:
            self.final = frame["job"]
            self.chunks_before_final = len(self.chunks)


async def follow(
    cookie: bytes, job_id: int, follower: Follower, *, stop_after_chunks: int | None = None, timeout=JOB_TIMEOUT
) -> None:
    """Follow ``job_id`` from what ``follower`` has until the job ends (or ``stop_after_chunks`` more arrived)."""
    communicator = await open_socket(cookie)
    await communicator.send_json_to({"action": "follow", "job": job_id, "since": follower.last})
    start = len(follower.chunks)
    deadline = time.monotonic() + timeout
    try:
        while follower.final is None and time.monotonic() < deadline:
            if stop_after_chunks is not None and len(follower.chunks) - start >= stop_after_chunks:
                return
            if await communicator.receive_nothing(timeout=0.5, interval=0.01):
                continue
            follower.take(await communicator.receive_json_from(timeout=5), job_id)
    finally:
        await communicator.disconnect()
    assert follower.final is not None, f"job {job_id} did not end within {timeout}s"


def assert_exactly_once(follower: Follower, job_id: int) -> str:
    """Every stored chunk arrived once, in order; return the text."""
    stored = list(JobOutput.objects.filter(job_id=job_id).order_by("seq").values_list("seq", "data"))
    assert [c["seq"] for c in follower.chunks] == [seq for seq, _ in stored]
    assert [c["seq"] for c in follower.chunks] == list(range(1, len(stored) + 1))
    received = "".join(c["data"] for c in follower.chunks)
    assert received == "".join(data for _, data in stored)
    return received


def start_job(kind: str, design: Design, user=None, **options: Any) -> Job:
    with change_context(source="api", user=user):
        return job_create(kind=kind, design=design, options=options)


def wait_state(job_id: int, states: set[str], timeout: float = JOB_TIMEOUT) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.state in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not {states} within {timeout}s: {Job.objects.get(pk=job_id).state}")


def test_lab_up_check_and_down_from_the_api_are_jobs_with_host_progress_and_a_live_log(design, make_user, client):
    operator = make_user("lab-operator", "operator")
    client.force_login(operator)
    cookie = session_cookie(operator)

    up = client.post("/api/labs/up/", {"design": design.pk}, content_type="application/json")
    assert up.status_code == 202 and up.json()["kind"] == "lab_up"
    follower = Follower()
    async_to_sync(follow)(cookie, up.json()["id"], follower)
    assert follower.final is not None and follower.final["state"] == "succeeded", follower.final
    text = assert_exactly_once(follower, up.json()["id"])
    hosts = set(Host.objects.filter(design=design).values_list("name", flat=True))
    assert hosts <= set(follower.steps)
    for host in hosts:
        step = follower.steps[host]
        assert step["state"] == "succeeded" and step["done"] == step["total"] > 0, step
    assert {c["host"] for c in follower.chunks} >= hosts  # each host's own script output, tagged with the host
    assert f"lab {NAME} up in" in text
    assert follower.chunks_before_final == len(follower.chunks)  # the log is complete before the job's end

    lab_pk = client.get("/api/labs/").json()["results"][0]["id"]
    check = client.post(f"/api/labs/{lab_pk}/check/", {}, content_type="application/json")
    assert check.status_code == 202
    job = wait_state(check.json()["id"], FINAL)
    assert job.state == "succeeded" and job.result["total"] > 0 and job.result["mismatched"] == 0, job.message
    assert job.requested_by_name == "lab-operator" and job.source == "api"

    # A second operation while one runs is refused, saying who holds the design.
    held = client.post(f"/api/labs/{lab_pk}/check/", {}, content_type="application/json")
    second = client.post(f"/api/labs/{lab_pk}/down/")
    assert held.status_code == 202
    assert second.status_code == 409 and "lab-operator" in second.json()["detail"]
    wait_state(held.json()["id"], FINAL)

    # The design changes: a check says the lab is out of date instead of reporting false mismatches.
    with change_context(source="api", user=operator):
        changed = Host.objects.get(design=design, name="jailhost-b")
        changed.default_router = "192.168.0.2"
        changed.save()
    stale = wait_state(client.post(f"/api/labs/{lab_pk}/check/").json()["id"], FINAL)
    assert stale.state == "failed" and stale.result == {"stale": True}
    assert "changed since its lab was brought up" in stale.message
    assert client.get(f"/api/labs/{lab_pk}/").json()["live"]["design_changed"] is True

    down = wait_state(client.post(f"/api/labs/{lab_pk}/down/").json()["id"], FINAL)
    assert down.state == "succeeded"
    assert leftovers(NAME) == {"namespaces": [], "processes": []}


LINES = 30_000
# Prints LINES numbered lines, in bursts with pauses (about 3 s in all), so a client can reconnect mid-stream.
BURSTS = 'i=0; while [ $i -lt 60 ]; do i=$((i+1)); seq -f "line-$i-%g" 1 500; sleep 0.05; done'


def expected_burst_text() -> str:
    return "".join(f"line-{b}-{n}\n" for b in range(1, 61) for n in range(1, 501))


def test_bytes_received_equal_the_stored_output_also_across_a_reconnect(design, make_user):
    viewer = make_user("lab-watcher", "viewer")
    cookie = session_cookie(viewer)
    assert wait_state(start_job(JobKind.LAB_UP, design).pk, FINAL).state == "succeeded"

    job = start_job(JobKind.LAB_EXEC, design, host="jailhost-a", argv=["sh", "-c", BURSTS])
    follower = Follower()
    # Take a few batches, drop the socket, come back with since=<last seq>: every line exactly once.
    async_to_sync(follow)(cookie, job.pk, follower, stop_after_chunks=3)
    assert follower.final is None, "the stream ended before the reconnect: make it longer"
    async_to_sync(follow)(cookie, job.pk, follower)
    assert follower.final is not None and follower.final["state"] == "succeeded", follower.final
    received = assert_exactly_once(follower, job.pk)
    host_text = "".join(c["data"] for c in follower.chunks if c["host"] == "jailhost-a" and c["stream"] == "stdout")
    assert host_text == expected_burst_text()
    assert len(received.encode()) >= len(expected_burst_text().encode())


def processes_in_lab(design_name: str, program: str) -> list[int]:
    """Pids of processes running ``program`` in the lab's namespaces (found by argv[0], not by their shells)."""
    inodes = {i for i in (netns.netns_inode(n) for n in netns.list_netns(f"{lab_id(design_name)}-")) if i}
    found = []
    for pid in netns.pids_in_netns(inodes):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].decode() == program:
            found.append(pid)
    return found


def test_cancelling_a_running_lab_job_stops_its_processes_on_the_host(design, make_user, client):
    operator = make_user("lab-canceller", "operator")
    client.force_login(operator)
    assert wait_state(start_job(JobKind.LAB_UP, design).pk, FINAL).state == "succeeded"
    job = start_job(JobKind.LAB_EXEC, design, host="jailhost-b", argv=["sh", "-c", "sleep 301 & sleep 302; wait"])
    wait_state(job.pk, {"running"})
    deadline = time.monotonic() + 10
    while not processes_in_lab(NAME, "sleep") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(processes_in_lab(NAME, "sleep")) == 2  # both children, one of them in the background

    assert client.post(f"/api/jobs/{job.pk}/cancel/").status_code == 200
    ended = wait_state(job.pk, FINAL, timeout=15)
    assert ended.state == "cancelled" and ended.message == "cancelled by lab-canceller"
    assert processes_in_lab(NAME, "sleep") == []
    # The design is free again.
    down = wait_state(client.post(f"/api/labs/{design.lab.pk}/down/").json()["id"], FINAL)
    assert down.state == "succeeded" and leftovers(NAME) == {"namespaces": [], "processes": []}


def test_a_job_of_a_killed_worker_is_interrupted_and_its_processes_stopped_within_30_s_unwatched(
    design, settings, redis_url, tmp_path, celery_worker
):
    """kill -9 of the worker running a command on a lab host: with nobody reading the jobs API (the periodic reaper
    of the other worker finds it), the job is interrupted and the command's session on the host is stopped (by a
    worker of the host-work queue) within 30 s; the next job on the design succeeds."""
    assert wait_state(start_job(JobKind.LAB_UP, design).pk, FINAL).state == "succeeded"
    queue = f"{celery_worker.queue}-doomed"
    doomed = start_worker(
        redis_url=redis_url, queues=[queue], log_path=tmp_path / "doomed.log", extra_env={"JAILNET_HOSTS_QUEUE": queue}
    )
    try:
        settings.JAILNET_HOSTS_QUEUE = queue
        job = start_job(JobKind.LAB_EXEC, design, host="gateway", argv=["sh", "-c", "sleep 303 & sleep 304; wait"])
        wait_state(job.pk, {"running"})
        deadline = time.monotonic() + 10
        while len(processes_in_lab(NAME, "sleep")) < 2 or not Job.objects.get(pk=job.pk).remote_sessions:
            assert time.monotonic() < deadline, "the command did not start, or its session was not recorded"
            time.sleep(0.1)
        os.kill(doomed.pid, signal.SIGKILL)
        killed_at = time.monotonic()
    finally:
        doomed.stop()
    settings.JAILNET_HOSTS_QUEUE = celery_worker.hosts_queue
    # Only the database is read (the jobs API would reap too): the worker still running reaps on its own.
    interrupted_after = stopped_after = None
    while time.monotonic() - killed_at < 30 and stopped_after is None:
        if interrupted_after is None and Job.objects.get(pk=job.pk).state == "interrupted":
            interrupted_after = time.monotonic() - killed_at
        if interrupted_after is not None and not processes_in_lab(NAME, "sleep"):
            stopped_after = time.monotonic() - killed_at
        time.sleep(0.2)
    job.refresh_from_db()
    assert interrupted_after is not None, job.state
    assert stopped_after is not None, processes_in_lab(NAME, "sleep")
    print(f"\ninterrupted {interrupted_after:.1f} s and its processes stopped {stopped_after:.1f} s after kill -9")
    deadline = time.monotonic() + 10
    while "leftovers" not in job.result and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.result["leftovers"] == [{"host": "gateway", "session": job.result["leftovers"][0]["session"],
                                       "outcome": "stopped"}]  # fmt: skip
    assert job.remote_sessions == [] and "was stopped: gateway (stopped)" in job.message
    # A new job on the design runs.
    down = wait_state(start_job(JobKind.LAB_DOWN, design).pk, FINAL)
    assert down.state == "succeeded"
    assert leftovers(NAME) == {"namespaces": [], "processes": []}


def test_a_redis_restart_mid_stream_loses_and_repeats_no_line(design, settings, tmp_path, make_user, celery_worker):
    """Its own Redis and worker: the server is stopped and started again on its port while a job streams."""
    cookie = session_cookie(make_user("lab-restart", "viewer"))
    server = start_embedded_redis()
    port = server.port
    queue = f"{celery_worker.queue}-restart"
    previous = _point_app_at(celery_app, broker_url=server.url, result_backend=server.url)
    settings.REDIS_URL = server.url
    settings.CHANNEL_LAYERS = channel_layers_for(server.url)
    settings.JAILNET_HOSTS_QUEUE = queue
    channel_layers.backends.clear()
    worker = start_worker(
        redis_url=server.url,
        queues=[queue],
        log_path=tmp_path / "restart.log",
        pool="threads",
        concurrency=2,
        extra_env={"JAILNET_HOSTS_QUEUE": queue},
    )
    try:
        assert wait_state(start_job(JobKind.LAB_UP, design).pk, FINAL).state == "succeeded"
        job = start_job(JobKind.LAB_EXEC, design, host="jailhost-a", argv=["sh", "-c", BURSTS])
        follower = Follower()
        async_to_sync(follow)(cookie, job.pk, follower, stop_after_chunks=2)
        server.stop()  # mid-stream: the worker keeps storing, nobody can publish or subscribe
        time.sleep(1.0)
        server = start_embedded_redis(port=port, password=server.password)
        # The client comes back (as the browser does) and asks for what follows its last chunk.
        for _attempt in range(20):
            try:
                async_to_sync(follow)(cookie, job.pk, follower)
                break
            except Exception as exc:  # the socket (or the layer under it) broke while Redis was away
                if follower.final is not None:
                    break
                follower.reconnects += 1
                last_error = exc
                time.sleep(0.5)
        else:
            raise AssertionError(f"could not follow the job again: {last_error}")
        assert follower.final is not None and follower.final["state"] == "succeeded", follower.final
        assert_exactly_once(follower, job.pk)
        text = "".join(c["data"] for c in follower.chunks if c["host"] == "jailhost-a" and c["stream"] == "stdout")
        assert text == expected_burst_text()
    finally:
        worker.stop()
        server.stop()
        _point_app_at(celery_app, **previous)
        channel_layers.backends.clear()
