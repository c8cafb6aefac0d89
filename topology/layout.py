"""The optional ``layout`` section of a design document: where each node sits on the designer's canvas.

Positions are not design content (they change no configuration, no content hash, no change request), so
they live beside the snapshot, keyed by the names the document uses: ``hosts: {jailhost-a: [x, y]}``,
``switches: {jailhost-a/services: [x, y]}`` and likewise ``jails`` and ``vms`` (per host), and
``vxlan_segments: {vxlan111: [x, y]}``. An exported and re-imported design looks the same.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from . import models as m

# Section name -> (model, whether its names are per host).
LAYOUT_KINDS: dict[str, tuple[type[models.Model], bool]] = {
    "hosts": (m.Host, False),
    "switches": (m.Switch, True),
    "jails": (m.Jail, True),
    "vms": (m.VirtualMachine, True),
    "vxlan_segments": (m.VxlanSegment, False),
}


def _key(host_name: str | None, name: str) -> str:
    return f"{host_name}/{name}" if host_name is not None else name


def design_layout(*, design: m.Design) -> dict[str, dict[str, list[float]]]:
    """The positions of the design's nodes that have one (one query per kind); empty when none has."""
    out: dict[str, dict[str, list[float]]] = {}
    for section, (model, per_host) in LAYOUT_KINDS.items():
        lookup = "host__design" if per_host else "design"
        fields = ("host__name", "name") if per_host else ("name",)
        rows = (
            model._default_manager.filter(**{lookup: design}, position_x__isnull=False, position_y__isnull=False)
            .order_by(*fields)
            .values_list(*fields, "position_x", "position_y")
        )
        placed = {_key(row[0] if per_host else None, row[-3]): [round(row[-2], 1), round(row[-1], 1)] for row in rows}
        if placed:
            out[section] = placed
    return out


def layout_errors(layout: Any) -> list[str]:
    """What is wrong with a document's ``layout`` section (empty: nothing)."""
    if layout is None:
        return []
    if not isinstance(layout, dict):
        return ["layout: a mapping of hosts, switches, jails, vms, vxlan_segments"]
    errors = []
    for section, places in layout.items():
        if section not in LAYOUT_KINDS:
            errors.append(f"layout.{section}: unknown (known: {', '.join(LAYOUT_KINDS)})")
            continue
        if not isinstance(places, dict):
            errors.append(f"layout.{section}: a mapping of name to [x, y]")
            continue
        for name, xy in places.items():
            ok = isinstance(xy, list | tuple) and len(xy) == 2
            if not ok or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in xy):
                errors.append(f"layout.{section}.{name}: expected [x, y] numbers")
    return errors


def apply_layout(*, design: m.Design, layout: dict[str, dict[str, list[float]]]) -> int:
    """Place the design's nodes where ``layout`` says (names it does not know are ignored); how many moved."""
    moved = 0
    for section, places in layout.items():
        model, per_host = LAYOUT_KINDS[section]
        lookup = "host__design" if per_host else "design"
        objs = list(model._default_manager.filter(**{lookup: design}).select_related(*(["host"] if per_host else [])))
        changed = []
        for obj in objs:
            xy = places.get(_key(obj.host.name if per_host else None, obj.name))  # type: ignore[attr-defined]
            if xy is None or (obj.position_x, obj.position_y) == (xy[0], xy[1]):  # type: ignore[attr-defined]
                continue
            obj.position_x, obj.position_y = float(xy[0]), float(xy[1])  # type: ignore[attr-defined]
            changed.append(obj)
        model._default_manager.bulk_update(changed, ["position_x", "position_y"])
        moved += len(changed)
    return moved


def document_with_layout(*, design: m.Design) -> dict[str, Any]:
    """The design's document as exported: its content, then the ``layout`` section when nodes are placed."""
    from .design_io import document_from_snapshot
    from .selectors import design_snapshot

    doc = document_from_snapshot(design_snapshot(design=design))
    layout = design_layout(design=design)
    if layout:
        doc["layout"] = layout
    return doc
