"""End-to-end: diagnostics from the diagram, on the ASGI server with a real Celery worker (as root) and S10's lab up.
A viewer right-clicks a VXLAN segment, picks the host, starts a capture: tcpdump's lines arrive in the terminal
view while pings cross the segment; Stop ends it; the pcap downloads and ``tcpdump -r`` reads the packets.
"Check drift" lists no findings on the lab as brought up."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from django.core.management import call_command

from executors.lab import lifecycle
from executors.lab.hosts import Lab
from executors.lab.lifecycle import run_coroutine
from executors.lab.services import lab_state_dir
from topology.models import Design, VxlanSegment
from topology.selectors import design_snapshot

from .conftest import in_thread, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
NAME = f"s10-diag-e2e-{os.getpid()}"
TIMEOUT_MS = 60_000
PACKET = re.compile(r"^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ", re.M)


def _why_no_lab() -> str | None:
    from tests.lab.support import NO_LAB

    return NO_LAB


@pytest.fixture
def asgi_extra_env(celery_worker) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The ASGI server sends jobs to the test worker's host-work queue."""
    return {"JAILNET_HOSTS_QUEUE": celery_worker.hosts_queue}


@pytest.fixture
def s10_up(transactional_db) -> Iterator[Design]:
    """examples/s10-vxlan-multicast.yaml imported under a name of this process, its lab up; down at the end."""
    reason = _why_no_lab()
    if reason:
        pytest.skip(f"the lab cannot run here: {reason}")
    from topology.services.designs import design_import_document

    document = (ROOT / "examples" / "s10-vxlan-multicast.yaml").read_text()
    document = re.sub(r"^name: .*$", f"name: {NAME}", document, count=1, flags=re.M)
    design = cast("tuple[Design, object]", in_thread(lambda: design_import_document(document_text=document)))[0]
    try:
        in_thread(lambda: call_command("lab", "up", NAME))
        yield design
    finally:
        lifecycle.lab_down(NAME, lab_state_dir(NAME))
        assert lifecycle.leftovers(NAME) == {"namespaces": [], "processes": []}


def _pings(design: Design, stop: threading.Event) -> threading.Thread:
    """Pings across VXLAN 111 (jailhost-a to jailhost-b) until ``stop``."""
    lab = in_thread(lambda: Lab(design_snapshot(design=design), lab_state_dir(NAME)))

    async def go() -> None:
        async with lab.transport.connect(lab.target("jailhost-a")) as session:
            while not stop.is_set():
                await session.run(["ping", "-c", "5", "-i", "0.2", "-W", "1", "10.0.111.20"], timeout=20)

    thread = threading.Thread(target=lambda: run_coroutine(go), daemon=True)
    thread.start()
    return thread


def test_a_capture_started_from_the_diagram_streams_stops_and_downloads_as_a_pcap(
    new_live_page, make_browser_user, asgi_server, s10_up, tmp_path
) -> None:
    segment_id = in_thread(lambda: VxlanSegment.objects.get(design=s10_up, vni=111).pk)
    make_browser_user("vic", "viewer")
    page = new_live_page("vic")
    page.goto(f"{asgi_server.url}/#/designs/{s10_up.pk}")
    node = page.locator(f'.react-flow__node[data-id="vxlanSegment:{segment_id}"]')
    node.wait_for()
    node.click(button="right")
    panel = page.get_by_test_id("diagnostics-panel")
    panel.wait_for()
    assert "VNI 111" in panel.inner_text()
    page.get_by_test_id("diag-host").select_option(label="jailhost-b (vxlan111)")
    page.wait_for_function("() => document.querySelector('[data-testid=diag-diagnostic]')?.value === 'capture'")
    assert page.get_by_test_id("diag-param-interface").input_value() == "vxlan111"
    page.get_by_test_id("diag-param-filter").fill("icmp")
    page.get_by_test_id("diag-start").click()
    page.get_by_test_id("job-view").wait_for()
    assert "tcpdump -n -l --print -U -w" in page.get_by_test_id("diag-command").inner_text()

    stop = threading.Event()
    pinger = _pings(s10_up, stop)
    try:
        # tcpdump's lines arrive while it runs.
        page.wait_for_function(
            "() => (document.querySelector('[data-testid=job-log]')?.textContent.match(/ICMP echo request/g) || [])"
            ".length >= 3",
            timeout=TIMEOUT_MS,
        )
        assert page.locator('[data-testid="job-view"][data-state="running"]').count() == 1
        screenshot(page, "diagnostics-capture")
        page.get_by_test_id("diag-stop").click()
        page.locator('[data-testid="job-view"][data-state="cancelled"]').wait_for(timeout=TIMEOUT_MS)
    finally:
        stop.set()
        pinger.join(timeout=30)

    link = page.get_by_test_id("diag-pcap")
    link.wait_for(timeout=TIMEOUT_MS)
    with page.expect_download() as download_info:
        link.click()
    path = tmp_path / "capture.pcap"
    download_info.value.save_as(path)
    read = subprocess.run(["tcpdump", "-n", "-r", str(path)], capture_output=True, text=True, check=True)
    packets = PACKET.findall(read.stdout)
    assert len(packets) >= 3 and "ICMP echo request" in read.stdout
    # The parsed packets are a table that filters.
    page.get_by_test_id("diag-records").wait_for()
    page.get_by_test_id("diag-filter").fill("echo reply")
    assert "echo reply" in page.get_by_test_id("diag-records").inner_text()

    # Check drift: the lab is as the design says.
    page.get_by_test_id("drift-check").click()
    page.locator('[data-testid="drift-findings"][data-count="0"]').wait_for(timeout=TIMEOUT_MS)
    assert "Compared with the design the lab was brought up from" in page.get_by_test_id("drift-compared").inner_text()
