"""Abstract bases shared by every design object."""

from django.db import models


class BaseModel(models.Model):
    """Timestamps and an optimistic-concurrency ``version``, bumped by every service write."""

    created = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="Incremented on every change; a stale write is refused.")

    class Meta:
        abstract = True


class CanvasPlacedModel(BaseModel):
    """A design object drawn as a node in the designer; its position persists."""

    position_x = models.FloatField(null=True, blank=True)
    position_y = models.FloatField(null=True, blank=True)

    class Meta:
        abstract = True
