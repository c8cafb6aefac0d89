"""Canary secrets in real use: credentials of registered hosts used by a real Celery worker against a real sshd
that echoes them back, and a subscribed websocket client; then every place they could end up is searched.

Two registered hosts on one namespaced sshd (tests/lab/sshd.py): one logs in with a canary private key (the key
the sshd accepts), one with a canary password (refused: the sshd takes no passwords). The sshd's forced command
for the key is a hostile login: it prints the password and a line of the private key on stdout and stderr and
exits 3. Then

* "test connection" of both hosts through the API (facts gathering fails with the host's output in its error);
* an inventory deployment of a design mapped to both hosts, run by a real Celery worker (log level DEBUG, so
  every line a host printed reaches its log);
* a websocket client subscribed to the design and to every job's state for the whole run;

and the canaries (the password, each line of the key and its body) are searched in every websocket frame, every
Redis key (Celery results, channel-layer messages), the rows of deployments, hosts, jobs and their output, the
audit history, the API's answers, this process's log records and the worker's log: 0 hits. That the canaries
did come back from the host is checked too (``[secret]`` in the jobs' output and the frames replaying it), so a
host that stopped echoing would fail the test rather than pass it vacuously.

Root only (network namespaces), under the lab lock:
``flock /tmp/jailnet-lab.lock .venv/bin/python -m pytest tests/security/test_canary_lab.py -q``
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import valkey
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as dj_settings
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from core.models import AuditEntry
from core.secret_scrub import MASK, forget_secrets
from executors.deploy.models import Deployment, DeploymentHost
from executors.models import Job, JobOutput, JobStep
from inventory.models import ManagedHost
from project.celery import app as celery_app
from project.embedded_redis import exit_with_parent
from tests.executors.conftest import (
    BASE_DIR,
    CeleryWorker,
    _point_app_at,
    _wait_until_ready,
    database_url,
)
from tests.lab.sshd import NamespacedSshd, start_namespaced_sshd, stop_namespaced_sshd
from tests.lab.support import needs_lab, unique_name
from topology.changes.services import change_request_create, change_request_review, change_request_submit
from topology.models import Host
from topology.services.designs import design_import_document

pytestmark = [needs_lab, pytest.mark.django_db(transaction=True)]

CANARY_PASSWORD = "canary-lab-pw-7f3a92c4e1"


def _design_document(name: str) -> str:
    return f"""format: jailnet-design/1
name: {name}
hosts:
- name: hkey
  interfaces:
  - name: em0
    address: 192.0.2.11/24
- name: hpw
  interfaces:
  - name: em0
    address: 192.0.2.12/24
"""


@pytest.fixture
def echoing_sshd(tmp_path: Path) -> Iterator[NamespacedSshd]:
    """A namespaced sshd whose only login (the client key) runs a command that echoes the canaries."""
    forget_secrets()  # this process must learn the secrets the way the app does, not from an earlier test
    server = start_namespaced_sshd(unique_name("jncanary"), tmp_path / "sshd")
    try:
        key_lines = [line for line in server.client_key.splitlines() if line and not line.startswith("-----")]
        script = server.state_dir / "echo-secrets.sh"
        script.write_text(
            "#!/bin/sh\n"
            "cat >/dev/null\n"  # read what the client sends (a script on stdin), then answer with the secrets
            f"printf 'motd: %s\\n' '{CANARY_PASSWORD}' '{key_lines[1]}'\n"
            f"printf 'error: password %s rejected\\n' '{CANARY_PASSWORD}' >&2\n"
            "exit 3\n"
        )
        script.chmod(0o755)
        public = (server.state_dir / "authorized_keys").read_text().strip()
        (server.state_dir / "authorized_keys").write_text(f'command="{script}" {public}\n')
        yield server
    finally:
        stop_namespaced_sshd(server)


@pytest.fixture
def netns_worker(
    echoing_sshd: NamespacedSshd,
    redis_url: str,
    tmp_path: Path,
    settings: Any,
) -> Iterator[CeleryWorker]:
    """A real Celery worker (DEBUG log) that opens management connections inside the sshd's namespace."""
    queue = f"jailnet-canary-{uuid.uuid4().hex[:12]}"
    settings.JAILNET_HOSTS_QUEUE = f"{queue}-hosts"  # jobs (a deployment is one) go to this worker
    previous = _point_app_at(
        celery_app, broker_url=redis_url, result_backend=redis_url, task_default_queue=queue, task_always_eager=False
    )
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "REDIS_URL": redis_url,
        "JAILNET_CELERY_QUEUE": queue,
        "JAILNET_HOSTS_QUEUE": f"{queue}-hosts",
        "DATABASE_URL": database_url(connection.settings_dict),
        "DJANGO_SECRET_KEY": dj_settings.SECRET_KEY,
        "JAILNET_CREDENTIAL_KEY": dj_settings.CREDENTIAL_ENCRYPTION_KEY,
        "JAILNET_SSH_MANAGEMENT_NETNS": echoing_sshd.netns,
        "JAILNET_LOG_LEVEL": "DEBUG",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "project", "worker", "--pool", "threads", "--concurrency", "2",
        "--queues", f"{queue},{queue}-hosts", "--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle",
        "--without-heartbeat", "--loglevel", "DEBUG",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=exit_with_parent,
        )  # fmt: skip
    worker = CeleryWorker(process=process, queue=queue, log_path=log_path, app=celery_app)
    try:
        _wait_until_ready(worker)
        yield worker
    finally:
        worker.stop()
        _point_app_at(celery_app, **previous)


