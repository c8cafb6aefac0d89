"""App config of deploys (a part of the executors room with its own tables and migrations)."""

from django.apps import AppConfig


class DeployConfig(AppConfig):
    """Deployments of approved change requests and their per-host outcomes."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "executors.deploy"
    label = "deploy"
    verbose_name = "Deployments"

    def ready(self) -> None:
        from core.audit import register_audited

        from .models import Deployment, DeploymentHost

        # A deployment belongs to its design; each host row to its host (per-host history).
        register_audited(Deployment, place=lambda d: (d.design_id, d.design_name, ""), signals=False)
        register_audited(DeploymentHost, place=lambda h: (h.deployment.design_id, h.deployment.design_name,
                                                          h.host_name), signals=False)  # fmt: skip
