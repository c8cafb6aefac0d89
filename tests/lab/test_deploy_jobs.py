"""A deploy is a job: S10 deployed to its lab by real Celery workers on a real Redis, per-host steps and the
pipeline's lines in the job's log; a worker killed (SIGKILL) mid-deploy with two workers on the host-work queue
leaves the deploy ``interrupted`` and every host on its old or its new configuration, and a retry of the failed
hosts then deploys them; a deploy cancelled before it starts touches no host; a cancel during the run stops the
hosts whose apply has not started."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from core.audit import change_context
from executors.deploy.models import Deployment, DeploymentHost
from executors.deploy.services import deployment_create, deployment_run
from executors.jobs.services import JobConflict, job_create
from executors.lab.lifecycle import Lab
from executors.lab.services import lab_state_dir
from executors.models import Job, JobKind, JobOutput, JobStep
from project.celery import app as celery_app
from tests.executors.conftest import (  # noqa: F401 - fixtures used below
    _point_app_at,
    celery_worker,
    jobs_on_worker,
    live_events,
    redis_url,
    start_worker,
)
from topology.selectors import design_snapshot

from .deploying import HOSTS, approved, deploy_people, s10_lab
from .support import needs_lab, unique_name

pytestmark = [needs_lab, pytest.mark.django_db(transaction=True)]
FINAL = {"succeeded", "failed", "cancelled", "interrupted"}


@pytest.fixture
def people(make_user):  # type: ignore[no-untyped-def]
    return deploy_people(make_user)


@pytest.fixture
def lab_design(people):  # type: ignore[no-untyped-def]
    with s10_lab("lab-deploy-job") as (design, _):
        yield design


def _operator(people) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(people["operator"])
    return client


def _wait(client: APIClient, deployment_id: int, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:  # bounded: three lab hosts deploy in seconds
        body = client.get(f"/api/deployments/{deployment_id}/").json()
        if body["finished_at"]:
            return body
        time.sleep(0.2)
    raise AssertionError(f"deployment {deployment_id} did not finish in {timeout} s: {body}")


def _wait_job(client: APIClient, job_id: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}/").json()
        if job["state"] in FINAL:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end in {timeout} s: {job}")


def _roots(design) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    return {h: lab_state_dir(design.name) / "hosts" / h / "jailnet" for h in HOSTS}


def _current(design) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The bundle digest each host has committed ("none": nothing deployed yet)."""
    return {h: (r / "current").read_text().strip() if (r / "current").exists() else "none"
            for h, r in _roots(design).items()}  # fmt: skip


