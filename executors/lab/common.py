"""What every part of the lab shares: its errors, the root check, the tools it needs, its state file, and running
a coroutine from synchronous code."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol, TypeVar

from topology.render.lab import LabPlan

T = TypeVar("T")
SSHD = "/usr/sbin/sshd"


class LabError(RuntimeError):
    """The lab could not do what was asked; the message says why."""


class LabNotPermitted(LabError):
    """The lab needs root (network namespaces, veth pairs, sshd)."""


def require_root() -> None:
    """Raise :class:`LabNotPermitted` unless this process is root."""
    if os.geteuid() != 0:
        raise LabNotPermitted(
            "the lab needs root: it creates network namespaces, veth pairs, bridges and sshd processes "
            "(run as root, e.g. sudo python manage.py lab ...)"
        )


def missing_tools(plan: LabPlan | None = None) -> list[str]:
    """Programs the lab needs that this machine lacks (Debian packages in brackets)."""
    needed = {"ip": "iproute2", "nsenter": "util-linux", SSHD: "openssh-server", "ping": "iputils-ping",
              "python3": "python3"}  # fmt: skip
    if plan is not None:
        argv0 = {c.argv[0] for h in plan.hosts for c in h.commands}
        argv0 |= {c.argv[2] for h in plan.hosts for c in h.commands if c.argv[0] == "nsenter" and len(c.argv) > 2}
        if "nft" in argv0:
            needed["nft"] = "nftables"
        if "dnsmasq" in argv0:
            needed["dnsmasq"] = "dnsmasq-base"
        if "busybox" in argv0:
            needed["busybox"] = "busybox"
    return [f"{tool} ({package})" for tool, package in needed.items() if shutil.which(tool) is None]


def run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, in a thread of its own.

    The caller may itself be inside a running event loop (an ASGI view, a test of async code), where
    ``asyncio.run`` is refused; a fresh thread always has none.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="lab-loop") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _state_file(state_dir: Path) -> Path:
    return state_dir / "lab.json"


def read_state(state_dir: Path) -> dict[str, Any]:
    """The lab's state file (empty when there is none)."""
    try:
        return json.loads(_state_file(state_dir).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def write_state(state_dir: Path, state: dict[str, Any]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / ".lab.json.tmp"
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, _state_file(state_dir))


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Progress(Protocol):
    """Where a lab operation tells what it is doing (a job's log, see ``executors.jobs.log.JobLog``)."""

    def line(self, text: str, *, host: str = "", stream: str = "step") -> None:
        """One line of the operation's own (what it does, how it went)."""

    def write(self, data: str, *, host: str = "", stream: str = "stdout") -> None:
        """Output of a command run on ``host``."""

    def step(
        self,
        name: str,
        *,
        state: str | None = None,
        done: int | None = None,
        total: int | None = None,
        message: str | None = None,
    ) -> None:
        """Progress of one host (or phase)."""

    def check_cancelled(self) -> None:
        """Raise when the operation was cancelled."""


class NoProgress:
    """A :class:`Progress` that tells nobody (the lab used from tests and benchmarks directly)."""

    def line(self, text: str, *, host: str = "", stream: str = "step") -> None:
        """Nothing."""

    def write(self, data: str, *, host: str = "", stream: str = "stdout") -> None:
        """Nothing."""

    def step(self, name: str, **values: Any) -> None:
        """Nothing."""

    def check_cancelled(self) -> None:
        """Never cancelled."""
