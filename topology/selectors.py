"""Reads of the topology room. ``design_snapshot`` builds the frozen input of validation and rendering.

The snapshot is built with a fixed number of queries (one per kind of object, whatever the size of the
design), reading tuples with ``values_list`` rather than model instances: a design with 20,000 jails
must snapshot in well under a second. Which columns are read and where each value goes is derived, by
field name, from the declarations in ``topology.kinds``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from core.models import AuditAction, AuditEntry

from . import models as m
from . import snapshot as s
from .kinds import KINDS, reading_order


def design_snapshot(*, design: m.Design) -> s.DesignSnapshot:
    """The whole design as immutable dataclasses, collections in canonical order."""
    # (kind, parent foreign key) -> parent id -> that parent's objects of the kind, in canonical order.
    owned: dict[tuple[str, str], defaultdict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for kind in reading_order():
        read = kind.reader(owned)
        rows = kind.queryset(design)
        if len(kind.parents) == 1:
            group = owned[(kind.name, kind.parents[0])]
            for row in rows:
                group[row[-1]].append(read(row))
            continue
        # A firewall policy belongs to a host or to a jail: file it under whichever it has.
        groups = [(owned[(kind.name, parent)], index - len(kind.parents)) for index, parent in enumerate(kind.parents)]
        for row in rows:
            obj = read(row)
            for group, index in groups:
                if row[index] is not None:
                    group[row[index]].append(obj)
    top = KINDS["design"]
    values = {f: getattr(design, f) for f in top.snapshot_fields if not any(f == a for a, _ in top.children)}
    hosts = owned[("host", "design")].get(design.pk, [])
    segments = owned[("vxlan-segment", "design")].get(design.pk, [])
    # Blank releases are inherited (host: the design's default, jail: its host's); resolved here once.
    return s.resolve_releases(s.DesignSnapshot(**values, hosts=tuple(hosts), vxlan_segments=tuple(segments)))


def design_contributor_ids(*, design_id: int, since: dt.datetime | None) -> set[int]:
    """The users who changed the content of a design since ``since`` (None: ever), from its audit history.

    Only changes of what the design renders count: creates and deletes of design objects, and updates
    that are not canvas moves. Lab operations and change-request actions are in the same history but
    change no content.
    """
    from .auditing import DESIGN_MODELS, is_content_change

    entries = AuditEntry.objects.filter(
        design_id=design_id,
        user_id__isnull=False,
        object_type__app_label="topology",
        object_type__model__in=[model._meta.model_name for model in DESIGN_MODELS],
    ).order_by()
    if since is not None:
        entries = entries.filter(time__gte=since)
    # Creates and deletes always change content: one query. Updates are looked at only for the other users.
    found = set(entries.exclude(action=AuditAction.UPDATE).values_list("user_id", flat=True).distinct())
    for user_id, before, after in (
        entries.filter(action=AuditAction.UPDATE).exclude(user_id__in=found).values_list("user_id", "before", "after")
    ).iterator():
        if user_id not in found and is_content_change(before, after):
            found.add(user_id)
    return found
