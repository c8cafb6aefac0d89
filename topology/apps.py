"""App config of the topology room."""

from django.apps import AppConfig


class TopologyConfig(AppConfig):
    """Designs of FreeBSD virtual networks: model, validation, rendering, design as code, audit history."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "topology"
    verbose_name = "Topology"

    def ready(self) -> None:
        from .audit import connect_audit_signals

        connect_audit_signals()
