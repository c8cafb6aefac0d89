"""Diagnostics as jobs on a real lab (the article's S10 on namespaces, a real Celery worker as root, the API):
a capture streams real VXLAN packets into the job's log while pings cross the segment, stops at its packet limit,
keeps its parsed packets and a pcap file that ``tcpdump -r`` reads back; Stop ends a capture and leaves no
tcpdump (nor its file) on the host; "Check drift" finds nothing as brought up, then exactly the bridge member
removed by hand; an injection attempt is refused before anything runs."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from executors.lab import netns
from executors.lab.hosts import Lab
from executors.lab.lifecycle import leftovers, run_coroutine
from executors.lab.services import lab_state_dir
from executors.models import Job, JobOutput
from topology.models import VxlanSegment
from topology.selectors import design_snapshot
from topology.services.designs import design_import_document

from .support import needs_lab, unique_name

pytestmark = [needs_lab, pytest.mark.django_db(transaction=True)]

NAME = unique_name("lab-diagjobs")
S10 = (Path(__file__).parents[2] / "examples" / "s10-vxlan-multicast.yaml").read_text()
DOC = re.sub(r"^name: .*$", f"name: {NAME}", S10, count=1, flags=re.M)
FINAL = {"succeeded", "failed", "cancelled", "interrupted"}
PACKET = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ")  # the first line of a packet tcpdump prints


@pytest.fixture
def design(jobs_on_worker) -> Any:  # type: ignore[no-untyped-def]
    design, _ = design_import_document(document_text=DOC)
    call_command("lab", "up", NAME)
    yield design
    call_command("lab", "down", NAME)
    assert leftovers(NAME) == {"namespaces": [], "processes": []}


@pytest.fixture
def viewer(make_user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(make_user("diag-viewer", "viewer"))
    return client


def wait_state(job_id: int, states: set[str], timeout: float = 60.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.state in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not {states} within {timeout}s: {Job.objects.get(pk=job_id).state}")


def output(job_id: int) -> str:
    return "".join(JobOutput.objects.filter(job_id=job_id, stream="stdout").values_list("data", flat=True))


def tcpdumps(lab: Lab, host: str) -> list[int]:
    """tcpdump processes in ``host``'s network namespace."""
    pids = netns.run(["ip", "netns", "pids", lab.network.host_netns[host]], check=False).stdout.split()
    found = []
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "tcpdump":
                found.append(int(pid))
        except OSError:
            continue
    return found


def ping(lab: Lab, source: str, address: str, count: int) -> None:
    async def go() -> None:
        async with lab.transport.connect(lab.target(source)) as session:
            await session.run(["ping", "-c", str(count), "-i", "0.2", "-W", "1", address], timeout=30)

    run_coroutine(go)


