"""Live events for the browser: published to Channels groups once the change that caused them commits.

Groups: ``user.<id>`` (notifications for one user: a request waits for your review, your request
changed state) and ``design.<id>`` (objects of a design changed: the designer reloads them). Events are
sent only after the transaction commits, so nobody is told about a change that was rolled back. With no
Redis configured (a management command on a machine without the app running) nothing is sent.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)


def design_group(design_id: int) -> str:
    """Channels group of the clients looking at a design."""
    return f"design.{design_id}"


def user_group(user_id: int) -> str:
    """Channels group of one user's open browser tabs."""
    return f"user.{user_id}"


def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "event.forward", "event": event})
    except Exception:  # a lost notification must never break the change that caused it
        log.warning("could not publish %s event to %s", event.get("type"), group, exc_info=True)


def publish_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to ``group`` after the current transaction commits (at once outside one)."""
    if not getattr(settings, "REDIS_URL", ""):
        return
    transaction.on_commit(lambda: _send(group, event))
