"""Change requests, their approvals, comments and state history, and deployed revisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models.base import BaseModel


class ChangeRequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DEPLOYING = "deploying", "Deploying"
    DEPLOYED = "deployed", "Deployed"
    PARTLY_DEPLOYED = "partly_deployed", "Partly deployed"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"


# States in which a request is still under review: an edit of the design makes them stale.
OPEN_STATES = (ChangeRequestState.DRAFT, ChangeRequestState.SUBMITTED, ChangeRequestState.CHANGES_REQUESTED,
               ChangeRequestState.APPROVED)  # fmt: skip


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    REJECT = "reject", "Reject"


class Revision(models.Model):
    """A deployed snapshot of a design: revision 1, 2, ... of that design. Never changed once written."""

    in_use_hint = (
        "Change requests and deployed revisions are the design's history and are kept: a design that has "
        "them cannot be deleted (reject the requests still open; the history stays)."
    )

    # PROTECT: deployed revisions are history; a design that has them is not deleted.
    design = models.ForeignKey("topology.Design", on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    document = models.TextField(help_text="The design document (YAML) as deployed")
    content_hash = models.CharField(max_length=64)
    change_request = models.OneToOneField(
        "topology.ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="revision"
    )
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["design_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["design", "number"], name="revision_unique_number")]

    def __str__(self) -> str:
        return f"{self.design.name} r{self.number}"


class ChangeRequest(BaseModel):
    """A proposed change of a design, frozen for review: snapshot, validation, per-host output and diff.

    ``stale`` is set when the design is edited after the snapshot was taken; a stale request cannot be
    approved or deployed until it is refreshed (which voids its approvals). ``contributors`` are frozen
    with the content: four eyes means nobody approves content that includes a change of their own.
    """

    in_use_hint = Revision.in_use_hint

    # PROTECT: change requests, their approvals and transitions are history (an approval record once vanished
    # with its design); deleting a design that has any is refused, open or closed.
    design = models.ForeignKey("topology.Design", on_delete=models.PROTECT, related_name="change_requests")
    number = models.PositiveIntegerField(help_text="Per-design sequence number")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_requests")
    state = models.CharField(max_length=20, choices=ChangeRequestState.choices, default=ChangeRequestState.DRAFT)
    stale = models.BooleanField(default=False)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    base_revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.RESTRICT, related_name="+",
        help_text="The deployed revision the diff is against (none: first deploy)",
    )  # fmt: skip
    document = models.TextField(help_text="Frozen design document (YAML)")
    content_hash = models.CharField(max_length=64)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    validation = models.JSONField(default=dict, help_text="Frozen validation report (derived, read-only)")
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+",
        help_text="Everyone who changed the design's content since its last deployed revision, up to the freeze "
        "(derived from the audit history). None of them may approve the request.",
    )  # fmt: skip

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [models.UniqueConstraint(fields=["design", "number"], name="change_request_unique_number")]

    def __str__(self) -> str:
        return f"{self.design.name}#{self.number} {self.title}"


class ChangeRequestHost(models.Model):
    """What a change request would push to one host, and the diff against what is deployed there."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="hosts")
    host_name = models.CharField(max_length=63)
    script = models.TextField()
    files = models.JSONField(default=list, help_text="[{path, content, mode}] (derived, read-only)")
    diff = models.TextField(blank=True, help_text="Unified diff against the base revision")
    changed = models.BooleanField(default=True)

    class Meta:
        ordering = ["change_request_id", "host_name"]
        constraints = [
            models.UniqueConstraint(fields=["change_request", "host_name"], name="change_request_host_unique")
        ]

    def __str__(self) -> str:
        return f"{self.change_request} @ {self.host_name}"


class RevisionHost(models.Model):
    """The configuration a revision put on one host (kept to diff later changes against)."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="hosts")
    host_name = models.CharField(max_length=63)
    script = models.TextField()
    files = models.JSONField(default=list)

    class Meta:
        ordering = ["revision_id", "host_name"]
        constraints = [models.UniqueConstraint(fields=["revision", "host_name"], name="revision_host_unique")]

    def __str__(self) -> str:
        return f"{self.revision} @ {self.host_name}"


class Approval(models.Model):
    """One reviewer's decision on a change request. ``voided`` when the request went stale."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices)
    comment = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    voided = models.BooleanField(default=False)

    class Meta:
        ordering = ["change_request_id", "created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change_request", "user"],
                condition=models.Q(voided=False, decision="approve"),
                name="approval_one_live_approval_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.user} on {self.change_request}"


class ChangeRequestTransition(models.Model):
    """A state change of a change request: who, when, why."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=ChangeRequestState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ChangeRequestState.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_name = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)
    time = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["change_request_id", "time", "id"]

    def __str__(self) -> str:
        return f"{self.change_request}: {self.from_state or '-'} -> {self.to_state}"


class ChangeRequestComment(models.Model):
    """A comment on a change request, or on one host's diff (``host_name``, optionally a ``line``)."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    host_name = models.CharField(max_length=63, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["change_request_id", "created", "id"]

    def __str__(self) -> str:
        return f"comment by {self.user} on {self.change_request}"
