"""Run one command on a lab host over SSH and hand its output on as it comes (a job's ``lab_exec``).

The command runs in a session of its own on the host (``setsid``), so that cancelling it stops everything it
started there (``kill -- -<session>``), not only the shell the channel ran. The session's id is handed to
``started`` as soon as it is known (the job records it): when the worker running the command dies, the session
outlives it on the host, and :func:`lab_exec_stop` (run for the reaper by another worker) ends it.
"""

from __future__ import annotations

import asyncio
import shlex
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from topology import snapshot as s

from .common import LabError, Progress, read_state, require_root, run_coroutine
from .hosts import Lab

PID_MARK = "@@jailnet-pid "
READ_SIZE = 64 * 1024
# The SSH window: how much output may be in flight before the command on the host waits. Small enough that a line's
# wait behind others stays short when the job's log is the slower side; big enough to keep the channel busy.
WINDOW = 512 * 1024


class ExecCancelled(Exception):
    """The command was stopped because its job was cancelled."""


def lab_exec(
    snapshot: s.DesignSnapshot,
    state_dir: Path,
    *,
    host: str,
    argv: Sequence[str],
    progress: Progress,
    cancelled: threading.Event,
    timeout: float = 3600.0,
    started: Callable[[int], None] | None = None,
) -> int:
    """Run ``argv`` on lab host ``host``; its stdout and stderr go to ``progress`` as they come; return its exit
    status. When ``cancelled`` is set, the command's whole session on the host is killed and
    :class:`ExecCancelled` is raised. ``started`` is called with the session's id on the host once it runs."""
    require_root()
    if read_state(Path(state_dir)).get("state") != "up":
        raise LabError(f"the lab of {snapshot.name} is not up")
    lab = Lab(snapshot, Path(state_dir))
    if host not in lab.network.host_netns:
        raise LabError(f"{snapshot.name} has no host {host!r}")
    return run_coroutine(lambda: _run(lab, host, list(argv), progress, cancelled, timeout, started))


def lab_exec_stop(snapshot: s.DesignSnapshot, state_dir: Path, *, host: str, session: int) -> bool:
    """End what is left of session ``session`` on lab host ``host`` (TERM, then KILL after 2 s); False when the
    lab is not up any more (its teardown stopped everything already)."""
    if read_state(Path(state_dir)).get("state") != "up":
        return False
    require_root()
    lab = Lab(snapshot, Path(state_dir))
    if host not in lab.network.host_netns:
        return False
    return run_coroutine(lambda: _stop(lab, host, session))


async def _stop(lab: Lab, host: str, session: int) -> bool:
    group = f"-{int(session)}"
    script = f"kill -TERM -- {group} 2>/dev/null || exit 0; sleep 2; kill -KILL -- {group} 2>/dev/null; exit 0"
    cm, ssh = await lab.connect(host)
    try:
        await ssh.run(["sh", "-c", script], timeout=20)
        return True
    finally:
        await cm.__aexit__(None, None, None)


async def _run(
    lab: Lab,
    host: str,
    argv: list[str],
    progress: Progress,
    cancelled: threading.Event,
    timeout: float,
    started: Callable[[int], None] | None = None,
) -> int:
    cm, session = await lab.connect(host)
    try:
        # setsid -w: a new session whose id is the shell's pid (printed first), and the exit status of the command.
        wrapper = f"echo {PID_MARK}$$; exec {shlex.join(argv)}"
        command = shlex.join(["setsid", "-w", "sh", "-c", wrapper])
        process = await session.conn.create_process(command, encoding="utf-8", errors="replace", window=WINDOW)
        process.stdin.write_eof()
        first = await asyncio.wait_for(process.stdout.readline(), 10)
        if not first.startswith(PID_MARK):
            raise LabError(f"{host}: could not start {shlex.join(argv)}: {first.strip()}")
        remote_pid = int(first[len(PID_MARK) :])
        if started is not None:
            started(remote_pid)

        async def pump(reader: object, stream: str) -> None:
            while data := await reader.read(READ_SIZE):  # type: ignore[attr-defined]
                progress.write(data, host=host, stream=stream)

        async def watch_cancel() -> None:
            while not cancelled.is_set():
                await asyncio.sleep(0.2)

        pumps: asyncio.Future[Any] = asyncio.gather(pump(process.stdout, "stdout"), pump(process.stderr, "stderr"))
        watcher: asyncio.Future[None] = asyncio.ensure_future(watch_cancel())
        waited: set[asyncio.Future[Any]] = {pumps, watcher}
        done, _ = await asyncio.wait(waited, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if pumps not in done:
            # Cancelled or out of time: stop the command's whole session on the host, then the channel.
            await session.run(["kill", "-TERM", "--", f"-{remote_pid}"], timeout=10)
            pumps.cancel()
            process.close()
            if watcher in done:
                raise ExecCancelled(f"stopped {shlex.join(argv)} on {host}")
            raise LabError(f"{host}: {shlex.join(argv)} took more than {timeout:g}s and was stopped")
        watcher.cancel()
        pumps.result()  # a failed read ends the job with its error
        completed = await process.wait()
        return completed.exit_status if completed.exit_status is not None else 255
    finally:
        await cm.__aexit__(None, None, None)
