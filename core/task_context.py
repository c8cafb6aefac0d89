"""Celery tasks run in a change context: what a task changes is recorded as source ``task``, by its user.

Connected once from ``CoreConfig.ready`` (the worker loads Django before it runs a task), so the Celery app in
``project/celery.py`` needs to know nothing about auditing.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from typing import Any

from celery import signals
from django.contrib.auth import get_user_model

from .audit import change_context
from .models.audit import ChangeSource

# Change contexts opened in task_prerun, closed in task_postrun (same worker thread).
_open_contexts: dict[Any, AbstractContextManager[Any]] = {}


def _open_change_context(task_id: str | None = None, kwargs: dict | None = None, **_: object) -> None:
    """Attribute changes made by a task to the user it runs for (``user_id`` keyword) as source ``task``."""
    user_id = (kwargs or {}).get("user_id")
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    request_id = uuid.UUID(task_id) if task_id else None
    manager = change_context(source=ChangeSource.TASK, user=user, request_id=request_id)
    manager.__enter__()
    _open_contexts[task_id] = manager


def _close_change_context(task_id: str | None = None, **_: object) -> None:
    manager = _open_contexts.pop(task_id, None)
    if manager is not None:
        manager.__exit__(None, None, None)


def connect_task_change_context() -> None:
    """Open a change context before every task and close it after (idempotent)."""
    signals.task_prerun.connect(_open_change_context, dispatch_uid="jailnet-task-change-context-open")
    signals.task_postrun.connect(_close_change_context, dispatch_uid="jailnet-task-change-context-close")