def _canaries(server: NamespacedSshd) -> list[str]:
    lines = [line for line in server.client_key.splitlines() if line and not line.startswith("-----")]
    found = [CANARY_PASSWORD, "".join(lines), *lines]
    # Encoded forms a leak could take.
    found += [base64.b64encode(CANARY_PASSWORD.encode()).decode()[:20], CANARY_PASSWORD.encode().hex()]
    return found


def _hits(canaries: list[str], text: str) -> list[str]:
    return [c[:24] for c in canaries if c in text]


def _redis_text(redis: Any, key: bytes) -> str:
    """Everything a key holds, read by its type (DUMP may compress long strings)."""
    kind = redis.type(key).decode()
    if kind == "string":
        values: list[bytes] = [redis.get(key) or b""]
    elif kind == "list":
        values = redis.lrange(key, 0, -1)
    elif kind == "set":
        values = list(redis.smembers(key))
    elif kind == "zset":
        values = list(redis.zrange(key, 0, -1))
    elif kind == "hash":
        values = [b"%s %s" % pair for pair in redis.hgetall(key).items()]
    elif kind == "stream":
        values = [repr(entry).encode() for entry in redis.xrange(key)]
    else:
        values = []
    return b" ".join([key, *values]).decode(errors="replace")


def _test_connection(api: APIClient, host_id: int) -> dict:
    """Queue a test connection (a job on the worker), wait for it to end, return its result and the job."""
    answer = api.post(f"/api/managed-hosts/{host_id}/test-connection/")
    assert answer.status_code == 202, answer.content
    job = answer.json()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = api.get(f"/api/jobs/{job['id']}/").json()
        if job["state"] not in ("queued", "running"):
            assert "host_key_state" in job["result"], (job["state"], job["message"])  # a crash leaves no result
            return {"job": job, **job["result"]}
        time.sleep(0.2)
    raise AssertionError(f"the test connection did not end in 60 s: {job}")


def _wait_finished(api: APIClient, deployment_id: int) -> dict:
    deadline = time.monotonic() + 120
    body: dict = {}
    while time.monotonic() < deadline:
        body = api.get(f"/api/deployments/{deployment_id}/").json()
        if body.get("finished_at"):
            return body
        time.sleep(0.25)
    raise AssertionError(f"the deployment did not finish in 120 s: {body}")


