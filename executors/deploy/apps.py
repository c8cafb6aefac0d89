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
        from django.db.models.signals import post_save

        from executors.models import Job

        post_save.connect(_job_saved, sender=Job, dispatch_uid="jailnet-deploy-follows-its-job")
        register_audited(DeploymentHost, place=lambda h: (h.deployment.design_id, h.deployment.design_name,
                                                          h.host_name), signals=False)  # fmt: skip


def _job_saved(sender: object, instance: object, **_: object) -> None:
    """A deploy job that ended (interrupted by the reaper, failed before deploying) finishes its deployment."""
    from executors.models import JobKind

    from .services import deployment_follow_job

    if getattr(instance, "kind", None) == JobKind.DEPLOY:
        deployment_follow_job(job=instance)  # type: ignore[arg-type]
