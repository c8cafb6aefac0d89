"""Tear a lab down and tell what of it is on the machine. It finds leftovers by the lab id prefix, so it works
after a failed or killed ``up`` too, and running it twice is harmless."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topology.render.lab import lab_id

from . import netns
from .common import NoProgress, Progress, read_state, require_root


@dataclass
class DownResult:
    """What ``lab_down`` removed."""

    lab_id: str
    namespaces: list[str]
    processes: int


def lab_down(design_name: str, state_dir: Path, *, progress: Progress | None = None) -> DownResult:
    """Remove everything of the lab of ``design_name``; harmless when nothing is there."""
    require_root()
    progress = progress or NoProgress()
    state_dir = Path(state_dir)
    state = read_state(state_dir)
    lid = state.get("lab_id") or lab_id(design_name)
    prefix = f"{lid}-"
    names = sorted(set(netns.list_netns(prefix)) | {n for n in state.get("namespaces", []) if n.startswith(prefix)})
    inodes = {i for i in (netns.netns_inode(n) for n in names) if i is not None}
    pids = set(netns.pids_in_netns(inodes)) if inodes else set()  # no namespace: no process can live in one
    # Processes recorded by pid file, but only while they still live in one of the lab's namespaces: a pid
    # reused by an unrelated process is never touched.
    for pidfile in state.get("pidfiles", []):
        try:
            pid = int(Path(pidfile).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if netns.pid_netns_inode(pid) in inodes:
            pids.add(pid)
    pids.discard(os.getpid())
    netns.stop_pids(sorted(pids))
    netns.delete_netns(names)
    if state_dir.exists():
        shutil.rmtree(state_dir, ignore_errors=True)
    if names or pids:
        progress.line(f"lab {design_name} down: {len(pids)} processes stopped, {len(names)} namespaces deleted")
    return DownResult(lab_id=lid, namespaces=names, processes=len(pids))


def leftovers(design_name: str) -> dict[str, list[Any]]:
    """What of a lab still exists on this machine: namespaces and processes (empty lists when clean)."""
    prefix = f"{lab_id(design_name)}-"
    names = netns.list_netns(prefix)
    inodes = {i for i in (netns.netns_inode(n) for n in names) if i is not None}
    return {"namespaces": names, "processes": netns.pids_in_netns(inodes)}


def lab_status(design_name: str, state_dir: Path) -> dict[str, Any]:
    """The recorded state plus what is really there (namespaces present, sshd processes alive)."""
    state = read_state(Path(state_dir))
    found = leftovers(design_name)
    sshd_alive = 0
    for pidfile in state.get("pidfiles", []):
        if pidfile.endswith("sshd.pid"):
            try:
                pid = int(Path(pidfile).read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            sshd_alive += netns.pid_netns_inode(pid) is not None
    expected = state.get("namespaces", [])
    return {
        "design": design_name,
        "lab_id": state.get("lab_id") or lab_id(design_name),
        "state": state.get("state", "down") if found["namespaces"] or state else "down",
        "namespaces_expected": len(expected),
        "namespaces_present": len(found["namespaces"]),
        "processes": len(found["processes"]),
        "sshd_alive": sshd_alive,
        "started": state.get("started"),
        "error": state.get("error"),
    }
