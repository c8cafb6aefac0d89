"""Reads of the topology room. ``design_snapshot`` builds the frozen input of validation and rendering.

The snapshot is built with a fixed number of queries (one per kind of object, whatever the size of the
design), reading tuples with ``values_list`` rather than model instances: a design with 20,000 jails
must snapshot in well under a second. Which columns are read and where each value goes is derived, by
field name, from the declarations in ``topology.kinds``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from . import models as m
from . import snapshot as s
from .kinds import KINDS, reading_order


def design_snapshot(*, design: m.Design) -> s.DesignSnapshot:
    """The whole design as immutable dataclasses, collections in canonical order."""
    # (kind, parent foreign key) -> parent id -> that parent's objects of the kind, in canonical order.
    owned: dict[tuple[str, str], defaultdict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for kind in reading_order():
        read = kind.reader()
        skip = len(kind.parents)
        groups = [owned[(kind.name, parent)] for parent in kind.parents]
        for row in kind.queryset(design):
            obj = read(row[skip:], owned)
            for index, group in enumerate(groups):
                if row[index] is not None:
                    group[row[index]].append(obj)
    top = KINDS["design"]
    values = {f: getattr(design, f) for f in top.snapshot_fields if not any(f == a for a, _ in top.children)}
    hosts = owned[("host", "design")].get(design.pk, [])
    segments = owned[("vxlan-segment", "design")].get(design.pk, [])
    # Blank releases are inherited (host: the design's default, jail: its host's); resolved here once.
    return s.resolve_releases(s.DesignSnapshot(**values, hosts=tuple(hosts), vxlan_segments=tuple(segments)))
