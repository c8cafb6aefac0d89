"""App config of the core room."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared bases, object services and the audit history of every app."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from project.sqlite_modes import connect_sqlite_modes

        from .secret_scrub import install_log_scrubber
        from .task_context import connect_task_change_context
        from .users import register_user_admin

        install_log_scrubber()
        connect_task_change_context()
        connect_sqlite_modes()
        register_user_admin()
