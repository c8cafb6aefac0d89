"""The live snapshot of a stored design, brought up to date per edit, and its validation report.

``design_snapshot`` reads a whole design (18 queries, ~0.7 s for 1,000 hosts) and ``validate`` checks all of
it (~2 s): too slow to run after every edit in the designer. This module keeps, per design and per process,
the last snapshot and an :class:`~topology.validation.incremental.IncrementalValidator`, and brings them up
to date from the audit history: every change of a design object is recorded there in the transaction that
makes it, with the design and host it belongs to, and entries become visible in the order of their ids (the
writers serialise on the audit chain's head, ``core.audit_chain``). So after an edit only the hosts it
touched are read again (the same declared queries, filtered to those hosts), the hosts' order is read (one
query of ids), the VXLAN segments are read again when an edit can change them (names they refer to), and
the objects of everything else are kept — which lets the validator reuse their findings.

The result equals ``design_snapshot`` of the design at that moment (``tests/topology/test_live_design.py``
checks this for random sequences of edits). What this cannot attribute to hosts — a change of the design's
own fields, a rename of a host, an import of many objects — makes it read the whole design again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from core.models import AuditEntry

from .. import models as m
from .. import snapshot as s
from ..kinds import KINDS, Kind, reading_order
from ..selectors import design_snapshot
from ..validation import RULES, ValidationReport
from ..validation.incremental import IncrementalValidator

# More entries than this since the last look (an import, a restore): reading everything is as fast.
MAX_ENTRIES = 200
# Designs kept per process (each holds its snapshot and its findings).
MAX_DESIGNS = 8

_HOST_KINDS = tuple(k for k in reading_order() if k.name not in ("vxlan-segment", "vxlan-member"))
_SEGMENT_KINDS = (KINDS["vxlan-member"], KINDS["vxlan-segment"])
# Audit entries of these models are of a host's objects; entries of other models are not design content.
_MODEL_KIND = {k.model._meta.model_name: k.name for k in KINDS.values()}
# Objects whose names VXLAN members refer to (host, underlay interface, switch): their change re-reads segments.
_NAMED_BY_MEMBERS = frozenset({"host", "interface", "switch", "vxlan-segment", "vxlan-member"})


@dataclass
class _Live:
    """One design's snapshot as of audit entry ``audit_id``, and what it takes to update it."""

    created: Any  # the design's creation time: a new design that got the id of a deleted one is another design
    audit_id: int
    snapshot: s.DesignSnapshot
    host_ids: tuple[int, ...]  # in snapshot order
    owner: dict[tuple[str, int], int]  # (kind, id) of every object below a host -> that host's id
    keys: dict[int, set[tuple[str, int]]] = field(default_factory=dict)  # host id -> its objects' (kind, id)
    validator: IncrementalValidator = field(default_factory=lambda: IncrementalValidator(RULES))
    report: ValidationReport | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    full_reads: int = 0  # how often the whole design was read (for tests)


_designs: OrderedDict[int, _Live] = OrderedDict()
_designs_lock = threading.Lock()


def design_live_snapshot(*, design: m.Design) -> s.DesignSnapshot:
    """The design's snapshot as ``topology.selectors.design_snapshot`` gives it, read incrementally."""
    live = _live(design)
    with live.lock:
        _refresh(live, design)
        return live.snapshot


def design_live_validation(*, design: m.Design) -> ValidationReport:
    """The design's validation report as ``topology.validation.validate`` gives it, computed incrementally."""
    live = _live(design)
    with live.lock:
        _refresh(live, design)
        if live.report is None:
            live.report = live.validator.validate(live.snapshot)
        return live.report


def forget_live_designs() -> None:
    """Drop every kept design (tests; a process that changed designs behind the audit history's back)."""
    with _designs_lock:
        _designs.clear()


def _live(design: m.Design) -> _Live:
    with _designs_lock:
        live = _designs.get(design.pk)
        if live is None or live.created != design.created:
            live = _designs[design.pk] = _Live(design.created, -1, s.DesignSnapshot(name=design.name), (), {})
        _designs.move_to_end(design.pk)
        while len(_designs) > MAX_DESIGNS:
            _designs.popitem(last=False)
        return live


