"""Teardown leaves nothing: no namespace, process, link or nftables table, even after a failed or lost ``up``."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from executors.lab.lifecycle import LabError, lab_down, lab_up, leftovers, read_state
from topology.render.lab import lab_id

from .documents import S7
from .support import needs_lab, snapshot_of, unique_name

pytestmark = needs_lab

FAILING = S7.replace("nics: [{name: vnet0, switch: services", "nics: [{name: vnet0, switch: nosuchswitch")


def _named(document: str, name: str):  # type: ignore[no-untyped-def]
    return snapshot_of(document.replace("name: lab-s07-iocage", f"name: {unique_name(name)}"))


def _machine(design: str) -> dict[str, object]:
    """What this machine shows of a lab: root namespace links and nftables tables (no lab ever touches them),
    and the lab's namespaces (other tests' labs may come and go meanwhile)."""
    run = lambda *a: subprocess.run(a, capture_output=True, text=True, check=False).stdout  # noqa: E731
    prefix = lab_id(design) + "-"
    return {
        "links": run("ip", "-o", "link"),
        "nft": run("nft", "list", "tables"),
        "netns": [n for n in run("ip", "netns", "list").split() if n.startswith(prefix)],
    }


def test_a_failed_up_is_torn_down_by_down(tmp_path: Path):
    snapshot = _named(FAILING, "lab-failed-kept")
    before = _machine(snapshot.name)
    try:
        with pytest.raises(LabError, match="nosuchswitch"):
            lab_up(snapshot, tmp_path / "s", keep_on_failure=True)
        assert read_state(tmp_path / "s")["state"] == "failed"
        assert leftovers(snapshot.name)["namespaces"]  # kept for inspection
        assert leftovers(snapshot.name)["processes"]  # the hosts' sshd
    finally:
        lab_down(snapshot.name, tmp_path / "s")
    assert leftovers(snapshot.name) == {"namespaces": [], "processes": []}
    assert _machine(snapshot.name) == before
    assert not (tmp_path / "s").exists()


def test_a_failed_up_cleans_up_after_itself(tmp_path: Path):
    snapshot = _named(FAILING, "lab-failed-cleaned")
    before = _machine(snapshot.name)
    with pytest.raises(LabError):
        lab_up(snapshot, tmp_path / "s")
    assert leftovers(snapshot.name) == {"namespaces": [], "processes": []}
    assert _machine(snapshot.name) == before


def test_down_finds_a_lab_whose_state_was_lost_and_is_idempotent(tmp_path: Path, request):  # type: ignore[no-untyped-def]
    snapshot = _named(S7, "lab-lost-state")
    before = _machine(snapshot.name)
    lab_up(snapshot, tmp_path / "s")
    shutil.rmtree(tmp_path / "s")  # as if the process that ran `up` was killed and its files lost
    request.addfinalizer(lambda: lab_down(snapshot.name, tmp_path / "s"))
    assert leftovers(snapshot.name)["processes"]
    result = lab_down(snapshot.name, tmp_path / "s")
    assert result.namespaces and result.processes
    assert leftovers(snapshot.name) == {"namespaces": [], "processes": []}
    again = lab_down(snapshot.name, tmp_path / "s")
    assert again.namespaces == [] and again.processes == 0
    assert _machine(snapshot.name) == before


def test_up_and_down_work_from_inside_a_running_event_loop(tmp_path: Path):
    snapshot = _named(S7, "lab-in-loop")

    async def caller() -> None:  # e.g. an ASGI view, or a test session with a loop of its own
        try:
            lab_up(snapshot, tmp_path / "s")
            assert read_state(tmp_path / "s")["state"] == "up"
        finally:
            lab_down(snapshot.name, tmp_path / "s")

    asyncio.run(caller())
    assert leftovers(snapshot.name) == {"namespaces": [], "processes": []}
