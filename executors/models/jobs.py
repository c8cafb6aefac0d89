"""Jobs: every operation on hosts (a lab brought up, checked or torn down; deploys and diagnostics next), run by a
Celery worker on the host-work queue, with per-host steps and numbered output.

A job is created by :func:`executors.jobs.services.job_create` (never by a view), enqueued when its transaction
commits, and moved through its states only by the services: ``queued -> running -> succeeded | failed |
cancelled | interrupted``. Its output is stored as numbered chunks before anyone is sent them, so a client that
reconnects asks for what follows the last sequence number it has and misses nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class JobKind(models.TextChoices):
    """What a job does."""

    LAB_UP = "lab_up", "Lab up"
    LAB_CHECK = "lab_check", "Lab check"
    LAB_DOWN = "lab_down", "Lab down"
    LAB_EXEC = "lab_exec", "Command on a lab host"
    DEPLOY = "deploy", "Deploy"
    HOST_TEST = "host_test", "Test connection"
    DIAGNOSTIC = "diagnostic", "Diagnostic"
    DRIFT_CHECK = "drift_check", "Drift check"
    DEPLOY_PLAN = "deploy_plan", "Deploy plan"


class JobState(models.TextChoices):
    """Where a job is. ``interrupted``: its worker stopped (killed, lost) while it ran."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    INTERRUPTED = "interrupted", "Interrupted"


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)

# Kinds that run alongside any other job of their design and never hold it: diagnostics only read a host (the
# few that change one, an ARP or forwarding-table flush, are refused while an exclusive job runs but never
# block one). A capture left running must not make a deploy answer 409.
CONCURRENT_KINDS = (JobKind.DIAGNOSTIC, JobKind.DRIFT_CHECK)


class JobStepState(models.TextChoices):
    """Where one step (the part of a job on one host) is."""

    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class OutputStream(models.TextChoices):
    """Which stream a chunk of output came from; ``step``: a line the job itself wrote (progress, outcome)."""

    STDOUT = "stdout", "stdout"
    STDERR = "stderr", "stderr"
    STEP = "step", "step"


class Job(models.Model):
    """One operation on hosts: what it runs on (the design and the frozen artefact), who asked and from where,
    where it is, and how it ended. At most one job per design is queued or running at a time, diagnostics
    (:data:`CONCURRENT_KINDS`) aside."""

    kind = models.CharField(max_length=16, choices=JobKind.choices)
    design = models.ForeignKey(
        "topology.Design", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )  # history outlives the design: its name is kept in ``design_name``
    design_name = models.CharField(max_length=100)
    content_hash = models.CharField(max_length=64, blank=True, help_text="Hash of the design snapshot the job runs on")
    change_request = models.ForeignKey(
        "topology.ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    revision = models.ForeignKey(
        "topology.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    options = models.JSONField(default=dict, blank=True, help_text="The job's parameters (e.g. a check's sample)")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    requested_by_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=16, help_text="Where it was asked for: api, command, ...")
    remote_addr = models.GenericIPAddressField(null=True, blank=True, help_text="Client address of the request")
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    created = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the worker running it")
    worker = models.CharField(max_length=200, blank=True, help_text="Worker host name and pid running the job")
    cancel_requested_by = models.CharField(max_length=150, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="How it ended, in a sentence (the error when it failed)")
    result = models.JSONField(default=dict, blank=True, help_text="The operation's summary (counts, times)")
    last_seq = models.PositiveBigIntegerField(default=0, help_text="Sequence number of its last stored output chunk")
    output_bytes = models.PositiveBigIntegerField(default=0)
    remote_sessions = models.JSONField(
        default=list,
        blank=True,
        help_text="Sessions it started on hosts ([{host, session}]): stopped by the reaper when its worker dies",
    )

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["state", "heartbeat_at"]), models.Index(fields=["design", "-created"])]
        constraints = [
            # Two operations on one design's hosts at once would undo each other; the service answers 409.
            models.UniqueConstraint(
                fields=["design"],
                condition=Q(state__in=["queued", "running"]) & ~Q(kind__in=["diagnostic", "drift_check"]),
                name="one_active_job_per_design",
            )
        ]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.kind} {self.design_name}, {self.state})"

    @property
    def is_active(self) -> bool:
        """Queued or running."""
        return self.state in ACTIVE_JOB_STATES


class JobStep(models.Model):
    """The part of a job on one host (or one phase of it): progress ``done`` of ``total`` and its timings."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100, help_text="Host name, or the phase for work not on one host")
    state = models.CharField(max_length=16, choices=JobStepState.choices, default=JobStepState.PENDING)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [models.UniqueConstraint(fields=["job", "name"], name="one_step_per_name_per_job")]

    def __str__(self) -> str:
        return f"{self.name} of job {self.job_id}"


class JobOutput(models.Model):
    """A numbered chunk of a job's output: consecutive text of one host and stream, stored before it is sent."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="output")
    seq = models.PositiveBigIntegerField(help_text="1, 2, 3 ... per job, without gaps")
    host = models.CharField(max_length=100, blank=True)
    stream = models.CharField(max_length=8, choices=OutputStream.choices, default=OutputStream.STDOUT)
    data = models.TextField()
    produced_at = models.FloatField(help_text="Unix time the first line of the chunk was produced")

    class Meta:
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="job_output_seq_unique")]

    def __str__(self) -> str:
        return f"output {self.seq} of job {self.job_id}"

    def as_event(self) -> dict[str, object]:
        """The chunk as clients receive it (websocket and REST alike)."""
        return {"seq": self.seq, "host": self.host, "stream": self.stream, "data": self.data, "t": self.produced_at}
