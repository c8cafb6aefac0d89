"""Live events for the browser: stored with the change that caused them, published to Channels groups once it
commits.

Groups: ``user.<id>`` (notifications for one user: a request waits for your review, your request
changed state) and ``design.<id>`` (objects of a design changed: the designer reloads them). Events are
sent only after the transaction commits, so nobody is told about a change that was rolled back. With no
Redis configured (a management command on a machine without the app running) nothing is sent.

Every event is also written (:class:`topology.models.LiveEvent`) in the same transaction, and carries its number
(``seq``): a socket that was away (Redis restarted, the network dropped) asks for the events of its groups after
the last number it saw (:func:`events_after`), and gets what it missed, each once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

# Events are kept this long: a socket away for longer reloads what it shows (the page does on a new login).
KEEP_EVENTS = dt.timedelta(days=1)
# Numbers are taken when an event is written and become visible when its transaction commits, so a later commit
# can carry a lower number: readers look back this far before the last number they saw (and skip what they had).
COMMIT_SKEW = dt.timedelta(seconds=30)


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
    except Exception:  # a lost message must never break the change that caused it (the event is stored)
        log.warning("could not publish %s event to %s", event.get("type"), group, exc_info=True)


def publish_on_commit(group: str, event: dict[str, Any], *, store: bool = True) -> None:
    """Store ``event`` for ``group`` in the current transaction and send it once that commits (at once outside
    one). ``store=False``: only sent (events a follower gets another way, e.g. a job's state with its output)."""
    if not getattr(settings, "REDIS_URL", ""):
        return
    if store:
        from .models import LiveEvent

        row = LiveEvent.objects.create(group=group, event=event)
        event = {**event, "seq": row.pk}
    transaction.on_commit(lambda: _send(group, event))


def events_after(*, groups: list[str], since: int, look_back: bool = True, limit: int = 500) -> list[dict[str, Any]]:
    """Stored events of ``groups`` numbered after ``since`` (and with ``look_back``, since numbers can commit out of
    order, those of the ``COMMIT_SKEW`` before the event numbered ``since``), oldest first, at most ``limit``; each
    with its ``seq``. The caller skips those it has already sent, and reads further pages without ``look_back``."""
    from django.db.models import Q

    from .models import LiveEvent

    if not groups:
        return []
    anchor = None
    if look_back:
        anchor = LiveEvent.objects.filter(pk__lte=since).order_by("-pk").values_list("created", flat=True).first()
    recent = Q(pk__gt=since)
    if look_back and anchor is not None:
        recent |= Q(created__gte=anchor - COMMIT_SKEW)
    rows = LiveEvent.objects.filter(recent, group__in=groups).order_by("pk").values_list("pk", "event")[:limit]
    return [{**event, "seq": pk} for pk, event in rows]


def events_latest() -> int:
    """The number of the last stored event (0: none): where a new socket starts."""
    from .models import LiveEvent

    return LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def events_prune(*, now: dt.datetime | None = None) -> int:
    """Delete events older than ``KEEP_EVENTS``; return how many."""
    from .models import LiveEvent

    deleted, _ = LiveEvent.objects.filter(created__lt=(now or timezone.now()) - KEEP_EVENTS).delete()
    return deleted
