"""App config of the executors room."""

from typing import Any

from django.apps import AppConfig


def _lab_place(lab: Any) -> tuple[int | None, str, str]:
    """A lab's operations belong to the history of its design."""
    return lab.design_id, lab.design.name, ""


def _job_place(job: Any) -> tuple[int | None, str, str]:
    """A job belongs to the history of its design (by name too: the design may have been deleted since)."""
    return job.design_id, job.design_name, ""


class ExecutorsConfig(AppConfig):
    """Background work: tasks, SSH, streaming output, the lab."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "executors"
    verbose_name = "Executors"

    def ready(self) -> None:
        from core.audit import register_audited

        from . import workers  # noqa: F401 - workers announce themselves and reap stale jobs (Celery signals)
        from .models import Job, Lab

        # Lab operations (up, check, down) are recorded explicitly by the lab services, not by model signals;
        # so are the state changes of jobs, by the job services.
        register_audited(Lab, place=_lab_place, signals=False)
        register_audited(Job, place=_job_place, signals=False)
