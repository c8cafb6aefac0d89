"""Run one job in this process: mark it running, run its operation with a log, record how it ended.

Called by the Celery task of the host-work queue, and by ``manage.py lab`` (which echoes the log as it is
stored, so the terminal shows the same stream as the browser).
"""

from __future__ import annotations

import logging

from ..lab.common import LabError
from ..models import Job, JobState
from .log import Echo, JobCancelled, JobLog
from .operations import OPERATIONS, OperationFailed
from .services import job_finish, job_start

log = logging.getLogger(__name__)


def job_run(*, job_id: int, echo: Echo | None = None) -> Job | None:
    """Run the queued job ``job_id`` to its end; None when it was not queued (cancelled, or a redelivered task
    of a job that already ran: work on hosts is never repeated behind the user's back)."""
    job = job_start(job_id=job_id)
    if job is None:
        return None
    result: dict = {}
    state, message = JobState.FAILED, ""
    with JobLog(job.pk, echo=echo, first_seq=job.last_seq + 1) as job_log:
        job_log.line(f"job {job.pk}: {job.get_kind_display().lower()} of {job.design_name} on {job.worker}")
        try:
            result = OPERATIONS[job.kind](job, job_log)
            state, message = JobState.SUCCEEDED, str(result.pop("message", "done"))
        except JobCancelled:
            state = JobState.CANCELLED
            who = Job.objects.filter(pk=job.pk).values_list("cancel_requested_by", flat=True).first()
            message = f"cancelled by {who or 'a command'}"
        except OperationFailed as exc:
            message, result = str(exc), exc.result
        except LabError as exc:
            message = str(exc)
        except Exception as exc:  # a bug: the job says so, the worker log has the traceback
            log.exception("job %s failed", job.pk)
            message = f"{type(exc).__name__}: {exc}"
        job_log.line(f"job {job.pk} {state}: {message}")
    return job_finish(job_id=job.pk, state=state, message=message, result=result)
