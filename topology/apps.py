"""App config of the topology room."""

from django.apps import AppConfig


class TopologyConfig(AppConfig):
    """Designs of FreeBSD virtual networks: model, validation, rendering, design as code, change requests."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "topology"
    verbose_name = "Topology"

    def ready(self) -> None:
        from .auditing import connect_auditing
        from .changes.receivers import connect_receivers
        from .locking import connect_locking
        from .services.relations import register_relation_checks

        connect_auditing()
        connect_locking()
        connect_receivers()
        register_relation_checks()
