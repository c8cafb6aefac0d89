"""Live events as stored: every event published to a browser group is written, numbered, in the transaction of the
change that caused it, so that a socket that was away (a Redis restart, a network drop, a tab asleep) asks for
what followed the last number it saw and misses nothing that was stored. Kept for a day (``events_prune``)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class LiveEvent(models.Model):
    """One event sent to a Channels group (``user.<id>``, ``design.<id>``, ``jobs``); its id is its sequence number."""

    id = models.BigAutoField(primary_key=True)
    group = models.CharField(max_length=100)
    event = models.JSONField()
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["group", "id"])]

    def __str__(self) -> str:
        return f"{self.group} #{self.pk}: {self.event.get('type', '')}"
