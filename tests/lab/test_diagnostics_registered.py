"""Diagnostics on a registered host, through the pinned SSH transport (a real sshd in a namespace of its own posing
as the host a design host is mapped to; the job run in this process): a capture streams and its pcap is kept;
Stop ends it without setsid (the registered-host path) and leaves no tcpdump; an unpinned host is refused."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from executors.jobs.runner import job_run
from executors.lab import netns
from executors.models import DiagnosticRun, Job, JobOutput
from inventory.models import Credential, HostKeyState, ManagedHost
from topology.models import Host
from topology.services.designs import design_import_document

from .sshd import NamespacedSshd, start_namespaced_sshd, stop_namespaced_sshd
from .support import needs_lab, unique_name

pytestmark = [needs_lab, pytest.mark.django_db(transaction=True)]

S10 = (Path(__file__).parents[2] / "examples" / "s10-vxlan-multicast.yaml").read_text()
PACKET = re.compile(r"^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ", re.M)


@pytest.fixture
def sshd(tmp_path, settings) -> Iterator[NamespacedSshd]:  # type: ignore[no-untyped-def]
    server = start_namespaced_sshd(unique_name("jndiag"), tmp_path / "sshd")
    settings.SSH_MANAGEMENT_NETNS = server.netns
    try:
        yield server
    finally:
        stop_namespaced_sshd(server)


@pytest.fixture
def design(sshd: NamespacedSshd, monkeypatch) -> Any:  # type: ignore[no-untyped-def]
    """S10 with jailhost-b mapped to the sshd (key pinned, its facts: the namespace's lo); jobs are run here."""
    monkeypatch.setattr("executors.jobs.services.hosts_queue", lambda: "jailnet-test-nobody-consumes-this")
    design, _ = design_import_document(document_text=re.sub(r"^name: .*$", "name: diag-reg", S10, flags=re.M))
    credential = Credential(name="diag-key", username="root", kind="private-key")
    credential.set_secret(sshd.client_key)
    credential.save()
    managed = ManagedHost.objects.create(
        name="jh-b", management_address="127.0.0.1", credential=credential, host_key=sshd.public_host_key()
    )
    ManagedHost.objects.filter(pk=managed.pk).update(host_key_state=HostKeyState.PINNED, facts={"interfaces": ["lo"]})
    Host.objects.filter(design=design, name="jailhost-b").update(managed_host=managed)
    return design


@pytest.fixture
def viewer(make_user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(make_user("reg-viewer", "viewer"))
    return client


def tcpdumps(namespace: str) -> list[str]:
    pids = netns.run(["ip", "netns", "pids", namespace], check=False).stdout.split()
    return [
        p for p in pids if Path(f"/proc/{p}/comm").exists() and Path(f"/proc/{p}/comm").read_text().strip() == "tcpdump"
    ]


def run_in_thread(job_id: int) -> threading.Thread:
    thread = threading.Thread(target=lambda: job_run(job_id=job_id), daemon=True)
    thread.start()
    return thread


def test_a_capture_on_a_registered_host_streams_keeps_its_pcap_and_stop_leaves_nothing(design, viewer, sshd, tmp_path):
    body = {"design": design.pk, "host": "jailhost-b", "diagnostic": "capture",
            "parameters": {"interface": "lo", "filter": "icmp", "packets": 4, "format": "pcap"}}  # fmt: skip
    response = viewer.post("/api/diagnostic-runs/", body, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["target"] == "freebsd"  # the registered host's commands, over the pinned transport
    job_id = response.json()["id"]
    worker = run_in_thread(job_id)
    deadline = time.monotonic() + 20
    while not tcpdumps(sshd.netns):
        assert time.monotonic() < deadline, "tcpdump never started"
        time.sleep(0.1)
    subprocess.run(["ip", "netns", "exec", sshd.netns, "ping", "-c", "3", "-i", "0.2", "127.0.0.1"], check=True,
                   capture_output=True)  # fmt: skip
    worker.join(timeout=30)
    job = Job.objects.get(pk=job_id)
    assert job.state == "succeeded", job.message
    text = "".join(JobOutput.objects.filter(job_id=job_id, stream="stdout").values_list("data", flat=True))
    assert len(PACKET.findall(text)) == 4
    run = DiagnosticRun.objects.get(pk=job_id)
    assert run.pcap_packets == 4
    path = tmp_path / "lo.pcap"
    assert run.pcap is not None
    path.write_bytes(bytes(run.pcap))
    read = subprocess.run(["tcpdump", "-n", "-r", str(path)], capture_output=True, text=True, check=True)
    assert len(PACKET.findall(read.stdout)) == 4 and "ICMP echo" in read.stdout
    assert tcpdumps(sshd.netns) == [] and not Path(job.options["pcap_path"]).exists()

    # Stop: no setsid on a registered host; the command's group and the command itself are signalled.
    body["parameters"] = {"interface": "lo", "filter": "udp and port 9", "seconds": 120}
    long = viewer.post("/api/diagnostic-runs/", body, format="json").json()
    worker = run_in_thread(long["id"])
    deadline = time.monotonic() + 20
    while not tcpdumps(sshd.netns):
        assert time.monotonic() < deadline, "tcpdump never started"
        time.sleep(0.1)
    assert viewer.post(f"/api/diagnostic-runs/{long['id']}/stop/").status_code == 200
    worker.join(timeout=30)
    assert Job.objects.get(pk=long["id"]).state == "cancelled"
    assert tcpdumps(sshd.netns) == []


def test_a_registered_host_whose_key_is_not_pinned_is_refused(design, viewer):
    ManagedHost.objects.update(host_key_state=HostKeyState.OFFERED)
    body = {"design": design.pk, "host": "jailhost-b", "diagnostic": "arp"}
    response = viewer.post("/api/diagnostic-runs/", body, format="json")
    assert response.status_code == 409 and "not pinned" in response.json()["detail"]
