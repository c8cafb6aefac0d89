"""The audit history: one append-only row per create, update or delete of a design or inventory object."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"


class ChangeSource(models.TextChoices):
    API = "api", "API or web app"
    ADMIN = "admin", "Django admin"
    IMPORT = "import", "Design import"
    TASK = "task", "Background task"
    COMMAND = "command", "Management command"
    SHELL = "shell", "Other (shell, script)"


class AuditEntry(models.Model):
    """Who changed what, when, from where, and the values before and after.

    Append-only: rows are never updated or deleted (``save`` refuses updates, ``delete`` refuses, and in the
    database triggers refuse UPDATE and DELETE, on PostgreSQL also TRUNCATE). Tamper-evident: each entry
    carries ``entry_hash``, a SHA-256 over its content and the hash of the entry before it
    (``previous_hash``), computed in the transaction that writes it (``core.audit_chain``);
    ``manage.py audit verify`` recomputes the chain and reports the first broken link. ``user_name`` is
    copied so the history stays readable after the user is gone; ``design_id``/``design_name``/``host_name``
    are plain values, not foreign keys, so the history of a deleted design survives it. Secrets are redacted
    before they get here.
    """

    time = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        # DO_NOTHING without a constraint: deleting a user must not rewrite history (user_name keeps the name).
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    user_name = models.CharField(max_length=150, blank=True)
    request_id = models.UUIDField(null=True, blank=True, db_index=True)
    source = models.CharField(max_length=16, choices=ChangeSource.choices)
    action = models.CharField(max_length=8, choices=AuditAction.choices)
    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200)
    design_id = models.BigIntegerField(null=True, blank=True)  # indexed with id: audit_design_idx
    design_name = models.CharField(max_length=100, blank=True)
    host_name = models.CharField(max_length=63, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True, help_text="entry_hash of the entry before this one")
    entry_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of previous_hash and this entry")

    class Meta:
        # The table keeps the name it had when the model lived in topology (moved without touching the data).
        db_table = "topology_auditentry"
        ordering = ["-time", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["object_type", "object_id", "-time"], name="audit_object_idx"),
            models.Index(fields=["user", "-time"], name="audit_user_idx"),
            # A design's entries after a given one, in order (the live design's catch-up after an edit,
            # ``topology.services.live_design``); also serves every lookup of a design's entries.
            models.Index(fields=["design_id", "id"], name="audit_design_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.user_name or '-'} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("audit entries are append-only")


class AuditChainHead(models.Model):
    """The end of the audit hash chain: the hash of the newest entry and how many entries the chain has.

    One row. Writers of audit entries lock it (``SELECT ... FOR UPDATE``), so appends to the chain are
    serialized and each entry links to the one committed before it.
    """

    last_hash = models.CharField(max_length=64)
    length = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain of {self.length} entries ending {self.last_hash[:12]}"
