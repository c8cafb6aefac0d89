"""The lab of a design: its state, what it was built from and its last check."""

from __future__ import annotations

from django.db import models


class LabState(models.TextChoices):
    """Where a design's lab is."""

    DOWN = "down", "Down"
    UP = "up", "Up"
    FAILED = "failed", "Failed"


class Lab(models.Model):
    """The lab of one design: the design brought up on Linux network namespaces, and its last check."""

    design = models.OneToOneField("topology.Design", on_delete=models.CASCADE, related_name="lab")
    lab_id = models.CharField(max_length=16, help_text="Prefix of the lab's namespaces (jn + hash of the name)")
    state = models.CharField(max_length=8, choices=LabState.choices, default=LabState.DOWN)
    message = models.TextField(blank=True, help_text="Why the last operation failed, or what it warned about")
    notes = models.JSONField(default=list, blank=True, help_text="What of the design the lab does not emulate")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When the last up or down finished")
    up_seconds = models.FloatField(null=True, blank=True)
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="Content hash of the design snapshot the running lab was built from"
    )
    last_check_at = models.DateTimeField(null=True, blank=True)
    check_total = models.PositiveIntegerField(default=0)
    check_matched = models.PositiveIntegerField(default=0)
    check_mismatched = models.PositiveIntegerField(default=0)
    check_seconds = models.FloatField(null=True, blank=True)
    check_cells = models.JSONField(
        default=list,
        blank=True,
        help_text="Every cell of the last check, as the check answered them (expected, measured, reason, output)",
    )

    class Meta:
        ordering = ["design__name"]

    def __str__(self) -> str:
        return f"lab of {self.design}"

    @property
    def has_check_report(self) -> bool:
        """Whether the last check of this lab is kept cell by cell.

        Not after an ``up`` (a new lab has not been checked), nor for a check made before the cells were kept
        (its counts are there, its cells are not).
        """
        return self.last_check_at is not None and len(self.check_cells) == self.check_total
