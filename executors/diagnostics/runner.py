"""Running diagnostics on hosts: one command streamed into a job's log, and the drift diagnostics of every host
of a design at once. Not pure (SSH sessions): the rest of the package is.

A command runs as ``sh -c 'echo MARK $$; exec ARGV'`` (on a lab host under ``setsid -w``): the shell prints its
pid, which is the id of the command's session on the host (sshd starts each command in a session of its own),
then becomes the command. Stop kills that whole session (``kill -s TERM -- -PID PID``: ``timeout`` and ``tcpdump``
both end on SIGTERM, tcpdump flushing its file), so nothing of a capture is left on the host. Output goes to
the job's log as it arrives; what is kept for the parser is bounded, and the capture's byte limit stops it.
A capture saved to a file is read back (``head -c LIMIT``) and removed after the command ended, however it ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from executors.lab.hosts import Lab
from executors.ssh.transport import SshSession, SshTarget, SshTransport, command_line

from .catalogue import Target, build_argv
from .drift import DRIFT_DIAGNOSTICS
from .params import ParameterContext

PID_MARK = "@@jailnet-pid "
READ_SIZE = 64 * 1024
WINDOW = 512 * 1024
KEEP_TEXT = 8 * 1024 * 1024  # characters of output kept for the parser (the log has everything)
POLL = 0.05  # seconds between looks at Stop and the limits
KILL_GRACE = 5.0  # seconds a stopped command has to end (tcpdump writes its counts) before the channel closes
DRIFT_COMMAND_TIMEOUT = 30.0


class Writer(Protocol):
    """What the runner writes to (a job's log)."""

    def write(self, data: str, *, host: str = ..., stream: str = ...) -> None: ...


@dataclass
class HostAccess:
    """How to reach one host of a design: through its lab, or as the registered host it is mapped to."""

    name: str
    target: Target
    lab: Lab | None = None
    ssh_target: SshTarget | None = None
    transport: SshTransport | None = None

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[SshSession]:
        """An open SSH session to the host (the pinned key checked before anything is sent)."""
        if self.lab is not None:
            cm, session = await self.lab.connect(self.name)
            try:
                yield session
            finally:
                await cm.__aexit__(None, None, None)
            return
        if self.transport is None or self.ssh_target is None:
            raise RuntimeError(f"{self.name}: no way to reach it")
        async with self.transport.connect(self.ssh_target) as session:
            yield session


@dataclass
class Outcome:
    """How a command ended and what it printed (``text`` bounded by :data:`KEEP_TEXT`)."""

    exit_status: int | None
    text: str
    output_chars: int
    stopped: str = ""  # "" (it ended by itself), "cancelled", "bytes" (the byte limit), "time" (the timeout)
    pcap: bytes | None = None
    pid: int | None = None


def _wrapped(argv: Sequence[str], target: Target) -> str:
    inner = f"echo {PID_MARK}$$; exec {shlex.join(argv)}"
    # The lab's sshd runs commands in the caller's session: setsid gives each its own (as sshd does on FreeBSD).
    outer = ["setsid", "-w", "sh", "-c", inner] if target is Target.LAB else ["sh", "-c", inner]
    return command_line(outer)


async def kill_session(session: SshSession, pid: int) -> None:
    """End every process of the command's session ``pid`` on the host: its process group, and the process itself
    (where the login shell ran ``sh`` in its own group, the command is ``timeout`` or a single program, and
    ``timeout`` hands SIGTERM on to what it runs)."""
    await session.run(["/bin/kill", "-s", "TERM", "--", f"-{pid}", str(pid)], timeout=10)


async def execute(
    session: SshSession,
    argv: Sequence[str],
    *,
    host: str,
    target: Target,
    log: Writer,
    cancelled: threading.Event,
    byte_limit: int | None = None,
    timeout: float = 120.0,
    pcap_path: str | None = None,
    pcap_limit: int = 0,
) -> Outcome:
    """Run ``argv`` on ``host`` through ``session``; stream its output to ``log``; stop it (its whole session on
    the host) on ``cancelled``, past ``byte_limit`` characters of output or after ``timeout`` seconds."""
    async with session.channels:
        process = await session.conn.create_process(
            _wrapped(argv, target), encoding="utf-8", errors="replace", window=WINDOW
        )
    process.stdin.write_eof()
    first = await asyncio.wait_for(process.stdout.readline(), 15)
    if not first.startswith(PID_MARK):
        process.close()
        raise RuntimeError(f"{host}: could not start {shlex.join(argv)}: {first.strip()}")
    pid = int(first[len(PID_MARK) :])
    kept: list[str] = []
    counts = {"chars": 0, "kept": 0}
    over_limit = asyncio.Event()

    async def pump(reader: Any, stream: str) -> None:
        while data := await reader.read(READ_SIZE):
            log.write(data, host=host, stream=stream)
            if stream != "stdout":
                continue
            counts["chars"] += len(data)
            if counts["kept"] < KEEP_TEXT:
                kept.append(data[: KEEP_TEXT - counts["kept"]])
                counts["kept"] += len(kept[-1])
            if byte_limit is not None and counts["chars"] > byte_limit:
                over_limit.set()

    pumps = asyncio.gather(pump(process.stdout, "stdout"), pump(process.stderr, "stderr"))
    deadline = time.monotonic() + timeout
    stopped = ""
    while not pumps.done():
        await asyncio.wait({pumps}, timeout=POLL)
        if pumps.done():
            break
        if cancelled.is_set():
            stopped = "cancelled"
        elif over_limit.is_set():
            stopped = "bytes"
        elif time.monotonic() > deadline:
            stopped = "time"
        if stopped:
            await kill_session(session, pid)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(pumps), KILL_GRACE)
            break
    exit_status: int | None = None
    if pumps.done():
        pumps.result()
        with contextlib.suppress(TimeoutError):
            completed = await asyncio.wait_for(process.wait(), KILL_GRACE)
            exit_status = completed.exit_status
    else:
        pumps.cancel()
    process.close()
    pcap = await fetch_and_remove(session, pcap_path, pcap_limit) if pcap_path else None
    return Outcome(exit_status, "".join(kept), counts["chars"], stopped, pcap, pid)


