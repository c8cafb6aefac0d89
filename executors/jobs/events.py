"""Channels groups and messages of jobs. A job's group gets its output batches and step changes (after they
are stored) and its state changes (after they commit); the ``jobs`` group gets every job's state changes, for
lists of jobs."""

from __future__ import annotations

from typing import Any

from topology.events import publish_on_commit

JOBS_GROUP = "jobs"


def job_group(job_id: int) -> str:
    """Channels group of the clients following one job."""
    return f"job.{job_id}"


def job_summary(job: Any) -> dict[str, Any]:
    """The fields of a job that a list or a job page shows, for websocket messages."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "design": job.design_id,
        "design_name": job.design_name,
        "state": job.state,
        "message": job.message,
        "requested_by_name": job.requested_by_name,
        "created": job.created.isoformat() if job.created else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "last_seq": job.last_seq,
        "result": job.result,
    }


def publish_job_state(job: Any) -> None:
    """Tell the job's followers and the job lists that ``job`` changed state, once the change commits."""
    event = {"type": "job.state", "job": job_summary(job)}
    publish_on_commit(job_group(job.pk), event, store=False)  # a follower reads the state with the output
    publish_on_commit(JOBS_GROUP, event)
