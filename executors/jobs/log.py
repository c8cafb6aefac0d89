"""The log of a running job: what its operation writes goes through here to the database, then to its followers.

An operation (lab up, a command on a host ...) calls :meth:`JobLog.write`, :meth:`JobLog.line` and
:meth:`JobLog.step` from any thread, even from inside an event loop, and never waits for the database. One
writer thread per job collects what was written for at most ``FLUSH_INTERVAL`` seconds or ``MAX_BATCH`` bytes,
cuts it into chunks (consecutive text of one host and stream) numbered 1, 2, 3 ... and stores them, with the
steps' progress and the job's heartbeat, in one transaction; then it sends the batch to the job's group. So
nothing is sent that is not stored, and a client that missed a message reads it back by sequence number.

The same thread is the job's heartbeat (the reaper marks a job whose heartbeat stops as interrupted) and reads
whether someone asked to cancel it: :attr:`JobLog.cancelled` is set, and operations stop at their next check.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from channels.layers import get_channel_layer
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from core.secret_scrub import scrub, scrub_value

from ..models import Job, JobOutput, JobStep, OutputStream
from .events import job_group

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.1  # seconds: the longest a line waits before it is stored and sent
MAX_BATCH = 64 * 1024  # bytes of output that make a batch (and the most one message to the clients carries)
MAX_TRANSACTION = 1024 * 1024  # bytes stored per transaction when the writer is behind (one commit, many batches)
HEARTBEAT_INTERVAL = 2.0  # seconds between heartbeats when the job writes nothing
# Seconds between looks for a Stop while the job writes nothing (a silent capture): one indexed read. A job that
# writes looks at every flush.
CANCEL_POLL = 0.25
# Bytes written and not yet taken by the writer. A producer faster than the database then waits (and with it the
# SSH channel, and the command on the host): memory stays bounded and a line's wait stays short.
QUEUE_LIMIT_BYTES = 1024 * 1024

Echo = Callable[[str, str, str], None]  # (host, stream, data) of each stored chunk, in order (the CLI prints it)


class JobCancelled(Exception):
    """Someone cancelled the job; the operation stops and cleans up what it started."""


@dataclass
class _Chunk:
    host: str
    stream: str
    produced_at: float
    parts: list[str] = field(default_factory=list)
    size: int = 0


@dataclass
class _Step:
    position: int
    values: dict[str, Any] = field(default_factory=dict)


_STOP = object()


class JobLog:
    """Output, steps, heartbeat and cancellation of one running job (see the module's docstring)."""

    def __init__(self, job_id: int, *, echo: Echo | None = None, first_seq: int = 1) -> None:
        self.job_id = job_id
        self.echo = echo
        self.cancelled = threading.Event()
        self._queue: queue.Queue[Any] = queue.Queue()
        self._queued_bytes = 0
        self._space = threading.Condition()
        self._next_seq = first_seq
        self._steps: dict[str, _Step] = {}
        self._remote: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-log", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failure: BaseException | None = None

    # --- what operations call -------------------------------------------------------------------------------

    def write(self, data: str, *, host: str = "", stream: str = OutputStream.STDOUT) -> None:
        """Append ``data`` (text, newlines included) to the output of ``host``'s ``stream``."""
        if not data:
            return
        with self._space:
            while self._queued_bytes > 0 and self._queued_bytes + len(data) > QUEUE_LIMIT_BYTES:
                if not self._thread.is_alive():  # the writer failed: keep the job going, unbounded
                    break
                self._space.wait(0.5)
            self._queued_bytes += len(data)
        self._queue.put(("out", host, str(stream), data, time.time()))

    def line(self, text: str, *, host: str = "", stream: str = OutputStream.STEP) -> None:
        """Append one line (a message of the job itself by default: what it is doing, how it went)."""
        self.write(text + "\n", host=host, stream=stream)

    def step(
        self,
        name: str,
        *,
        state: str | None = None,
        done: int | None = None,
        total: int | None = None,
        message: str | None = None,
    ) -> None:
        """Create or update the step ``name`` (a host, or a phase): its state and progress ``done``/``total``."""
        values: dict[str, Any] = {"state": state, "done": done, "total": total, "message": message}
        now = timezone.now()
        if state == "running":
            values["started_at"] = now
        elif state in ("succeeded", "failed", "skipped"):
            values["finished_at"] = now
        self._queue.put(("step", name, {k: v for k, v in values.items() if v is not None}))

    def remote_started(self, host: str, session: int) -> None:
        """Record that the job started session ``session`` on ``host`` (stored at once, not with the next batch):
        if the worker dies, the reaper has it stopped."""
        self._queue.put(("remote", host, session))

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if someone cancelled the job."""
        if self.cancelled.is_set():
            raise JobCancelled("cancelled")

    # --- life -----------------------------------------------------------------------------------------------

    def start(self) -> JobLog:
        """Start the writer thread."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Store and send everything written so far, then stop the writer thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout=60)

    def __enter__(self) -> JobLog:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the writer thread ----------------------------------------------------------------------------------

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._collect()
        except BaseException as exc:  # the job goes on; its output is what was stored
            self._failure = exc
            log.exception("job %s: log writer failed", self.job_id)
        finally:
            self._loop.close()
            connection.close()

    def _collect(self) -> None:
        chunks: list[_Chunk] = []
        steps: dict[str, dict[str, Any]] = {}
        remote: list[dict[str, Any]] = []
        size = 0
        deadline: float | None = None
        last_flush = last_cancel_look = time.monotonic()
        stop = False
        while not stop:
            now = time.monotonic()
            wait = min(
                deadline or now + HEARTBEAT_INTERVAL,
                last_flush + HEARTBEAT_INTERVAL,
                last_cancel_look + CANCEL_POLL if not self.cancelled.is_set() else now + HEARTBEAT_INTERVAL,
            ) - now  # fmt: skip
            try:
                item = self._queue.get(timeout=max(0.0, wait))
            except queue.Empty:
                item = None
            while item is not None:
                if item is _STOP:
                    stop = True
                elif item[0] == "out":
                    _, host, stream, data, produced = item
                    with self._space:
                        self._queued_bytes -= len(data)
                        self._space.notify_all()
                    last = chunks[-1] if chunks else None
                    if last is None or (last.host, last.stream) != (host, stream) or last.size + len(data) > MAX_BATCH:
                        last = _Chunk(host, stream, produced)
                        chunks.append(last)
                    last.parts.append(data)
                    last.size += len(data)
                    size += len(data)
                    deadline = deadline or time.monotonic() + FLUSH_INTERVAL
                elif item[0] == "remote":
                    remote.append({"host": item[1], "session": item[2]})
                    deadline = time.monotonic()  # stored now: the worker may die any moment
                else:
                    _, name, values = item
                    steps.setdefault(name, {}).update(values)
                    deadline = deadline or time.monotonic() + FLUSH_INTERVAL
                # Behind the producer: store up to MAX_TRANSACTION in one commit (one fsync for many batches).
                full = size >= (MAX_TRANSACTION if not self._queue.empty() else MAX_BATCH)
                if stop or full:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            now = time.monotonic()
            if (
                stop
                or size >= MAX_BATCH
                or (deadline is not None and now >= deadline)
                or (now - last_flush >= HEARTBEAT_INTERVAL)
            ):
                self._flush(chunks, steps, remote)
                chunks, steps, remote, size, deadline = [], {}, [], 0, None
                last_flush = last_cancel_look = time.monotonic()
            elif not self.cancelled.is_set() and now - last_cancel_look >= CANCEL_POLL:
                self._look_for_cancel()
                last_cancel_look = time.monotonic()

    def _flush(self, chunks: list[_Chunk], steps: dict[str, dict[str, Any]], remote: list[dict[str, Any]]) -> None:
        close_old_connections()
        rows = []
        for chunk in chunks:
            rows.append(
                JobOutput(
                    job_id=self.job_id,
                    seq=self._next_seq,
                    host=chunk.host,
                    stream=chunk.stream,
                    data=scrub("".join(chunk.parts)),  # a known secret is stored and sent as [secret]
                    produced_at=chunk.produced_at,
                )
            )
            self._next_seq += 1
        step_rows = []
        with transaction.atomic():
            if rows:
                JobOutput.objects.bulk_create(rows)
            for name, values in steps.items():
                step = self._steps.get(name)
                if step is None:
                    step = self._steps[name] = _Step(position=len(self._steps))
                step.values.update(scrub_value(values))
                step_row, _ = JobStep.objects.update_or_create(
                    job_id=self.job_id, name=name, defaults={"position": step.position, **step.values}
                )
                step_rows.append(step_row)
            update: dict[str, Any] = {"heartbeat_at": timezone.now()}
            if remote:
                self._remote.extend(remote)
                update["remote_sessions"] = list(self._remote)
            if rows:
                update["last_seq"] = rows[-1].seq
                update["output_bytes"] = F("output_bytes") + sum(len(r.data) for r in rows)
            Job.objects.filter(pk=self.job_id).update(**update)
            cancel = Job.objects.filter(pk=self.job_id, cancel_requested_at__isnull=False).exists()
        if cancel:
            self.cancelled.set()
        if self.echo is not None:
            for chunk_row in rows:
                self.echo(chunk_row.host, chunk_row.stream, chunk_row.data)
        # Sent after the commit, in messages of at most about MAX_BATCH bytes: a client's queue holds a bounded
        # number of messages, so each must stay small.
        messages: list[list[JobOutput]] = [[]]
        size = 0
        for chunk_row in rows:
            if messages[-1] and size + len(chunk_row.data) > MAX_BATCH:
                messages.append([])
                size = 0
            messages[-1].append(chunk_row)
            size += len(chunk_row.data)
        for index, batch in enumerate(messages):
            steps_now = [step_event(row) for row in step_rows] if index == 0 else []
            if batch or steps_now:
                self._publish(output_message(self.job_id, [r.as_event() for r in batch], steps_now))

    def _look_for_cancel(self) -> None:
        close_old_connections()
        if Job.objects.filter(pk=self.job_id, cancel_requested_at__isnull=False).exists():
            self.cancelled.set()

    def _publish(self, event: dict[str, Any]) -> None:
        layer = get_channel_layer()
        if layer is None or self._loop is None:
            return
        try:
            self._loop.run_until_complete(
                layer.group_send(job_group(self.job_id), {"type": "job.forward", "event": event})
            )
        except Exception:  # stored already: followers read it back by sequence number once Redis is back
            log.warning("job %s: could not publish output batch", self.job_id, exc_info=True)


def encode_chunk(chunk: dict[str, Any]) -> str:
    """A chunk (``seq``, ``host``, ``stream``, ``data``, ``t``) as the JSON text of one element of a frame."""
    return json.dumps(chunk, separators=(",", ":"))


def output_message(job_id: int, chunks: list[dict[str, Any]], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The group message of a stored batch: its chunks encoded once here (not once per client: the web process
    joins them into frames, see ``executors.jobs.stream``), the sequence numbers it holds, and its steps."""
    return {
        "job": job_id,
        "first": chunks[0]["seq"] if chunks else None,
        "last": chunks[-1]["seq"] if chunks else None,
        "chunks": [[chunk["seq"], encode_chunk(chunk)] for chunk in chunks],
        "steps": steps,
    }


def step_event(step: JobStep) -> dict[str, Any]:
    """A step as clients receive it."""
    return {
        "name": step.name,
        "position": step.position,
        "state": step.state,
        "done": step.done,
        "total": step.total,
        "message": step.message,
        "started_at": step.started_at.isoformat() if step.started_at else None,
        "finished_at": step.finished_at.isoformat() if step.finished_at else None,
    }
