"""The live plan as a job: an approver plans a submitted change request against the design's lab through the API;
a real Celery worker on real Redis plans each host (nothing changes there) and the job's result has the plans."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from executors.lab import netns
from executors.lab.hosts import Lab
from tests.executors.conftest import celery_worker, jobs_on_worker, live_events, redis_url  # noqa: F401 - fixtures
from topology.changes.services import change_request_create, change_request_submit
from topology.selectors import design_snapshot

from .deploying import HOSTS, s10_lab
from .support import needs_lab

pytestmark = [needs_lab, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def design_with_lab():  # type: ignore[no-untyped-def]
    with s10_lab("lab-plan-job") as lab:
        yield lab


def _state(design, state_dir: Path) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """The lab's links, IPv4 addresses and routes, and its managed configuration files."""
    lab = Lab(design_snapshot(design=design), state_dir)
    live = "".join(
        netns.run(["ip", "-n", ns, "-o", *what]).stdout
        for ns in lab.network.all_netns()
        for what in (["-4", "addr", "show"], ["link", "show"], ["route", "show"])
    )
    # not the counters, nor the carrier state a link settles into by itself after the lab starts
    live = "\n".join(
        re.sub(r" state \S+|NO-CARRIER,?|LOWER_UP,?", "", line.split(" link/")[0]).replace(",>", ">")
        for line in live.splitlines()
    )
    files = {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in state_dir.rglob("*")
        if p.is_file() and p.suffix in (".conf", ".nft", ".sh") and "jailnet" not in p.parts
    }
    return live, files


def test_an_approver_plans_a_request_against_the_lab_and_nothing_changes_there(
    design_with_lab,
    make_user,
    jobs_on_worker,  # noqa: F811
):
    design, state_dir = design_with_lab
    author, approver = make_user("author", "designer"), make_user("approver", "approver")
    cr = change_request_submit(
        change_request=change_request_create(design=design, user=author, title="plan me"), user=author
    )
    client = APIClient()
    client.force_authenticate(author)
    assert (
        client.post("/api/deploy-plans/", {"change_request": cr.pk, "target": "lab"}, format="json").status_code == 403
    )
    client.force_authenticate(approver)
    before = _state(design, state_dir)
    answer = client.post("/api/deploy-plans/", {"change_request": cr.pk, "target": "lab"}, format="json")
    assert answer.status_code == 202, answer.json()
    job_id = answer.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # bounded: three lab hosts are planned in seconds
        job = client.get(f"/api/jobs/{job_id}/").json()
        if job["finished_at"]:
            break
        time.sleep(0.25)
    assert job["state"] == "succeeded", (job, jobs_on_worker.log_path.read_text()[-3000:])
    assert job["change_request"] == cr.pk
    plans = {p["host"]: p for p in job["result"]["hosts"]}
    assert set(plans) == set(HOSTS)
    # the lab was brought up with this very design: a deploy would install the files and adopt what is there
    assert all(not p["error"] and p["management_interface"] == "mgmt0" for p in plans.values()), plans
    assert all(a.startswith("file ") for p in plans.values() for a in p["actions"].get("files", []))
    assert {s["name"]: s["state"] for s in job["steps"] if s["name"] in HOSTS} == dict.fromkeys(HOSTS, "succeeded")
    after = _state(design, state_dir)
    assert after[1] == before[1]
    changed = set(after[0].splitlines()) ^ set(before[0].splitlines())
    assert not changed, sorted(changed)
    listed = client.get(f"/api/deploy-plans/?change_request={cr.pk}").json()
    assert [j["id"] for j in listed] == [job_id]