def _refresh(live: _Live, design: m.Design) -> None:
    """Bring ``live`` up to the design's latest recorded change."""
    entries = list(
        AuditEntry.objects.filter(design_id=design.pk, id__gt=live.audit_id)
        .order_by("id")
        .values_list("id", "object_type__model", "object_id", "host_name")[: MAX_ENTRIES + 1]
    )
    if live.audit_id < 0 or len(entries) > MAX_ENTRIES:
        _read_all(live, design)
        return
    content = [(entry_id, _MODEL_KIND.get(model), pk, host) for entry_id, model, pk, host in entries]
    content = [e for e in content if e[1] is not None]
    if not content:
        if entries:
            live.audit_id = entries[-1][0]
        return
    ids_by_name = {h.name: pk for h, pk in zip(live.snapshot.hosts, live.host_ids, strict=True)}
    dirty: set[int] = set()
    segments = hosts_changed = False
    for _, kind, pk, host_name in content:
        segments = segments or kind in _NAMED_BY_MEMBERS
        if kind == "design":
            _read_all(live, design)
            return
        if kind == "host":
            dirty.add(pk)
            hosts_changed = True
        elif kind in ("vxlan-segment", "vxlan-member"):
            continue  # segments are read again
        elif host_name in ids_by_name:
            dirty.add(ids_by_name[host_name])
        else:  # a host renamed, or an object placed nowhere: not attributable
            _read_all(live, design)
            return
    # Hosts come, go or change their names (their order) only with an entry of their own.
    order = (
        tuple(m.Host.objects.filter(design=design).order_by("name").values_list("id", flat=True))
        if hosts_changed
        else live.host_ids
    )
    read = _read_hosts(live, design, dirty)
    # An object that moved from another host (a NIC given to another jail): that host changed too.
    while True:
        moved = {
            owner
            for host_id, (_, ids) in read.items()
            for key in ids
            if (owner := live.owner.get(key, host_id)) != host_id and owner not in read
        }
        if not moved:
            break
        read.update(_read_hosts(live, design, moved))
    old = dict(zip(live.host_ids, live.snapshot.hosts, strict=True))
    for host_id in {*read, *(set(old) - set(order))}:
        for key in live.keys.pop(host_id, ()):
            live.owner.pop(key, None)
    hosts = []
    for host_id in order:
        if host_id in read:
            new, ids = read[host_id]
            live.owner.update(dict.fromkeys(ids, host_id))
            live.keys[host_id] = ids
            previous = old.get(host_id)
            hosts.append(previous if previous == new else new)
        elif host_id in old:
            hosts.append(old[host_id])
        else:  # a host the audit history did not tell us of: read everything
            _read_all(live, design)
            return
    vxlan_segments = _read_segments(live, design) if segments else live.snapshot.vxlan_segments
    live.snapshot = replace(live.snapshot, hosts=tuple(hosts), vxlan_segments=vxlan_segments)
    live.host_ids = order
    live.audit_id = entries[-1][0]
    live.report = None


def _read_all(live: _Live, design: m.Design) -> None:
    # The entries' high mark first: a change committed while reading is then read again next time.
    last = AuditEntry.objects.filter(design_id=design.pk).order_by("-id").values_list("id", flat=True).first()
    design.refresh_from_db()
    snapshot = design_snapshot(design=design)
    live.host_ids = tuple(m.Host.objects.filter(design=design).order_by("name").values_list("id", flat=True))
    live.owner = {}
    live.keys = {}
    for host, host_id in zip(snapshot.hosts, live.host_ids, strict=True):
        live.keys[host_id] = set(_object_keys(KINDS["host"], host))
        live.owner.update(dict.fromkeys(live.keys[host_id], host_id))
    live.snapshot = snapshot
    live.audit_id = last if last is not None else 0
    live.report = None
    live.full_reads += 1


def _read_hosts(live: _Live, design: m.Design, host_ids: Collection[int]) -> dict[int, tuple[s.Host, set[Any]]]:
    """These hosts as the database has them now (deleted ones are missing), with the keys of their objects."""
    if not host_ids:
        return {}
    owned: dict[tuple[str, str], defaultdict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for kind in _HOST_KINDS:
        read = kind.reader(owned)
        rows = kind.queryset(design, host_ids=host_ids)
        if len(kind.parents) == 1:
            group = owned[(kind.name, kind.parents[0])]
            for row in rows:
                group[row[-1]].append(read(row))
            continue
        groups = [(owned[(kind.name, parent)], index - len(kind.parents)) for index, parent in enumerate(kind.parents)]
        for row in rows:
            obj = read(row)
            for group, index in groups:
                if row[index] is not None:
                    group[row[index]].append(obj)
    hosts = owned[("host", "design")].get(design.pk, [])
    resolved = s.resolve_releases(replace(live.snapshot, hosts=tuple(hosts), vxlan_segments=())).hosts
    return {host.id: (host, set(_object_keys(KINDS["host"], host))) for host in resolved if host.id is not None}


def _read_segments(live: _Live, design: m.Design) -> tuple[s.VxlanSegment, ...]:
    """The design's VXLAN segments read again; a segment equal to the kept one stays the same object."""
    owned: dict[tuple[str, str], defaultdict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for kind in _SEGMENT_KINDS:
        read = kind.reader(owned)
        group = owned[(kind.name, kind.parents[0])]
        for row in kind.queryset(design):
            group[row[-1]].append(read(row))
    kept = {seg.id: seg for seg in live.snapshot.vxlan_segments}
    segments = owned[("vxlan-segment", "design")].get(design.pk, [])
    return tuple(kept[seg.id] if kept.get(seg.id) == seg else seg for seg in segments)


def _object_keys(kind: Kind, obj: Any) -> Iterable[tuple[str, int]]:
    """(kind, id) of ``obj`` and of every object it owns."""
    if obj.id is not None:
        yield kind.name, obj.id
    for attr, child in kind.children:
        value = getattr(obj, attr)
        for item in (value,) if child.single else value:
            if item is not None:
                yield from _object_keys(KINDS[child.kind], item)


__all__ = ["design_live_snapshot", "design_live_validation", "forget_live_designs"]