def start(client: APIClient, design: Any, diagnostic: str, host: str, **parameters: Any) -> dict[str, Any]:
    body = {"design": design.pk, "host": host, "diagnostic": diagnostic, "parameters": parameters}
    response = client.post("/api/diagnostic-runs/", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()


def test_a_capture_streams_vxlan_packets_stops_at_its_limit_and_downloads_as_a_pcap(design, viewer, tmp_path):
    lab = Lab(design_snapshot(design=design), lab_state_dir(NAME))
    refused = viewer.post(
        "/api/diagnostic-runs/",
        {"design": design.pk, "host": "jailhost-b", "diagnostic": "capture",
         "parameters": {"interface": "em0", "filter": "udp and port 4789 `reboot`"}},
        format="json",
    )  # fmt: skip
    assert refused.status_code == 400 and "filter" in refused.json()
    run = start(
        viewer, design, "capture", "jailhost-b",
        interface="em0", filter="udp and port 4789", packets=6, seconds=30, format="pcap",
    )  # fmt: skip
    wait_state(run["id"], {"running"} | FINAL)
    time.sleep(1.0)  # tcpdump attaches to em0
    ping(lab, "jailhost-a", "10.0.111.20", 10)
    job = wait_state(run["id"], FINAL)
    assert job.state == "succeeded", job.message
    # The packets arrived in the job's log as tcpdump printed them, and stopped at the packet limit.
    lines = [line for line in output(job.pk).splitlines() if PACKET.match(line)]
    assert len(lines) == 6 and all(".4789: VXLAN" in line for line in lines), output(job.pk)
    detail = viewer.get(f"/api/diagnostic-runs/{job.pk}/").json()
    packets = [r for r in detail["records"] if r["timestamp"]]
    assert len(packets) == 6 and 111 in {p["vni"] for p in packets}
    assert detail["pcap_packets"] == 6 and detail["exit_status"] == 0
    # The pcap file: valid, with the same packets.
    download = viewer.get(f"/api/diagnostic-runs/{job.pk}/pcap/")
    assert download.status_code == 200 and download["Content-Type"] == "application/vnd.tcpdump.pcap"
    path = tmp_path / "capture.pcap"
    path.write_bytes(b"".join(download.streaming_content) if download.streaming else download.content)
    read = subprocess.run(["tcpdump", "-n", "-r", str(path)], capture_output=True, text=True, check=True)
    assert [line for line in read.stdout.splitlines() if PACKET.match(line)] == lines
    assert tcpdumps(lab, "jailhost-b") == []
    assert job.options["pcap_path"].startswith("/tmp/jailnet-capture-") and not Path(job.options["pcap_path"]).exists()


def test_stop_ends_a_capture_and_leaves_no_tcpdump_nor_file_on_the_host(design, viewer):
    lab = Lab(design_snapshot(design=design), lab_state_dir(NAME))
    run = start(viewer, design, "capture", "jailhost-b", interface="em0", filter="udp and port 9", seconds=120,
                format="pcap")  # fmt: skip
    deadline = time.monotonic() + 30
    while not tcpdumps(lab, "jailhost-b"):
        assert time.monotonic() < deadline, "tcpdump never started"
        time.sleep(0.1)
    started = time.monotonic()
    assert viewer.post(f"/api/diagnostic-runs/{run['id']}/stop/").status_code == 200
    job = wait_state(run["id"], FINAL, timeout=20)
    assert job.state == "cancelled" and time.monotonic() - started < 5
    assert tcpdumps(lab, "jailhost-b") == []
    assert job.options["pcap_path"].startswith("/tmp/jailnet-capture-") and not Path(job.options["pcap_path"]).exists()
    # What it read so far is kept: an empty but valid pcap file.
    assert viewer.get(f"/api/diagnostic-runs/{job.pk}/").json()["pcap_packets"] == 0


def test_check_drift_finds_nothing_as_brought_up_then_exactly_the_member_removed_by_hand(design, viewer):
    lab = Lab(design_snapshot(design=design), lab_state_dir(NAME))

    def check() -> list[tuple[str, str, str, str]]:
        response = viewer.post("/api/diagnostic-runs/drift/", {"design": design.pk}, format="json")
        assert response.status_code == 202, response.content
        job = wait_state(response.json()["id"], FINAL)
        assert job.state == "succeeded", job.message
        detail = viewer.get(f"/api/diagnostic-runs/{job.pk}/").json()
        assert {v["kind"] for v in detail["parameters"]["compared"].values()} == {"lab"}
        findings = detail["findings"]
        return [(f["host"], f["code"], f["message"], f["object"]["path"]) for f in findings]

    assert check() == []

    async def remove_member() -> None:
        async with lab.transport.connect(lab.target("jailhost-b")) as session:
            await session.run(["ip", "link", "set", "epair0a", "nomaster"], check=True)

    run_coroutine(remove_member)
    assert check() == [
        (
            "jailhost-b",
            "member-missing",
            "switch111 member epair0a is missing",
            "jailhost-b/jails/vnetjail-b/nics/vnet0",
        )
    ]
    # The design edited after the lab was brought up: the lab is the earlier version, nothing to compare it with.
    VxlanSegment.objects.filter(design=design, vni=222).update(multicast_group="239.0.0.99")
    response = viewer.post("/api/diagnostic-runs/drift/", {"design": design.pk}, format="json")
    assert response.status_code == 409, response.content
    assert "built from an earlier version of the design" in response.json()["detail"]
    assert "bring it up again" in response.json()["detail"]
