"""Celery task of deployments: thin, idempotent, acknowledged late (a lost worker's deployment is redelivered)."""

from __future__ import annotations

from celery import shared_task

from core.audit import change_context
from core.models.audit import ChangeSource


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deployment_run_task(deployment_id: int) -> str:
    """Run deployment ``deployment_id``; return its final state."""
    from .models import Deployment
    from .services import deployment_run

    deployment = Deployment.objects.select_related("requested_by").get(pk=deployment_id)
    with change_context(source=ChangeSource.TASK, user=deployment.requested_by):
        return deployment_run(deployment_id=deployment_id).state
