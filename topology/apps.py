"""App config of the topology room."""

from django.apps import AppConfig


class TopologyConfig(AppConfig):
    """Designs of FreeBSD virtual networks: model, validation, rendering, design as code."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "topology"
    verbose_name = "Topology"
