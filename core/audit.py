"""Recording the audit history, whoever makes a change and however they make it.

A *change context* says who is acting and from where: the request middleware opens one per web/API
request (user resolved lazily, after DRF authentication), the Celery hooks one per task, management
commands one per run; without any, changes are recorded as ``shell``. Model signals record every
single-object save and every delete (including cascades) of the audited models; bulk writes (the
design importer) record their entries explicitly with :func:`audit_bulk`. Entries are written in the
same transaction as the change, so a rolled-back change leaves no entry and a committed one always
has its entry.

The recorder only records. Apps register their audited models with :func:`register_audited` (with a
function that says which design and host an object belongs to), and whatever follows a change (a change
request going stale, the designer being told) listens to :data:`audit_recorded`, sent after each
recording in the same transaction.
"""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import Signal
from django.utils import timezone

from .audit_chain import append_entries
from .models.audit import AuditAction, AuditEntry, ChangeSource

REDACTED = "********"
# Fields never written to the audit history in clear.
SECRET_FIELDS = frozenset({"encrypted_secret", "secret", "password", "private_key"})

# Where an object belongs: (design id, design name, host name), for per-design and per-host history.
Place = tuple[int | None, str, str]
Placer = Callable[[Any], Place]
NOWHERE: Place = (None, "", "")

# Audited models and where their objects belong, registered by the apps (AppConfig.ready).
_placers: dict[type[models.Model], Placer] = {}

audit_recorded = Signal()
"""Sent after entries were recorded, inside the transaction of the change.

``sender``: the model of the objects; ``entries``: the saved :class:`AuditEntry` rows; ``bulk``: whether
they were recorded by :func:`audit_bulk` (many objects at once) rather than one by one. Receivers that
raise abort the change, so they must only do what belongs to the same transaction.
"""


def register_audited(model: type[models.Model], *, place: Placer | None = None, signals: bool = True) -> None:
    """Audit ``model``: ``place(obj)`` says where an object belongs (default: nowhere in particular).

    With ``signals`` every save and delete of the model is recorded by model signals; without, the app
    records its operations itself with :func:`record_operation`.
    """
    _placers[model] = place or (lambda _obj: NOWHERE)
    if signals:
        uid = f"jailnet-audit-{model._meta.label}"
        pre_save.connect(_on_pre_save, sender=model, dispatch_uid=uid + "-pre")
        post_save.connect(_on_post_save, sender=model, dispatch_uid=uid + "-post")
        pre_delete.connect(_on_pre_delete, sender=model, dispatch_uid=uid + "-del")


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


def place_of(instance: models.Model) -> Place:
    """(design id, design name, host name) an object belongs to, for per-design and per-host history."""
    placer = _placers.get(type(instance))
    if placer is None:
        return NOWHERE
    try:
        return placer(instance)
    except models.ObjectDoesNotExist:  # a parent deleted in the same cascade
        return NOWHERE


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


def _announce(entries: list[AuditEntry], *, sender: type[models.Model], bulk: bool = False) -> None:
    if entries:
        audit_recorded.send(sender=sender, entries=entries, bulk=bulk)


def record_operation(
    instance: models.Model, before: dict[str, Any] | None, *, omit: Collection[str] = ()
) -> AuditEntry | None:
    """Record what an operation changed on ``instance``, an object outside the audited design and inventory
    (a design's lab brought up, checked, torn down); None when nothing changed.

    ``before`` is :func:`serialize_for_audit` of the instance before the operation (None: it was created);
    fields in ``omit`` are left out of both sides (bulky results belong to their own report, not the
    history). The model must be registered (``register_audited(model, signals=False)``) to be placed.
    """
    after = {k: v for k, v in serialize_for_audit(instance).items() if k not in omit}
    if before is not None:
        before = {k: v for k, v in before.items() if k not in omit}
        if before == after:
            return None
    action = AuditAction.CREATE if before is None else AuditAction.UPDATE
    entry = _entry(action, instance, before, after, current_change_context(), timezone.now())
    append_entries([entry])
    _announce([entry], sender=type(instance))
    return entry


def audit_bulk(
    action: str,
    instances: Iterable[models.Model],
    *,
    befores: dict[int, dict[str, Any]] | None = None,
    design: Any = None,
    host_names: dict[int, str] | None = None,
) -> None:
    """Record entries for objects of one model written with bulk operations (which send no signals).

    ``design`` (an object with ``pk`` and ``name``, or None) is where all of them belong.
    ``host_names`` maps object ids to the name of the host they belong to (the caller knows it without
    queries; looking it up here would cost one query per object).
    """
    ctx = current_change_context()
    now = timezone.now()
    user = ctx.acting_user()
    rows = []
    model: type[models.Model] = models.Model
    for obj in instances:
        model = type(obj)
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
    append_entries(rows)
    if rows:
        _announce(rows, sender=model, bulk=True)


# --- signal receivers --------------------------------------------------------------------------------------


def _on_pre_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **_: Any) -> None:
    instance._audit_moved_from = None  # type: ignore[attr-defined]
    if raw or instance.pk is None:
        instance._audit_before = None  # type: ignore[attr-defined]
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = serialize_for_audit(old) if old is not None else None  # type: ignore[attr-defined]
    if old is not None:
        old_place = place_of(old)
        if old_place[0] is not None and old_place[0] != place_of(instance)[0]:
            # Moved to another design (a host's design, a jail's host ...): the design it left changed too.
            instance._audit_moved_from = old_place  # type: ignore[attr-defined]


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
    entries = [entry]
    moved_from = getattr(instance, "_audit_moved_from", None)
    if moved_from is not None:
        # The same change in the history of the design the object left.
        left = copy.copy(entry)
        left.design_id, left.design_name, left.host_name = moved_from
        entries.append(left)
    append_entries(entries)
    _announce(entries, sender=sender)


def _on_pre_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    entry = _entry(
        AuditAction.DELETE, instance, serialize_for_audit(instance), None, current_change_context(), timezone.now()
    )
    append_entries([entry])
    _announce([entry], sender=sender)