def test_canary_credentials_used_by_a_worker_against_an_echoing_host_leak_nowhere(
    echoing_sshd,
    netns_worker,
    live_events,
    redis_url,
    make_user,
    settings,
    caplog,
):
    caplog.set_level(logging.DEBUG)
    settings.SSH_MANAGEMENT_NETNS = echoing_sshd.netns
    canaries = _canaries(echoing_sshd)
    admin = make_user("canary-operator", "operator", "designer", "approver")
    author, approver = make_user("canary-author", "designer"), make_user("canary-approver", "approver")
    api = APIClient()
    api.force_authenticate(admin)

    # The credentials, through the API as an operator would store them.
    key_cred = api.post("/api/credentials/", {"name": "canary-lab-key", "kind": "private-key", "username": "root",
                                               "secret": echoing_sshd.client_key}, format="json")  # fmt: skip
    pw_cred = api.post("/api/credentials/", {"name": "canary-lab-pw", "kind": "password", "username": "root",
                                              "secret": CANARY_PASSWORD}, format="json")  # fmt: skip
    assert key_cred.status_code == 201 and pw_cred.status_code == 201, (key_cred.content, pw_cred.content)
    hosts = {}
    for name, credential in (("canary-hkey", key_cred), ("canary-hpw", pw_cred)):
        created = api.post("/api/managed-hosts/", {"name": name, "management_address": "127.0.0.1",
                                                   "credential": credential.json()["id"]}, format="json")  # fmt: skip
        assert created.status_code == 201, created.content
        hosts[name] = created.json()["id"]

    design_name = unique_name("canary-lab")
    design, _ = design_import_document(document_text=_design_document(design_name))
    client = Client()
    client.force_login(admin)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    answers: list[str] = []
    job_ids: list[int] = []

    def scenario() -> dict:
        # First contact: key read and pinned (no credential sent), then a login whose facts script the host
        # answers with the secrets.
        for host_id in hosts.values():
            scanned = _test_connection(api, host_id)
            pinned = api.post(f"/api/managed-hosts/{host_id}/pin-key/",
                              {"fingerprint": scanned["offered_fingerprint"]}, format="json")  # fmt: skip
            assert pinned.status_code == 200, pinned.content
            login = _test_connection(api, host_id)
            answers.append(str(login))
            job_ids.extend([scanned["job"]["id"], login["job"]["id"]])
        Host.objects.filter(design=design, name="hkey").update(managed_host_id=hosts["canary-hkey"])
        Host.objects.filter(design=design, name="hpw").update(managed_host_id=hosts["canary-hpw"])
        cr = change_request_create(design=design, user=author, title="canary deploy")
        cr = change_request_submit(change_request=cr, user=author)
        cr = change_request_review(change_request=cr, user=approver, decision="approve")
        started = api.post("/api/deployments/", {"change_request": cr.pk, "target": "inventory",
                                                 "confirm_seconds": 5}, format="json")  # fmt: skip
        assert started.status_code == 201, started.content
        body = _wait_finished(api, started.json()["id"])
        answers.append(str(body))
        return body

    async def run() -> tuple[list[str], dict]:
        from project.asgi import application

        communicator = WebsocketCommunicator(
            application, "/ws/events/",
            headers=[(b"host", b"testserver"), (b"origin", b"http://testserver"), (b"cookie", cookie)],
        )  # fmt: skip
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        frames = [await communicator.receive_from(timeout=5)]
        await communicator.send_json_to({"action": "watch", "design": design.pk})
        await communicator.send_json_to({"action": "watch_jobs"})
        body = await sync_to_async(scenario)()
        while not await communicator.receive_nothing(timeout=1.5):
            frames.append(await communicator.receive_from(timeout=5))
        for job_id in [*job_ids, *([body["job"]] if body.get("job") else [])]:
            # Each job's stored output (test connections, the deployment), as a follower replays it.
            await communicator.send_json_to({"action": "follow", "job": job_id, "since": 0})
            while not await communicator.receive_nothing(timeout=1.5):
                frames.append(await communicator.receive_from(timeout=5))
        await communicator.disconnect()
        return frames, body

    frames, body = async_to_sync(run)()

    # The run did what it should: the host echoed the secrets, and they came back masked.
    outcomes = {h["host_name"]: h["outcome"] for h in body["hosts"]}
    assert outcomes == {"hkey": "failed", "hpw": "unreachable"}, body
    key_host = ManagedHost.objects.get(pk=hosts["canary-hkey"])
    assert "exited 3" in key_host.last_contact_error, key_host.last_contact_error
    contact_output = "".join(JobOutput.objects.filter(job_id__in=job_ids).values_list("data", flat=True))
    assert f"motd: {MASK}" in contact_output, contact_output[-2000:]  # the host's echo, masked in the job log
    worker_log = netns_worker.log()
    assert any("change_request." in f for f in frames), frames  # the socket did receive the run's events
    if body.get("job"):
        assert any('"job.output"' in f and MASK in f for f in frames), frames  # the host's echo, masked
        assert MASK in "".join(JobOutput.objects.filter(job_id=body["job"]).values_list("data", flat=True))

    leaks: dict[str, list[str]] = {}

    def check(where: str, text: str) -> None:
        if found := _hits(canaries, text):
            leaks[where] = found

    for n, frame in enumerate(frames):
        check(f"websocket frame {n}", frame)
    for n, answer in enumerate(answers):
        check(f"answer {n}", answer)
    for path in ("/api/managed-hosts/", "/api/deployments/", "/api/credentials/", "/api/jobs/",
                 "/api/audit-entries/export/?as=json"):  # fmt: skip
        check(f"GET {path}", api.get(path).content.decode())
    for model in (ManagedHost, Deployment, DeploymentHost, Job, JobOutput, JobStep, AuditEntry):
        for row in model.objects.values():
            check(f"{model.__name__} {row.get('id')}", str(row))
    check("worker log", worker_log)
    for record in caplog.records:
        check(f"log {record.name}", record.getMessage() + str(record.exc_text or ""))
    redis = valkey.Valkey.from_url(redis_url, socket_timeout=2)
    keys = 0
    for key in redis.scan_iter(count=500):
        keys += 1
        check(f"redis {key[:60]!r}", _redis_text(redis, key))
    assert keys > 0  # Celery's results at least
    assert not leaks, leaks
