"""Deployments: one per Deploy of an approved change request, with one row per host (its bundle and outcome).

The bundles live here, in the database, so that a worker on any machine can deploy any host.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DeploymentTarget(models.TextChoices):
    LAB = "lab", "The design's lab"
    INVENTORY = "inventory", "Registered hosts"


class DeploymentState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DEPLOYED = "deployed", "Deployed"
    PARTLY_DEPLOYED = "partly_deployed", "Partly deployed"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"
    INTERRUPTED = "interrupted", "Interrupted"


FINISHED_STATES = (DeploymentState.DEPLOYED, DeploymentState.PARTLY_DEPLOYED, DeploymentState.FAILED,
                   DeploymentState.ROLLED_BACK, DeploymentState.INTERRUPTED)  # fmt: skip


class HostOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DEPLOYED = "deployed", "Deployed"
    UNCHANGED = "unchanged", "Unchanged"
    FAILED = "failed", "Failed (nothing applied)"
    ROLLED_BACK = "rolled_back", "Rolled back"
    UNREACHABLE = "unreachable", "Unreachable"
    CANCELLED = "cancelled", "Cancelled (nothing applied)"
    INTERRUPTED = "interrupted", "Interrupted (old or new configuration: its dead-man timer decides)"


# Outcomes that "Retry failed hosts" runs again.
RETRYABLE_OUTCOMES = (HostOutcome.FAILED, HostOutcome.ROLLED_BACK, HostOutcome.UNREACHABLE, HostOutcome.CANCELLED,
                      HostOutcome.INTERRUPTED, HostOutcome.PENDING, HostOutcome.RUNNING)  # fmt: skip


class Deployment(models.Model):
    """One deploy of a change request to its hosts (the design's lab or registered hosts)."""

    change_request = models.ForeignKey("topology.ChangeRequest", on_delete=models.PROTECT, related_name="deployments")
    design_id = models.BigIntegerField()
    design_name = models.CharField(max_length=100)
    target = models.CharField(max_length=16, choices=DeploymentTarget.choices)
    confirm_seconds = models.PositiveIntegerField(default=120, help_text="Dead-man timer: rolled back unless confirmed")
    state = models.CharField(max_length=16, choices=DeploymentState.choices, default=DeploymentState.QUEUED)
    message = models.TextField(blank=True)
    verify = models.JSONField(default=dict, blank=True, help_text="The verification after the deploy (lab check)")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    job = models.OneToOneField(
        "executors.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="deployment",
        help_text="The job running it now (a retry of failed hosts runs in a new job)",
    )  # fmt: skip
    requested_by_name = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"deployment {self.pk} of {self.design_name} #{self.change_request_id}"


class DeploymentHost(models.Model):
    """One host of a deployment: its bundle (from the database, never a worker's disk) and its outcome."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="hosts")
    host_name = models.CharField(max_length=63)
    managed_host = models.ForeignKey("inventory.ManagedHost", null=True, blank=True, on_delete=models.PROTECT)
    bundle = models.JSONField(default=dict, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, choices=HostOutcome.choices, default=HostOutcome.PENDING)
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=list, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deployment", "host_name"]
        constraints = [models.UniqueConstraint(fields=["deployment", "host_name"], name="deploy_host_once")]

    def __str__(self) -> str:
        return f"{self.host_name} ({self.get_outcome_display().lower()})"