async def fetch_and_remove(session: SshSession, path: str, limit: int) -> bytes:
    """At most ``limit`` bytes of the file ``path`` on the host; the file is removed."""
    try:
        async with session.channels:
            process = await session.conn.create_process(command_line(["head", "-c", str(limit), path]), encoding=None)
        process.stdin.write_eof()
        data = await asyncio.wait_for(process.stdout.read(limit + 1), 60)
        await asyncio.wait_for(process.wait(), 10)
        return bytes(data[:limit])
    finally:
        await session.run(["rm", "-f", "--", path], timeout=10)


@dataclass
class HostOutputs:
    """What the drift diagnostics printed on one host, or why they could not run there."""

    host: str
    outputs: dict[str, str] = field(default_factory=dict)
    error: str = ""


async def collect_drift_outputs(
    accesses: Sequence[HostAccess], contexts: dict[str, ParameterContext], log: Writer
) -> list[HostOutputs]:
    """Run :data:`.drift.DRIFT_DIAGNOSTICS` on every host at once (each host's one after another)."""

    async def one(access: HostAccess) -> HostOutputs:
        result = HostOutputs(access.name)
        try:
            async with access.session() as session:
                for diagnostic in DRIFT_DIAGNOSTICS:
                    argv = build_argv(diagnostic, access.target, {}, contexts[access.name])
                    log.write(f"$ {shlex.join(argv)}\n", host=access.name, stream="step")
                    done = await session.run(argv, timeout=DRIFT_COMMAND_TIMEOUT)
                    if done.exit_status != 0:
                        log.write(f"exited {done.exit_status}: {done.stderr.strip()[:500]}\n", host=access.name,
                                  stream="stderr")  # fmt: skip
                        continue  # not collected: that part of the state is not compared
                    result.outputs[diagnostic] = done.stdout
        except Exception as exc:  # one host unreachable: the others are still checked
            result.error = f"{type(exc).__name__}: {exc}"
            log.write(f"cannot check: {result.error}\n", host=access.name, stream="stderr")
        return result

    return list(await asyncio.gather(*(one(a) for a in accesses)))
