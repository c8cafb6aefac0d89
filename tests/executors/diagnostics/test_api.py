"""The diagnostics API without hosts: what starts (202, a queued job with its checked argv), what is refused and
why (injection 400, viewer 403, no confirmation 400, host unreachable 409), how diagnostics live alongside the
design's other jobs, who may stop a run, and the audit entry of a mutating action."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from core.models import AuditEntry
from executors.diagnostics.pcap import NotPcap, capture_path, packets_within, whole_packets
from executors.models import DiagnosticRun, Job, JobKind, JobState, Lab, LabState
from topology.models import Design

pytestmark = pytest.mark.django_db(transaction=True)

S10 = (Path(__file__).parents[3] / "examples" / "s10-vxlan-multicast.yaml").read_text()
NOBODY = "jailnet-test-nobody-consumes-this"


@pytest.fixture(autouse=True)
def _queued_only(monkeypatch):
    """No worker here: jobs stay queued (what was asked for is what these tests look at)."""
    monkeypatch.setattr("executors.jobs.services.hosts_queue", lambda: NOBODY)


@pytest.fixture
def design() -> Design:
    from topology.services.designs import design_import_document

    document = re.sub(r"^name: .*$", "name: diag-api", S10, count=1, flags=re.M)
    design, _ = design_import_document(document_text=document)
    Lab.objects.create(design=design, lab_id="jnd", state=LabState.UP)
    return design


def start(client, design, diagnostic="capture", host="jailhost-b", **extra):
    body = {"design": design.pk, "host": host, "diagnostic": diagnostic, **extra}
    return client.post("/api/diagnostic-runs/", body, format="json")


def test_a_viewer_starts_a_capture_and_gets_the_bounded_argv_with_the_filter_as_one_element(design, client_for):
    response = start(
        client_for("viewer"), design, parameters={"interface": "em0", "filter": "udp and port 4789", "packets": 5}
    )
    assert response.status_code == 202, response.content
    run = response.json()
    assert run["state"] == "queued" and run["target"] == "lab" and run["requested_by_name"] == "viewer-user"
    assert run["argv"] == [
        "timeout", "-s", "INT", "30", "tcpdump", "-n", "-l", "-i", "em0", "-c", "5", "-s", "2048", "--",
        "udp and port 4789",
    ]  # fmt: skip
    job = Job.objects.get(pk=run["id"])
    assert job.kind == JobKind.DIAGNOSTIC and job.options["limits"]["packets"] == 5
    # As a pcap file too: lines printed while the packets are written to a file of its own on the host, and
    # -c lowered to what the byte limit holds.
    pcap = start(
        client_for("operator"), design,
        parameters={"interface": "em0", "format": "pcap", "bytes": 102400, "snaplen": 1000},
    ).json()  # fmt: skip
    path = Job.objects.get(pk=pcap["id"]).options["pcap_path"]
    assert pcap["argv"][4:13] == ["tcpdump", "-n", "-l", "--print", "-U", "-w", path, "-i", "em0"]
    assert pcap["argv"][13:15] == ["-c", str((102400 - 24) // 1016)]


@pytest.mark.parametrize(
    ("parameters", "field", "why"),
    [
        ({"interface": "em0", "filter": "udp; rm -rf /"}, "filter", "cannot read a pcap filter token"),
        ({"interface": "em0", "filter": "host $(id)"}, "filter", "cannot read a pcap filter token"),
        ({"interface": "em0", "filter": "not ! icmp"}, "filter", "instead of '!'"),
        ({"interface": "em0", "filter": "-w /etc/passwd"}, "filter", "must not start with '-'"),
        ({"interface": "em0\nreboot"}, "interface", "control characters"),
        ({"interface": "em0;reboot"}, "interface", "an interface name is"),
        ({"interface": "em9"}, "interface", "not an interface of this host"),
        ({"interface": "em0", "packets": 10**9}, "packets", "between 1 and 100000"),
        ({"interface": "em0", "seconds": "30s"}, "seconds", "whole number"),
        ({"interface": "em0", "output": "/tmp/x"}, "output", "no such parameter"),
    ],
)
def test_injection_attempts_are_refused_with_a_clear_400_and_nothing_is_queued(
    design, client_for, parameters, field, why
):
    response = start(client_for("viewer"), design, parameters=parameters)
    assert response.status_code == 400, response.content
    assert why in response.json()["detail"] and field in response.json()
    assert not Job.objects.exists() and not DiagnosticRun.objects.exists()


def test_a_jail_name_is_checked_too(design, client_for):
    viewer = client_for("viewer")
    response = start(viewer, design, "interfaces", jail="vnetjail-b'; reboot; '")
    assert response.status_code == 400 and "jail" in response.json()
    response = start(viewer, design, "interface", jail="vnetjail-b", parameters={"interface": "vnet0"})
    assert response.status_code == 202, response.content
    argv = response.json()["argv"]
    assert argv[0] == "nsenter" and argv[1].startswith("--net=/run/netns/") and argv[1].endswith("vnetjail-b")
    assert argv[2:] == ["ip", "-j", "-d", "addr", "show", "dev", "vnet0"]


def test_a_viewer_cannot_flush_and_an_operator_must_confirm_then_it_is_audited(design, client_for):
    assert start(client_for("viewer"), design, "arp-flush").status_code == 403
    operator = client_for("operator")
    unconfirmed = start(operator, design, "arp-flush")
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.json()
    response = start(operator, design, "arp-flush", confirm=True)
    assert response.status_code == 202, response.content
    entry = AuditEntry.objects.filter(object_type__model="job", object_id=response.json()["id"]).get()
    # Who ran what, where and when.
    assert entry.user_name == "operator-user" and entry.time is not None and entry.after is not None
    options = entry.after["options"]
    assert options["diagnostic"] == "arp-flush" and options["host"] == "jailhost-b"
    assert options["argv"] == ["ip", "-4", "neigh", "flush", "all"]


def test_diagnostics_neither_wait_for_nor_hold_the_design_but_a_flush_waits_for_a_deploy(design, client_for):
    viewer, operator = client_for("viewer"), client_for("operator")
    capture = start(viewer, design, parameters={"interface": "em0"})
    assert capture.status_code == 202
    # A capture running does not make the lab's operations answer 409 ...
    lab_up = operator.post("/api/labs/up/", {"design": design.pk}, format="json")
    assert lab_up.status_code == 202, lab_up.content
    # ... nor does the lab operation stop reading diagnostics or a drift check,
    assert start(viewer, design, "arp").status_code == 202
    assert viewer.post("/api/diagnostic-runs/drift/", {"design": design.pk}, format="json").status_code == 202
    # but a diagnostic that changes a host waits for it to end.
    flush = start(operator, design, "arp-flush", confirm=True)
    assert flush.status_code == 409 and f"job {lab_up.json()['id']}" in flush.json()["detail"]
    # A second exclusive job is still refused: the rule holds for what it was made for.
    assert operator.post(f"/api/labs/{Lab.objects.get().pk}/down/").status_code == 409


def test_a_host_neither_in_a_running_lab_nor_registered_cannot_be_diagnosed(design, client_for):
    Lab.objects.filter(design=design).update(state=LabState.DOWN)
    viewer = client_for("viewer")
    response = start(viewer, design, "arp")
    assert response.status_code == 409 and "not mapped to a registered host" in response.json()["detail"]
    unknown = start(viewer, design, "arp", host="nohost")
    assert unknown.status_code == 400 and "no host 'nohost'" in unknown.json()["detail"]


def test_whoever_started_a_run_and_operators_may_stop_it_another_viewer_not(design, client_for, make_user):
    from rest_framework.test import APIClient

    viewer = client_for("viewer")
    run = start(viewer, design, parameters={"interface": "em0"}).json()
    other = APIClient()
    other.force_authenticate(make_user("other-viewer", "viewer"))
    assert other.post(f"/api/diagnostic-runs/{run['id']}/stop/").status_code == 403
    stopped = viewer.post(f"/api/diagnostic-runs/{run['id']}/stop/")
    assert stopped.status_code == 200 and stopped.json()["state"] == JobState.CANCELLED
    assert viewer.post(f"/api/diagnostic-runs/{run['id']}/stop/").status_code == 409
    assert viewer.get(f"/api/diagnostic-runs/{run['id']}/pcap/").status_code == 404


def test_runs_are_listed_by_design_and_host_and_reopened_with_their_records(
    design, client_for, django_assert_max_num_queries
):
    viewer = client_for("viewer")
    for host in ("jailhost-a", "jailhost-b", "gateway"):
        assert start(viewer, design, "arp", host=host).status_code == 202
    with django_assert_max_num_queries(6):
        listed = viewer.get("/api/diagnostic-runs/", {"design_id": design.pk, "host": "jailhost-b"})
    assert [r["host"] for r in listed.json()["results"]] == ["jailhost-b"]
    run_id = listed.json()["results"][0]["id"]
    DiagnosticRun.objects.filter(pk=run_id).update(records=[{"ip": "10.0.0.1"}], records_total=1)
    detail = viewer.get(f"/api/diagnostic-runs/{run_id}/").json()
    assert detail["records"] == [{"ip": "10.0.0.1"}] and detail["title"] == "ARP table"
    catalogue = viewer.get("/api/diagnostic-runs/catalogue/").json()["diagnostics"]
    assert {"capture", "arp", "arp-flush", "vxlan-ftable"} <= {d["id"] for d in catalogue}


# --- pcap files (pure) ---------------------------------------------------------------------------------


def _pcap(*packets: bytes) -> bytes:
    data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 2048, 1)
    for packet in packets:
        data += struct.pack("<IIII", 1, 2, len(packet), len(packet)) + packet
    return data


def test_a_pcap_cut_anywhere_keeps_its_whole_packets_only():
    data = _pcap(b"a" * 60, b"b" * 70)
    assert whole_packets(data).packets == 2 and not whole_packets(data).truncated
    cut = whole_packets(data[:-5])
    assert cut.packets == 1 and cut.truncated and cut.data == data[: 24 + 16 + 60]
    assert whole_packets(data[:30]).packets == 0
    with pytest.raises(NotPcap):
        whole_packets(b"not a pcap file at all, really")


def test_the_byte_limit_bounds_the_packets_of_a_saved_capture():
    assert packets_within(10 * 1024 * 1024, 2048) == (10 * 1024 * 1024 - 24) // 2064
    assert packets_within(1024, 65535) == 1
    assert capture_path("0123456789abcdef") == "/tmp/jailnet-capture-0123456789abcdef.pcap"
    with pytest.raises(ValueError):
        capture_path("../../etc/passwd")
