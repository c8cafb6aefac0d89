"""App config of the executors room."""

from django.apps import AppConfig


class ExecutorsConfig(AppConfig):
    """Background work: tasks, SSH, streaming output, the lab."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "executors"
    verbose_name = "Executors"