def _managed_files(design) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Per host: sha256 of each managed file (the lab bundle's files) as it is on the host now."""
    lab = Lab(design_snapshot(design=design), lab_state_dir(design.name))
    return {
        h.name: {
            f.path: hashlib.sha256(Path(f.path).read_bytes()).hexdigest() if Path(f.path).exists() else "absent"
            for f in h.files
        }
        for h in lab.plan.hosts
    }


def test_a_deploy_is_a_job_with_per_host_steps_and_the_live_log(lab_design, people, jobs_on_worker):  # noqa: F811
    client = _operator(people)
    cr = approved(lab_design, people, "first")
    created = client.post("/api/deployments/", {"change_request": cr.pk, "target": "lab", "confirm_seconds": 20},
                          format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    job_id = created.json()["job"]
    # enqueued on commit: a fast worker may already have started it when the answer is written
    assert job_id and created.json()["state"] in ("queued", "running")
    # One operation per design: while the deploy holds the design, a lab check is refused with who holds it.
    with pytest.raises(JobConflict, match=f"job {job_id} \\(deploy"), change_context(source="api"):
        job_create(kind=JobKind.LAB_CHECK, design=lab_design)
    body = _wait(client, created.json()["id"])
    assert body["state"] == "deployed", body
    job = _wait_job(client, job_id)
    assert job["kind"] == "deploy" and job["state"] == "succeeded" and job["change_request"] == cr.pk, job
    assert job["requested_by_name"] == "operator"
    steps = {s["name"]: s for s in job["steps"]}
    assert set(HOSTS) <= set(steps) and steps["verify"]["state"] == "succeeded"
    for host in HOSTS:
        assert steps[host]["state"] == "succeeded" and steps[host]["message"] == "deployed", steps[host]
        assert steps[host]["done"] == steps[host]["total"] == 9
    log = list(JobOutput.objects.filter(job_id=job_id).order_by("seq").values_list("host", "data"))
    for host in HOSTS:
        text = "".join(data for h, data in log if h == host)
        for step in ("connect", "stage", "check", "backup", "arm", "apply", "confirm", "deployed"):
            assert step in text, (host, step, text)
    assert _current(lab_design) == {h: r["digest"] for h, r in zip(HOSTS, body["hosts"], strict=True)}
    cr.refresh_from_db()
    assert cr.state == "deployed"


def test_a_worker_killed_mid_deploy_leaves_it_interrupted_hosts_old_or_new_and_a_retry_deploys(
    lab_design,
    people,
    settings,
    redis_url,  # noqa: F811
    live_events,  # noqa: F811
    tmp_path,
):
    """Two worker processes on one host-work queue; the one running the deploy is killed with SIGKILL."""
    queue = f"{unique_name('jndeploy')}-hosts"
    previous = _point_app_at(celery_app, broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    workers = [
        start_worker(
            redis_url=redis_url,
            queues=[queue],
            log_path=tmp_path / f"worker-{n}.log",
            extra_env={"JAILNET_HOSTS_QUEUE": queue},
        )
        for n in (1, 2)
    ]
    settings.JAILNET_HOSTS_QUEUE = queue
    try:
        gateway_nft = next(p for p in _managed_files(lab_design)["gateway"] if p.endswith(".nft"))
        with open(gateway_nft, "a") as file:  # the host's file before the first deploy differs from the bundle's
            file.write("# edited by hand before the first deploy\n")
        old_files, old_current = _managed_files(lab_design), _current(lab_design)
        client = _operator(people)
        cr = approved(lab_design, people, "killed")
        created = client.post("/api/deployments/", {"change_request": cr.pk, "target": "lab", "confirm_seconds": 6},
                              format="json").json()  # fmt: skip
        job_id = created["job"]
        # Kill the worker running the deploy as soon as a host is past connecting (its bundle on the host).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = Job.objects.get(pk=job_id)
            if job.state == "running" and JobStep.objects.filter(job_id=job_id, done__gte=2).exists():
                break
            assert job.state in ("queued", "running"), job.message
            time.sleep(0.02)
        at_kill = dict(JobStep.objects.filter(job_id=job_id).values_list("name", "message"))
        victim = next(w for w in workers if job.worker.endswith(f":{w.pid}"))
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        victim.process.wait(10)
        body = _wait(client, created["id"], timeout=40)
        assert time.monotonic() - killed_at < 30, "the reaper took longer than 30 s"
        assert body["state"] == "interrupted", (body, at_kill)
        assert Job.objects.get(pk=job_id).state == "interrupted"
        cr.refresh_from_db()
        assert cr.state in ("failed", "partly_deployed"), cr.state
        interrupted = [h for h in body["hosts"] if h["outcome"] == "interrupted"]
        assert interrupted and all("dead-man timer" in h["reason"] for h in interrupted), body["hosts"]

        time.sleep(6 + 4)  # the hosts' dead-man timers (6 s) restore any unconfirmed apply
        new_digest = {h["host_name"]: h["digest"] for h in body["hosts"]}
        files_now, current_now = _managed_files(lab_design), _current(lab_design)
        rows = {r.host_name: r for r in DeploymentHost.objects.filter(deployment_id=created["id"])}
        new_files = {
            host: {f["path"]: hashlib.sha256(f["content"].encode()).hexdigest() for f in rows[host].bundle["files"]}
            for host in HOSTS
        }
        for host in HOSTS:
            old = (old_files[host], old_current[host])
            new = (new_files[host], new_digest[host])
            assert (files_now[host], current_now[host]) in (old, new), (host, at_kill, files_now[host], old, new)
        assert old_files["gateway"] != new_files["gateway"]  # the two sets differ: the check above means something

        retried = client.post(f"/api/deployments/{created['id']}/retry/")
        assert retried.status_code == 200, retried.json()
        assert retried.json()["job"] != job_id
        again = _wait(client, created["id"])
        assert again["state"] == "deployed", again
        assert {h["host_name"]: h["outcome"] in ("deployed", "unchanged") for h in again["hosts"]} == dict.fromkeys(
            HOSTS, True
        )
        assert _managed_files(lab_design) == new_files and _current(lab_design) == new_digest
        cr.refresh_from_db()
        assert cr.state == "deployed"
    finally:
        for worker in workers:
            worker.stop()
        _point_app_at(celery_app, **previous)


def test_a_deploy_cancelled_before_it_starts_touches_no_host_and_its_retry_deploys(
    lab_design,
    people,
    settings,
    jobs_on_worker,  # noqa: F811
):
    client = _operator(people)
    before = _current(lab_design)
    settings.JAILNET_HOSTS_QUEUE = unique_name("nobody-consumes")  # the job stays queued
    cr = approved(lab_design, people, "cancelled")
    created = client.post("/api/deployments/", {"change_request": cr.pk, "target": "lab"}, format="json").json()
    cancelled = client.post(f"/api/jobs/{created['job']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    body = client.get(f"/api/deployments/{created['id']}/").json()
    assert body["finished_at"] and body["state"] == "failed", body
    assert {h["outcome"] for h in body["hosts"]} == {"cancelled"}
    assert _current(lab_design) == before
    cr.refresh_from_db()
    assert cr.state == "failed"

    settings.JAILNET_HOSTS_QUEUE = jobs_on_worker.hosts_queue
    assert client.post(f"/api/deployments/{created['id']}/retry/").status_code == 200
    assert _wait(client, created["id"])["state"] == "deployed"
    cr.refresh_from_db()
    assert cr.state == "deployed"


def test_a_cancel_during_the_run_stops_the_hosts_whose_apply_has_not_started(
    lab_design,
    people,
    settings,
    jobs_on_worker,  # noqa: F811
):
    """Run in this process (the job's operation), cancelled as soon as the first host connects."""
    settings.JAILNET_HOSTS_QUEUE = unique_name("nobody-consumes")  # the job stays queued: this test runs it
    cr = approved(lab_design, people, "cancel mid-run")
    with change_context(source="api", user=people["operator"]):
        deployment = deployment_create(change_request=cr, user=people["operator"], target="lab")
    before = _current(lab_design)
    cancel = threading.Event()

    class CancelAtConnect:
        def step(self, host: str, step: str, detail: str = "") -> None:
            if step == "connect":
                cancel.set()

        def output(self, host: str, stream: str, line: str) -> None:
            pass

    done = deployment_run(deployment_id=deployment.pk, reporter=CancelAtConnect(), cancelled=cancel)
    assert done.message.startswith("cancelled"), done.message
    rows = {r.host_name: r for r in DeploymentHost.objects.filter(deployment=deployment)}
    stopped = [h for h, r in rows.items() if r.outcome == "cancelled"]
    assert stopped, {h: (r.outcome, r.reason) for h, r in rows.items()}
    now = _current(lab_design)
    for host, row in rows.items():
        if row.outcome == "cancelled":
            assert "nothing applied" in row.reason and now[host] == before[host], (host, row.reason)
        else:  # its apply had started: it ran to a truthful end
            assert row.outcome in ("deployed", "unchanged", "rolled_back"), (host, row.outcome)
    assert Deployment.objects.get(pk=deployment.pk).state in ("failed", "partly_deployed")
