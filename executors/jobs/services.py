"""Job services: create a job (one per design at a time) and enqueue it on commit, move it through its states,
cancel it, and reap jobs whose worker is gone.

Every state change is written with its audit entry in one transaction and told to followers once it commits.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import socket
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import current_change_context, record_operation, serialize_for_audit
from core.secret_scrub import scrub, scrub_value
from topology.models import Design

from ..models import Job, JobKind, JobState
from ..models.jobs import ACTIVE_JOB_STATES, CONCURRENT_KINDS
from .events import publish_job_state

log = logging.getLogger(__name__)

# A running job's log writes a heartbeat at least every 2 s (executors.jobs.log); a job silent for this long has
# lost its worker (killed, machine gone) and is marked interrupted: well within 30 s, never "running" forever.
STALE_AFTER = dt.timedelta(seconds=12)
AUDIT_OMITTED = ("result", "last_seq", "output_bytes", "heartbeat_at")


class JobConflict(Exception):
    """Another job on the design is queued or running; the message says which and who asked for it."""

    def __init__(self, holder: Job) -> None:
        self.holder = holder
        who = holder.requested_by_name or "nobody (a command)"
        super().__init__(
            f"{holder.design_name} is busy: job {holder.pk} ({holder.get_kind_display().lower()}, {holder.state}) "
            f"asked for by {who} at {holder.created:%Y-%m-%d %H:%M:%S} UTC"
        )


class JobNotCancellable(Exception):
    """The job has ended already."""


def hosts_queue() -> str:
    """Celery queue of the workers that do work on hosts (as root where the lab needs it)."""
    return str(getattr(settings, "JAILNET_HOSTS_QUEUE", "hosts"))


def _record(job: Job, before: dict[str, Any] | None) -> None:
    record_operation(job, before, omit=AUDIT_OMITTED)


@transaction.atomic
def job_create(
    *,
    kind: str,
    design: Design | None,
    content_hash: str = "",
    options: dict[str, Any] | None = None,
    remote_addr: str | None = None,
    enqueue: bool = True,
    change_request: Any = None,
    title: str = "",
) -> Job:
    """Create a queued job on ``design`` for whoever acts (the change context) and enqueue it when this commits.

    Raises :class:`JobConflict` when another job on the design is queued or running (a job whose worker is
    gone is marked interrupted first); diagnostics (``CONCURRENT_KINDS``) are neither refused nor counted.
    ``enqueue=False``: the caller runs it itself (``manage.py lab``). ``design=None``: a job on no design (a
    registered host's test connection; ``title`` names what it is on), which holds no design's lock: its caller
    serialises it.
    """
    if kind not in JobKind.values:
        raise ValueError(f"unknown job kind {kind!r}")
    if design is not None:
        Design.objects.select_for_update().filter(pk=design.pk).first()  # serialises job creation per design
        jobs_reap(design=design)
        if kind not in CONCURRENT_KINDS:  # diagnostics neither wait for nor hold the design (models.jobs)
            active = Job.objects.filter(design=design, state__in=ACTIVE_JOB_STATES).exclude(kind__in=CONCURRENT_KINDS)
            if (holder := active.first()) is not None:
                raise JobConflict(holder)
    ctx = current_change_context()
    user = ctx.acting_user()
    job = Job(
        kind=kind,
        design=design,
        design_name=design.name if design is not None else title,
        change_request=change_request,
        content_hash=content_hash,
        options=options or {},
        requested_by=user,
        requested_by_name=user.get_username() if user is not None else "",
        source=ctx.source,
        remote_addr=remote_addr,
    )
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError as exc:  # a racing creation on another database connection won
        holder = (
            Job.objects.filter(design=design, state__in=ACTIVE_JOB_STATES).exclude(kind__in=CONCURRENT_KINDS).first()
            if design is not None
            else None
        )
        if holder is None:
            raise
        raise JobConflict(holder) from exc
    _record(job, None)
    publish_job_state(job)
    if enqueue:
        transaction.on_commit(lambda: _enqueue(job.pk, job.requested_by_id))
    return job


def _enqueue(job_id: int, user_id: int | None) -> None:
    """Send the job to the host-work queue; a job that cannot be sent fails at once instead of waiting forever."""
    from ..tasks import job_run_task

    try:
        job_run_task.apply_async(args=[job_id], kwargs={"user_id": user_id}, queue=hosts_queue())
    except Exception as exc:  # the broker is unreachable
        log.warning("job %s could not be queued", job_id, exc_info=True)
        job_abandon(job_id=job_id, message=f"could not be queued: the broker did not answer ({type(exc).__name__})")


@transaction.atomic
def job_abandon(*, job_id: int, message: str) -> None:
    """Fail the queued job ``job_id`` that never reached a worker."""
    job = Job.objects.select_for_update().get(pk=job_id)
    if job.state != JobState.QUEUED:
        return
    before = serialize_for_audit(job)
    job.state, job.message, job.finished_at = JobState.FAILED, message, timezone.now()
    job.save(update_fields=["state", "message", "finished_at"])
    _record(job, before)
    publish_job_state(job)


def worker_name() -> str:
    """This process as a job's ``worker``: host name and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@transaction.atomic
def job_start(*, job_id: int) -> Job | None:
    """Mark the queued job ``job_id`` running in this process; None when it is not queued any more.

    A task redelivered after its worker was lost finds its job interrupted (or running, until the reaper
    sees it): work on hosts is never repeated behind the user's back.
    """
    # A worker lives long and its database may be reloaded under it (a restore; the tests flush it between
    # tests): content type ids cached for the audit entries must be read again. One query per job.
    ContentType.objects.clear_cache()
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.state != JobState.QUEUED:
        return None
    before = serialize_for_audit(job)
    now = timezone.now()
    job.state, job.started_at, job.heartbeat_at, job.worker = JobState.RUNNING, now, now, worker_name()
    job.save(update_fields=["state", "started_at", "heartbeat_at", "worker"])
    _record(job, before)
    publish_job_state(job)
    return job


@transaction.atomic
def job_finish(*, job_id: int, state: str, message: str = "", result: dict[str, Any] | None = None) -> Job:
    """Record how the running job ``job_id`` ended (succeeded, failed, cancelled)."""
    job = Job.objects.select_for_update().get(pk=job_id)
    before = serialize_for_audit(job)
    if job.state != JobState.RUNNING:  # reaped meanwhile (a worker that stalled for long): that stands
        return job
    job.state, job.message, job.finished_at = state, scrub(message)[:10_000], timezone.now()
    job.result = scrub_value(result or {})
    job.save(update_fields=["state", "message", "finished_at", "result"])
    _record(job, before)
    publish_job_state(job)
    return job


@transaction.atomic
def job_cancel(*, job: Job) -> Job:
    """Cancel ``job``: a queued one at once; a running one is told to stop (its worker stops what it started,
    here and on the hosts, and records ``cancelled``). Raises :class:`JobNotCancellable` when it has ended."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if not job.is_active:
        raise JobNotCancellable(f"job {job.pk} has ended ({job.state})")
    before = serialize_for_audit(job)
    user = current_change_context().acting_user()
    job.cancel_requested_at = timezone.now()
    job.cancel_requested_by = user.get_username() if user is not None else ""
    fields = ["cancel_requested_at", "cancel_requested_by"]
    if job.state == JobState.QUEUED:
        job.state, job.finished_at = JobState.CANCELLED, timezone.now()
        job.message = f"cancelled by {job.cancel_requested_by or 'a command'} before it started"
        fields += ["state", "finished_at", "message"]
    job.save(update_fields=fields)
    _record(job, before)
    publish_job_state(job)
    return job


@transaction.atomic
def jobs_reap(*, design: Design | None = None, now: dt.datetime | None = None) -> list[Job]:
    """Mark running jobs whose worker stopped heart-beating as ``interrupted``; return them."""
    now = now or timezone.now()
    stale = Job.objects.select_for_update().filter(state=JobState.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    if design is not None:
        stale = stale.filter(design=design)
    reaped = []
    for job in stale:
        before = serialize_for_audit(job)
        job.state, job.finished_at = JobState.INTERRUPTED, now
        job.message = (
            f"interrupted: its worker ({job.worker or 'unknown'}) stopped answering at "
            f"{job.heartbeat_at:%H:%M:%S} UTC; what it did on the hosts may be incomplete"
        )
        job.save(update_fields=["state", "finished_at", "message"])
        _record(job, before)
        publish_job_state(job)
        if job.remote_sessions:
            transaction.on_commit(functools.partial(_enqueue_leftovers, job.pk))
        reaped.append(job)
    return reaped


def _enqueue_leftovers(job_id: int) -> None:
    """Have a worker of the host-work queue stop what the interrupted job left running on hosts."""
    from ..tasks import job_stop_leftovers_task

    try:
        job_stop_leftovers_task.apply_async(args=[job_id], queue=hosts_queue())
    except Exception:  # the broker is away: the next reaper round cannot see the job again, so say so
        log.warning("job %s: could not queue the stop of its sessions on hosts", job_id, exc_info=True)


def job_stop_leftovers(*, job_id: int) -> Job | None:
    """Stop the sessions the interrupted job ``job_id`` started on hosts (its worker died with them running), and
    record what was done in its result; None when it has none. Runs in a worker of the host-work queue."""
    from .operations import stop_remote_sessions

    job = Job.objects.filter(pk=job_id, state=JobState.INTERRUPTED).first()
    if job is None or not job.remote_sessions:
        return None
    done = stop_remote_sessions(job)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        before = serialize_for_audit(job)
        job.result = {**job.result, "leftovers": done}
        job.remote_sessions = []
        stopped = ", ".join(f"{d['host']} ({d['outcome']})" for d in done)
        job.message = f"{job.message}; what it left running was stopped: {stopped}"[:10_000]
        job.save(update_fields=["result", "remote_sessions", "message"])
        _record(job, before)
        publish_job_state(job)
    return job
