"""App config of the executors room."""

from django.apps import AppConfig


class ExecutorsConfig(AppConfig):
    """Background work: tasks, SSH, streaming output, the lab."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "executors"
    verbose_name = "Executors"

    def ready(self) -> None:
        # Workers announce themselves and reap stale jobs (Celery signals; nothing happens in the web process).
        from . import workers  # noqa: F401
