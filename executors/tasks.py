"""Celery tasks. Each is thin: load what it works on by id, call a service or a pure function, return plain data.

Tasks run in a separate worker process (``celery -A project worker``), possibly on another machine: they take
ids, never model instances, and return JSON-serialisable values.
"""

from __future__ import annotations

import hashlib

from celery import shared_task

from topology.models import Design
from topology.render.freebsd import render_design
from topology.selectors import design_snapshot


@shared_task
def ping_task() -> str:
    """Answer ``"pong"``: shows that a worker is consuming the queue and can reach the result backend."""
    return "pong"


@shared_task
def design_render_task(design_id: int) -> dict[str, str]:
    """Render a design for FreeBSD in the worker; return ``{host name: sha256 of its operator script}``.

    The digests let a caller compare what the worker rendered with what it renders itself (or with what
    was rendered for a change request) without shipping whole scripts through the result backend.
    """
    snapshot = design_snapshot(design=Design.objects.get(pk=design_id))
    return {
        host_name: hashlib.sha256(config.script.encode()).hexdigest()
        for host_name, config in render_design(snapshot).items()
    }


@shared_task
def design_import_task(document_text: str, user_id: int | None = None) -> dict[str, object]:
    """Import a design document in the background on behalf of ``user_id``; return its id and whether it changed.

    The change context opened for every task (project/celery.py) attributes the audit entries to that user.
    """
    from topology.services.designs import design_import_document

    design, changed = design_import_document(document_text=document_text)
    return {"design_id": design.pk, "changed": changed}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, name="executors.job_run")
def job_run_task(job_id: int, user_id: int | None = None) -> str:
    """Run job ``job_id`` (on the host-work queue); return the state it ended in (``skipped``: not queued).

    Acknowledged only once the job has ended, and given back to the queue when its worker is lost: the job
    itself is not repeated (it is marked interrupted), but no message is lost with a worker.
    """
    from .jobs.runner import job_run

    job = job_run(job_id=job_id)
    return job.state if job is not None else "skipped"


@shared_task(ignore_result=True, name="executors.jobs_reap")
def jobs_reap_task() -> list[int]:
    """Mark jobs whose worker stopped heart-beating as interrupted; return their ids."""
    from .jobs.services import jobs_reap

    return [job.pk for job in jobs_reap()]


@shared_task(acks_late=True, ignore_result=True, name="executors.job_stop_leftovers")
def job_stop_leftovers_task(job_id: int) -> bool:
    """Stop what the interrupted job ``job_id`` left running on hosts (on the host-work queue); False: nothing."""
    from .jobs.services import job_stop_leftovers

    return job_stop_leftovers(job_id=job_id) is not None
