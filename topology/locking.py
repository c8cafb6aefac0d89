"""The design row is the lock that content edits and change-request transitions serialize on.

Lock order (``docs/change-requests.md``): the design rows involved, in ascending id -> the edited
object's row -> change-request rows. Object services take the design locks first through the write lock
registered here with ``core.services``; the ``pre_save``/``pre_delete`` receivers take them for any other
write path; a change-request transition locks its request's design before the request.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.db.models.signals import pre_delete, pre_save

from core.services import register_write_lock

from . import models as m
from .auditing import DESIGN_MODELS, place_of


def lock_designs(design_ids: Iterable[int | None]) -> None:
    """Take the row locks of these designs for the rest of the transaction, in ascending id.

    Outside a transaction (autocommit) there is nothing to hold a lock for; on SQLite, whose write
    transactions are serialized as a whole (``BEGIN IMMEDIATE``), ``FOR UPDATE`` is a no-op.
    """
    ids = sorted({i for i in design_ids if i is not None})
    if ids and transaction.get_connection().in_atomic_block:
        list(m.Design.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def _design_of(instance: models.Model) -> int | None:
    if type(instance) not in DESIGN_MODELS:
        return None
    try:
        return place_of(instance)[0]
    except models.ObjectDoesNotExist:  # a parent not saved yet or gone in the same cascade
        return None


def _lock_for_write(instance: models.Model, data: Mapping[str, Any] | None) -> None:
    """The write lock of the object services: the design the object is in and the one ``data`` moves it to."""
    if type(instance) not in DESIGN_MODELS:
        return
    designs = [_design_of(instance)]
    if data:
        moved = copy.copy(instance)
        fields = {f.name for f in instance._meta.concrete_fields}
        for key, value in data.items():
            if key in fields:
                setattr(moved, key, value)
        designs.append(_design_of(moved))
    lock_designs(designs)


def _lock_before_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **_: Any) -> None:
    if not raw:
        lock_designs([_design_of(instance)])


def _lock_before_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    lock_designs([_design_of(instance)])


def connect_locking() -> None:
    """Lock designs before every write of their objects (``TopologyConfig.ready``)."""
    register_write_lock(_lock_for_write)
    for model in DESIGN_MODELS:
        uid = f"jailnet-design-lock-{model._meta.label}"
        pre_save.connect(_lock_before_save, sender=model, dispatch_uid=uid + "-save")
        pre_delete.connect(_lock_before_delete, sender=model, dispatch_uid=uid + "-delete")
