"""Recording the audit history, whoever makes a change and however they make it.

A *change context* says who is acting and from where: the request middleware opens one per web/API
request (user resolved lazily, after DRF authentication), the Celery hooks one per task, management
commands one per run; without any, changes are recorded as ``shell``. Model signals record every
single-object save and every delete (including cascades) of the audited models; bulk writes (the
design importer) record their entries explicitly with :func:`audit_bulk`. Entries are written in the
same transaction as the change, so a rolled-back change leaves no entry and a committed one always
has its entry.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import uuid
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import post_save, pre_delete, pre_save
from django.utils import timezone

from .events import design_group, publish_on_commit
from .models.audit import AuditAction, AuditEntry, ChangeSource

REDACTED = "********"
# Fields never written to the audit history in clear.
SECRET_FIELDS = frozenset({"encrypted_secret", "secret", "password", "private_key"})

# Models whose changes are audited: every design object and the inventory.
AUDITED_APP_MODELS = {
    "topology": (
        "Design", "Host", "Interface", "StaticRoute", "Switch", "SwitchPort", "VxlanSegment", "VxlanMember", "Jail",
        "JailAddress", "JailNic", "VirtualMachine", "VmNic", "OutboundNat", "PortRedirect", "DhcpService",
        "DhcpStaticLease", "FirewallPolicy", "FirewallRule",
    ),
    "inventory": ("Credential", "ManagedHost"),
}  # fmt: skip

# How to reach the design from each model (attribute chain), for per-design history.
_DESIGN_PATH: dict[str, tuple[str, ...]] = {
    "Design": (),
    "Host": ("design",),
    "VxlanSegment": ("design",),
    "Interface": ("host", "design"),
    "StaticRoute": ("host", "design"),
    "Switch": ("host", "design"),
    "Jail": ("host", "design"),
    "VirtualMachine": ("host", "design"),
    "OutboundNat": ("host", "design"),
    "PortRedirect": ("host", "design"),
    "DhcpService": ("host", "design"),
    "VxlanMember": ("segment", "design"),
    "SwitchPort": ("switch", "host", "design"),
    "JailAddress": ("jail", "host", "design"),
    "JailNic": ("jail", "host", "design"),
    "VmNic": ("vm", "host", "design"),
    "DhcpStaticLease": ("service", "host", "design"),
    "FirewallRule": ("policy",),
    "Lab": ("design",),  # recorded explicitly (record_operation), not by signals
    "Job": ("design",),  # recorded explicitly by the job services
}


@dataclass(frozen=True)
class ChangeContext:
    """Who is acting and from where; ``request`` lets the user be read after DRF has authenticated it."""

    source: str
    request_id: uuid.UUID | None = None
    user: Any = None
    request: Any = None

    def acting_user(self) -> Any:
        user = self.user
        if user is None and self.request is not None:
            user = getattr(self.request, "user", None)
        return user if user is not None and getattr(user, "is_authenticated", False) else None


_current: contextvars.ContextVar[ChangeContext | None] = contextvars.ContextVar("jailnet_change_context", default=None)


@contextmanager
def change_context(
    *, source: str, user: Any = None, request: Any = None, request_id: uuid.UUID | None = None
) -> Iterator[ChangeContext]:
    """Attribute every change made inside the block to ``user`` (or the request's user) and ``source``."""
    ctx = ChangeContext(source=source, user=user, request=request, request_id=request_id or uuid.uuid4())
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def current_change_context() -> ChangeContext:
    """The innermost open change context, or an anonymous ``shell`` one."""
    return _current.get() or ChangeContext(source=ChangeSource.SHELL)


# --- serialisation ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return REDACTED
    return value


def serialize_for_audit(instance: models.Model) -> dict[str, Any]:
    """The instance's field values as JSON-ready data; foreign keys as ids, secrets redacted."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in ("created", "last_updated"):
            continue
        value = getattr(instance, field.attname)
        if field.name in SECRET_FIELDS:
            data[field.name] = REDACTED if value else ""
            continue
        data[field.attname if field.is_relation else field.name] = _plain(value)
    return data


def place_of(instance: models.Model) -> tuple[int | None, str, str]:
    """(design id, design name, host name) an object belongs to, for per-design and per-host history."""
    name = type(instance).__name__
    path = _DESIGN_PATH.get(name)
    if path is None:
        return None, "", ""
    obj: Any = instance
    try:
        if name in ("FirewallRule", "FirewallPolicy"):
            policy: Any = instance.policy if name == "FirewallRule" else instance  # type: ignore[attr-defined]
            obj = policy.host if policy.host_id else (policy.jail.host if policy.jail_id else None)
            if obj is None:
                return None, "", ""
            path = ("design",)
        host_name = instance.host.name if name == "VxlanMember" else ""  # type: ignore[attr-defined]
        for attr in path:
            if type(obj).__name__ == "Host":
                host_name = obj.name
            obj = getattr(obj, attr)
    except models.ObjectDoesNotExist:
        return None, "", ""
    return obj.pk, obj.name, host_name


def _entry(action: str, instance: models.Model, before: Any, after: Any, ctx: ChangeContext, now: Any) -> AuditEntry:
    user = ctx.acting_user()
    design_id, design_name, host_name = place_of(instance)
    return AuditEntry(
        time=now,
        user=user,
        user_name=user.get_username() if user is not None else "",
        request_id=ctx.request_id,
        source=ctx.source,
        action=action,
        object_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        design_id=design_id,
        design_name=design_name,
        host_name=host_name,
        before=before,
        after=after,
    )


def _cheap_repr(obj: models.Model) -> str:
    """A label that needs no query (``str()`` of many models follows foreign keys)."""
    label = getattr(obj, "name", None) or getattr(obj, "interface_name", None) or getattr(obj, "address", None)
    return f"{obj._meta.verbose_name} {label or obj.pk}"[:200]


# Fields whose change does not change what a design renders (moving a node on the canvas).
_LAYOUT_FIELDS = frozenset({"position_x", "position_y", "version", "last_updated"})


def _content_changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> bool:
    if before is None or after is None:
        return True
    return any(before.get(k) != v for k, v in after.items() if k not in _LAYOUT_FIELDS)


def _design_changed(design_id: int | None) -> None:
    if design_id is not None:
        from .changes.services import design_changed

        design_changed(design_id)


def _after_entry(entry: AuditEntry, *, design_deleted: bool = False) -> None:
    """Consequences of one recorded change: open requests go stale, watchers of the design are told."""
    if not design_deleted and _content_changed(entry.before, entry.after):
        _design_changed(entry.design_id)
    if entry.design_id is not None:
        version = (entry.after or entry.before or {}).get("version")
        publish_on_commit(
            design_group(entry.design_id),
            {
                "type": "design.changed",
                "design": entry.design_id,
                "action": entry.action,
                "object_type": entry.object_type.model,
                "object_id": entry.object_id,
                "version": version,
                "user": entry.user_name,
                "request_id": str(entry.request_id) if entry.request_id else None,
            },
        )


def record_operation(
    instance: models.Model, before: dict[str, Any] | None, *, omit: Collection[str] = ()
) -> AuditEntry | None:
    """Record what an operation changed on ``instance``, an object outside the audited design and inventory
    (a design's lab brought up, checked, torn down); None when nothing changed.

    ``before`` is :func:`serialize_for_audit` of the instance before the operation (None: it was created);
    fields in ``omit`` are left out of both sides (bulky results belong to their own report, not the
    history). Unlike a change of a design object, it makes no change request stale and publishes no
    design event: the design did not change.
    """
    after = {k: v for k, v in serialize_for_audit(instance).items() if k not in omit}
    if before is not None:
        before = {k: v for k, v in before.items() if k not in omit}
        if before == after:
            return None
    action = AuditAction.CREATE if before is None else AuditAction.UPDATE
    entry = _entry(action, instance, before, after, current_change_context(), timezone.now())
    entry.save()
    return entry


def audit_bulk(
    action: str,
    instances: Iterable[models.Model],
    *,
    befores: dict[int, dict[str, Any]] | None = None,
    design: Any = None,
    host_names: dict[int, str] | None = None,
) -> None:
    """Record entries for objects written with bulk operations (which send no signals).

    ``host_names`` maps object ids to the name of the host they belong to (the caller knows it without
    queries; looking it up here would cost one query per object).
    """
    ctx = current_change_context()
    now = timezone.now()
    user = ctx.acting_user()
    rows = []
    for obj in instances:
        after = serialize_for_audit(obj) if action != AuditAction.DELETE else None
        before = (befores or {}).get(obj.pk) if action != AuditAction.CREATE else None
        if action == AuditAction.UPDATE and before == after:
            continue
        rows.append(
            AuditEntry(
                time=now,
                user=user,
                user_name=user.get_username() if user is not None else "",
                request_id=ctx.request_id,
                source=ctx.source,
                action=action,
                object_type=ContentType.objects.get_for_model(type(obj)),
                object_id=obj.pk,
                object_repr=_cheap_repr(obj),
                design_id=design.pk if design is not None else None,
                design_name=design.name if design is not None else "",
                host_name=(host_names or {}).get(obj.pk, ""),
                before=before,
                after=after,
            )
        )
    AuditEntry.objects.bulk_create(rows, batch_size=2000)
    if design is not None and any(_content_changed(r.before, r.after) for r in rows):
        _design_changed(design.pk)
    if design is not None and rows:
        publish_on_commit(
            design_group(design.pk),
            {
                "type": "design.changed",
                "design": design.pk,
                "action": "bulk",
                "count": len(rows),
                "user": rows[0].user_name,
            },
        )


# --- signal receivers --------------------------------------------------------------------------------------


def _on_pre_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **_: Any) -> None:
    if raw or instance.pk is None:
        instance._audit_before = None  # type: ignore[attr-defined]
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = serialize_for_audit(old) if old is not None else None  # type: ignore[attr-defined]


def _on_post_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **_: Any
) -> None:
    if raw:
        return
    before = getattr(instance, "_audit_before", None)
    after = serialize_for_audit(instance)
    if not created and before == after:
        return  # nothing changed (e.g. a save without edits)
    action = AuditAction.CREATE if created or before is None else AuditAction.UPDATE
    entry = _entry(
        action,
        instance,
        before if action == AuditAction.UPDATE else None,
        after,
        current_change_context(),
        timezone.now(),
    )
    entry.save()
    _after_entry(entry)


def _on_pre_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    entry = _entry(
        AuditAction.DELETE, instance, serialize_for_audit(instance), None, current_change_context(), timezone.now()
    )
    entry.save()
    _after_entry(entry, design_deleted=sender.__name__ == "Design")


def connect_audit_signals() -> None:
    """Connect the receivers for every audited model (called once from ``TopologyConfig.ready``)."""
    for app_label, names in AUDITED_APP_MODELS.items():
        for name in names:
            model = apps.get_model(app_label, name)
            uid = f"jailnet-audit-{app_label}.{name}"
            pre_save.connect(_on_pre_save, sender=model, dispatch_uid=uid + "-pre")
            post_save.connect(_on_post_save, sender=model, dispatch_uid=uid + "-post")
            pre_delete.connect(_on_pre_delete, sender=model, dispatch_uid=uid + "-del")
