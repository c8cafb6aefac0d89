"""App config of the executors room."""

from typing import Any

from django.apps import AppConfig


def _lab_place(lab: Any) -> tuple[int | None, str, str]:
    """A lab's operations belong to the history of its design."""
    return lab.design_id, lab.design.name, ""


class ExecutorsConfig(AppConfig):
    """Background work: tasks, SSH, streaming output, the lab."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "executors"
    verbose_name = "Executors"

    def ready(self) -> None:
        from core.audit import register_audited

        from .models import Lab

        # Lab operations (up, check, down) are recorded explicitly by the lab services, not by model signals.
        register_audited(Lab, place=_lab_place, signals=False)
