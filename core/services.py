"""Writes of single objects of every app: create, update, delete.

Every create, update and delete of a design object (and of the inventory's credentials and managed
hosts) made through the API or the admin goes through the three functions of this module. They share
these rules:

* **Model validation first.** ``full_clean()`` runs before every save, so field validators, unique
  constraints and check constraints answer with a :class:`~django.core.exceptions.ValidationError`
  (``{field: [message]}``), never with a database error.
* **Cross-object checks.** Rules that involve other objects (a design's "references stay on one host",
  see ``topology/services/relations.py``) are registered by their app with :func:`register_relation_check`
  and run after model validation. A violation is a ``ValidationError`` naming the offending field.
* **Optimistic concurrency.** Every model has a ``version``; each successful update increments it.
  A caller that read version *n* passes ``expected_version=n``; if the stored version differs, the
  write is refused with :class:`VersionConflict` (the API answers 409 with the current version and
  ``last_updated``). ``expected_version=None`` means "last writer wins" (the admin uses that).
* **Deleting a referenced object** (a switch with NICs, an interface that is a switch port or a VLAN
  parent, a jail that is a redirect target ...) raises :class:`ObjectInUse` listing what still refers
  to it; nothing is deleted.
* **Write-only attributes.** A key of ``data`` that is not a model field but has a ``set_<key>``
  method on the instance is passed to that method (``Credential.set_secret`` encrypts a secret).

Each function is one transaction: nothing is half-saved when a check fails. Before it locks the object's
own row, each calls the write locks apps registered with :func:`register_write_lock` (the topology room
locks the design rows the object is in and moves to: content edits and change-request transitions
serialize on the design; lock order in ``docs/change-requests.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError

from .models.base import BaseModel

M = TypeVar("M", bound=BaseModel)
User = AbstractBaseUser | AnonymousUser | None

RelationCheck = Callable[[Any], dict[str, list[str]]]

__all__ = [
    "ObjectInUse",
    "VersionConflict",
    "object_create",
    "object_delete",
    "object_update",
    "register_relation_check",
    "relation_errors",
    "versioned",
]


class VersionConflict(Exception):
    """A write based on a stale ``version``: somebody else changed the object in the meantime."""

    def __init__(self, *, instance: BaseModel, expected_version: int):
        self.instance = instance
        self.expected_version = expected_version
        self.current_version: int = instance.version
        self.last_updated: datetime | None = instance.last_updated
        super().__init__(
            f"{instance._meta.verbose_name} '{instance}' was changed by someone else: you sent version "
            f"{expected_version}, the current version is {self.current_version}. Reload it and apply your change again."
        )


class ObjectInUse(Exception):
    """A delete refused because other objects still refer to the object (``on_delete=PROTECT``).

    The message ends with what to do: "remove or re-attach those first", or the ``in_use_hint`` of the
    blocking models when they all have one (history that is kept, not removed).
    """

    def __init__(self, *, instance: models.Model, blockers: list[models.Model]):
        self.instance = instance
        self.blockers = blockers
        shown = ", ".join(f"{b._meta.verbose_name} '{b}'" for b in blockers[:10])
        more = f" and {len(blockers) - 10} more" if len(blockers) > 10 else ""
        hints = {getattr(type(b), "in_use_hint", None) for b in blockers}
        hint = hints.pop() if len(hints) == 1 and None not in hints else "Remove or re-attach those first."
        super().__init__(
            f"{instance._meta.verbose_name} '{instance}' cannot be deleted while it is in use by {shown}{more}. {hint}"
        )


# --- cross-object checks ----------------------------------------------------------------------------


def versioned(obj: models.Model) -> BaseModel:
    """``obj`` as a versioned object; TypeError for a model the object services cannot write (no ``version``)."""
    if not isinstance(obj, BaseModel):
        raise TypeError(f"{type(obj).__name__} is not a BaseModel: the object services write versioned objects only")
    return obj


# Cross-object rules per model, registered by the apps when Django starts (AppConfig.ready).
_relation_checks: dict[type[models.Model], list[RelationCheck]] = {}


def register_relation_check(model: type[models.Model], check: RelationCheck) -> None:
    """Run ``check(instance)`` (returning ``{field: [message]}``) before every write of a ``model`` object."""
    checks = _relation_checks.setdefault(model, [])
    if check not in checks:
        checks.append(check)


def relation_errors(instance: models.Model) -> dict[str, list[str]]:
    """The registered cross-object rules ``instance`` violates, as ``{field: [message]}``."""
    errors: dict[str, list[str]] = {}
    for check in _relation_checks.get(type(instance), ()):
        for field, messages in check(instance).items():
            errors.setdefault(field, []).extend(messages)
    return errors


def _validate(instance: models.Model) -> None:
    """Run model validation and the cross-object checks; raise one ``ValidationError`` with every problem."""
    errors: dict[str, list[str]] = {}
    try:
        instance.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for field, messages in relation_errors(instance).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _apply(instance: models.Model, data: Mapping[str, Any]) -> None:
    """Set model fields from ``data``; keys with a ``set_<key>`` method are write-only attributes."""
    field_names = {f.name for f in instance._meta.concrete_fields}
    for key, value in data.items():
        if key in field_names:
            setattr(instance, key, value)
        elif callable(setter := getattr(instance, f"set_{key}", None)):
            setter(value)
        else:
            raise ValidationError({key: [f"{type(instance).__name__} has no field '{key}'."]})


WriteLock = Callable[[models.Model, Mapping[str, Any] | None], None]
_write_locks: list[WriteLock] = []


def register_write_lock(lock: WriteLock) -> None:
    """Have every object service call ``lock(instance, data)`` first, before it locks the object's own row.

    ``data`` is the update about to be applied (None for a create, whose instance already holds it, and
    for a delete). The lock takes whatever rows the app's rules serialize on, in the app's lock order.
    """
    if lock not in _write_locks:
        _write_locks.append(lock)


def _take_write_locks(instance: models.Model, data: Mapping[str, Any] | None) -> None:
    for lock in _write_locks:
        lock(instance, data)


def _lock_current(instance: M) -> M:
    """Re-read the stored row, locked for the rest of the transaction where the database supports it."""
    return type(instance)._default_manager.select_for_update().get(pk=instance.pk)


def _check_version(current: BaseModel, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != current.version:
        raise VersionConflict(instance=current, expected_version=expected_version)


# --- services -----------------------------------------------------------------------------------------


@transaction.atomic
def object_create(*, model: type[M], data: Mapping[str, Any], user: User = None) -> M:
    """Create a ``model`` object from ``data`` (field name -> value, related objects as instances).

    Raises ``ValidationError`` when a field, a constraint or a cross-object rule is violated.
    """
    instance = model()
    _apply(instance, data)
    _take_write_locks(instance, None)
    _validate(instance)
    instance.save()
    return instance


@transaction.atomic
def object_update(*, instance: M, data: Mapping[str, Any], user: User = None, expected_version: int | None = None) -> M:
    """Change the fields in ``data`` of ``instance``; refuse a stale ``expected_version``; bump ``version``.

    Raises ``VersionConflict`` (stale version) or ``ValidationError``. Returns the saved object.
    """
    _take_write_locks(instance, data)
    current = _lock_current(instance)
    _check_version(current, expected_version)
    # Apply the change to the caller's instance (it may carry prefetched relations) but from the stored state.
    for field in instance._meta.concrete_fields:
        setattr(instance, field.attname, getattr(current, field.attname))
    _apply(instance, data)
    _validate(instance)
    instance.version = current.version + 1
    instance.save()
    return instance


@transaction.atomic
def object_delete(*, instance: BaseModel, user: User = None, expected_version: int | None = None) -> None:
    """Delete ``instance`` and what it owns (cascade); refuse a stale version or an object still referred to.

    Raises ``VersionConflict`` or ``ObjectInUse``.
    """
    _take_write_locks(instance, None)
    current = _lock_current(instance)
    _check_version(current, expected_version)
    try:
        with transaction.atomic():
            # References inside a design are RESTRICT: a host or design takes them with it, while deleting
            # an object that something outside the cascade still refers to is refused.
            current.delete()
    except (ProtectedError, RestrictedError) as exc:
        blockers = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        raise ObjectInUse(instance=current, blockers=list(blockers)) from exc
