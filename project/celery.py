"""The Celery app. Tasks live in ``executors/tasks.py``; they are thin wrappers around services."""

import os
import uuid
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("jailnet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Change contexts opened in task_prerun, closed in task_postrun (same worker thread).
_open_contexts: dict[Any, Any] = {}


@signals.task_prerun.connect
def _open_change_context(task_id: str | None = None, kwargs: dict | None = None, **_: object) -> None:
    """Attribute changes made by a task to the user it runs for (``user_id`` keyword) as source ``task``."""
    from django.contrib.auth import get_user_model

    from topology.audit import change_context

    user_id = (kwargs or {}).get("user_id")
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    request_id = uuid.UUID(task_id) if task_id else None
    manager = change_context(source="task", user=user, request_id=request_id)
    manager.__enter__()
    _open_contexts[task_id] = manager


@signals.task_postrun.connect
def _close_change_context(task_id: str | None = None, **_: object) -> None:
    manager = _open_contexts.pop(task_id, None)
    if manager is not None:
        manager.__exit__(None, None, None)
