"""Reads of jobs: who may see which, their output by sequence number, their log as text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from project.roles import user_can

from ..models import Job, JobOutput
from .events import job_summary
from .log import step_event


def jobs_visible_to(*, user: Any) -> QuerySet[Job]:
    """Jobs ``user`` may read: the same rule as reading their design (every role reads every design)."""
    if not user_can(user, "read"):
        return Job.objects.none()
    return Job.objects.all()


def job_snapshot_for_follower(*, user: Any, job_id: int) -> dict[str, Any] | None:
    """The job as a follower first sees it (state and steps), or None when ``user`` may not read it."""
    job = jobs_visible_to(user=user).filter(pk=job_id).first()
    if job is None:
        return None
    return {**job_summary(job), "steps": [step_event(s) for s in job.steps.all()]}


def job_positions(*, job_ids: list[int]) -> dict[int, tuple[int, dict[str, Any]]]:
    """For each job: the sequence number of its last stored chunk, and its summary (state ...). One query."""
    return {job.pk: (job.last_seq, job_summary(job)) for job in Job.objects.filter(pk__in=job_ids)}


def job_output_after(*, job_id: int, after: int, upto: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Stored chunks of job ``job_id`` with ``after < seq <= upto``, in order, at most ``limit``."""
    rows = JobOutput.objects.filter(job_id=job_id, seq__gt=after)
    if upto is not None:
        rows = rows.filter(seq__lte=upto)
    return [
        {"seq": seq, "host": host, "stream": stream, "data": data, "t": t}
        for seq, host, stream, data, t in rows.order_by("seq").values_list(
            "seq", "host", "stream", "data", "produced_at"
        )[:limit]
    ]


def job_log_text(*, job: Job, page: int = 1000) -> Iterator[str]:
    """The job's whole output as text, chunk by chunk in order, each line prefixed with its host (if any)."""
    after = 0
    while True:
        chunks = job_output_after(job_id=job.pk, after=after, limit=page)
        for chunk in chunks:
            yield chunk["data"]
        if len(chunks) < page:
            return
        after = chunks[-1]["seq"]
