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

import gc
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce

from core.models import AuditEntry

from .. import models as m
from .. import snapshot as s
from ..kinds import KINDS, Kind, reading_order
from ..validation import RULES, ValidationReport
from ..validation.incremental import IncrementalValidator

# More entries than this since the last look (an import, a restore): reading everything is as fast.
MAX_ENTRIES = 200
# Designs kept per process (each holds its snapshot and its findings: some 100 MB for 1,000 hosts).
MAX_DESIGNS = 4
# Hosts from which a design read whole is put out of the cycle collector's way (``_leave_out_of_collections``).
LARGE_DESIGN_HOSTS = 100

_HOST_KINDS = tuple(k for k in reading_order() if k.name not in ("vxlan-segment", "vxlan-member"))
_SEGMENT_KINDS = (KINDS["vxlan-member"], KINDS["vxlan-segment"])
# Audit entries of these models are of a host's objects; entries of other models are not design content.
_MODEL_KIND = {k.model._meta.model_name: k.name for k in KINDS.values()}
# Objects whose names VXLAN members show (host, underlay interface, switch): a rename re-reads the segments.
_NAMED_BY_MEMBERS = frozenset({"host", "interface", "switch"})
_NAME_COLUMN = {kind: KINDS[kind].column_index("name") for kind in _NAMED_BY_MEMBERS}


@dataclass
class _Live:
    """One design's snapshot as of audit entry ``audit_id``, and the rows it was built from."""

    created: Any  # the design's creation time: a new design that got the id of a deleted one is another design
    audit_id: int
    snapshot: s.DesignSnapshot
    host_ids: tuple[int, ...]  # in snapshot order
    rows: dict[int, dict[str, list[tuple[Any, ...]]]] = field(default_factory=dict)  # host id -> kind -> rows
    owner: dict[tuple[str, int], int] = field(default_factory=dict)  # (kind, id) of an object -> its host's id
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
        full_reads = live.full_reads
        _catch_up(live, design)
        if live.full_reads != full_reads and len(live.host_ids) >= LARGE_DESIGN_HOSTS:
            _leave_out_of_collections()
        return live.snapshot


def design_live_validation(*, design: m.Design) -> ValidationReport:
    """The design's validation report as ``topology.validation.validate`` gives it, computed incrementally."""
    live = _live(design)
    with live.lock:
        full_reads = live.full_reads
        _catch_up(live, design)
        if live.report is None:
            live.report = live.validator.validate(live.snapshot)
        if live.full_reads != full_reads and len(live.host_ids) >= LARGE_DESIGN_HOSTS:
            _leave_out_of_collections()
        return live.report


def forget_live_designs() -> None:
    """Drop every kept design (tests; a process that changed designs behind the audit history's back)."""
    with _designs_lock:
        _designs.clear()


def _catch_up(live: _Live, design: m.Design) -> None:
    """Bring ``live`` up to date. When that takes a transaction of its own (PostgreSQL, outside one), one
    indexed look at the audit history first spares it if nothing changed since (the designer's second
    request after an edit, every request of a reader): three round trips fewer."""
    if live.audit_id >= 0 and _own_transaction() and not _entries_after(design, live.audit_id).exists():
        return
    with _one_moment():
        _refresh(live, design)


def _entries_after(design: m.Design, audit_id: int) -> Any:
    """The design's audit entries after ``audit_id``, in order (index ``audit_design_idx``)."""
    return AuditEntry.objects.filter(design_id=design.pk, id__gt=audit_id).order_by("id")


@contextmanager
def _one_moment() -> Iterator[None]:
    """Every read in the block sees the database at one moment (PostgreSQL: a REPEATABLE READ transaction),
    so a change committed between reading the audit entries and reading the hosts is not half seen. Inside
    a transaction already (tests, a service), its reads are what they are."""
    if not _own_transaction():
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _own_transaction() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _live(design: m.Design) -> _Live:
    with _designs_lock:
        live = _designs.get(design.pk)
        if live is None or live.created != design.created:
            live = _designs[design.pk] = _Live(design.created, -1, s.DesignSnapshot(name=design.name), ())
        _designs.move_to_end(design.pk)
        while len(_designs) > MAX_DESIGNS:
            _designs.popitem(last=False)
        return live


def _refresh(live: _Live, design: m.Design) -> None:
    """Bring ``live`` up to the design's latest recorded change."""
    entries = list(
        _entries_after(design, live.audit_id).values_list("id", "object_type__model", "object_id", "host_name")[
            : MAX_ENTRIES + 1
        ]
    )
    if live.audit_id < 0 or len(entries) > MAX_ENTRIES:
        _read_all(live, design)
        return
    content = [(kind, pk, host) for _, model, pk, host in entries if (kind := _MODEL_KIND.get(model)) is not None]
    if not content:
        if entries:
            live.audit_id = entries[-1][0]
        return
    ids_by_name = {h.name: pk for h, pk in zip(live.snapshot.hosts, live.host_ids, strict=True)}
    # Host id -> the kinds of its rows to read again.
    wanted: defaultdict[int, set[str]] = defaultdict(set)
    segments = hosts_changed = False
    segment_ids: set[int] = set()  # segments and members named by the entries
    member_ids: set[int] = set()
    for kind, pk, host_name in content:
        if kind == "design":
            _read_all(live, design)
            return
        if kind == "host":
            wanted[pk] |= {"host"} if pk in live.rows else set(_ALL_HOST_KINDS)
            hosts_changed = True
        elif kind in ("vxlan-segment", "vxlan-member"):
            segments = True  # these segments are read again (all of them when that is simpler)
            (segment_ids if kind == "vxlan-segment" else member_ids).add(pk)
        elif host_name in ids_by_name:
            wanted[ids_by_name[host_name]].add(kind)
        else:  # a host renamed, or an object placed nowhere: not attributable
            _read_all(live, design)
            return
    # Hosts come, go or change their names (their order) only with an entry of their own.
    order = (
        tuple(m.Host.objects.filter(design=design).order_by("name").values_list("id", flat=True))
        if hosts_changed
        else live.host_ids
    )
    if any(host_id not in live.rows and host_id not in wanted for host_id in order):
        _read_all(live, design)  # a host the audit history did not tell us of
        return
    fresh = _read_rows(live, design, wanted)
    old = dict(zip(live.host_ids, live.snapshot.hosts, strict=True))
    all_segments = not set(old) <= set(order) or _member_names_changed(live, fresh)
    for host_id in set(old) - set(order):  # hosts deleted (or moved to another design)
        for kind, rows in live.rows.pop(host_id, {}).items():
            for row in rows:
                if live.owner.get((kind, row[0])) == host_id:
                    del live.owner[(kind, row[0])]
    for host_id, kinds in fresh.items():
        host_rows = live.rows.setdefault(host_id, {})
        for kind, rows in kinds.items():
            for row in host_rows.get(kind, ()):
                if live.owner.get((kind, row[0])) == host_id:
                    del live.owner[(kind, row[0])]
            host_rows[kind] = rows
        for kind, rows in kinds.items():
            live.owner.update(dict.fromkeys(((kind, row[0]) for row in rows), host_id))
    hosts = []
    for host_id in order:
        previous = old.get(host_id)
        if host_id in fresh or previous is None:
            new = _build_host(live, design, host_id)
            if new is None:  # its row is gone: the audit history will say so
                continue
            hosts.append(previous if previous == new else new)
        else:
            hosts.append(previous)
    if all_segments:
        vxlan_segments = _read_segments(live, design)
    elif segments:
        vxlan_segments = _read_some_segments(live, design, segment_ids, member_ids) or _read_segments(live, design)
    else:
        vxlan_segments = live.snapshot.vxlan_segments
    live.snapshot = replace(live.snapshot, hosts=tuple(hosts), vxlan_segments=vxlan_segments)
    live.host_ids = tuple(h for h in order if h in live.rows and "host" in live.rows[h] and live.rows[h]["host"])
    live.audit_id = entries[-1][0]
    live.report = None


def _read_rows(
    live: _Live, design: m.Design, wanted: defaultdict[int, set[str]]
) -> dict[int, dict[str, list[tuple[Any, ...]]]]:
    """Read the wanted kinds' rows of the wanted hosts (one query per kind), and again for an object that
    moved from another host (a NIC given to a jail elsewhere): that host's rows of its kind and below."""
    fresh: dict[int, dict[str, list[tuple[Any, ...]]]] = {}
    pending = {host_id: _with_dependents(kinds) for host_id, kinds in wanted.items()}
    while pending:
        for host_id, kinds in pending.items():
            for name in kinds:
                fresh.setdefault(host_id, {})[name] = []
        moved: defaultdict[int, set[str]] = defaultdict(set)
        for kind in _HOST_KINDS:
            host_ids = [host_id for host_id, kinds in pending.items() if kind.name in kinds]
            if not host_ids:
                continue
            for host_id, row in _query(kind, design, host_ids):
                fresh[host_id][kind.name].append(row)
                was = live.owner.get((kind.name, row[0]))
                if was is not None and was != host_id:
                    below = _BELOW[kind.name] | {kind.name}
                    for side in (was, host_id):
                        moved[side] |= below - set(fresh.get(side, {}))
        pending = {host_id: _with_dependents(kinds) for host_id, kinds in moved.items() if kinds}
    return fresh


def _query(kind: Kind, design: m.Design, host_ids: Collection[int] | None = None) -> Iterator[tuple[int, Any]]:
    """(host id, row) of the kind's rows (of these hosts)."""
    for row in kind.queryset(design, host_ids=host_ids).annotate(_host=_HOST_OF[kind.name]):
        yield row[-1], row[:-1]


def _build_host(live: _Live, design: m.Design, host_id: int) -> s.Host | None:
    """The host built from its kept rows, its release resolved."""
    rows = live.rows.get(host_id, {})
    owned: dict[tuple[str, str], defaultdict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for kind in _HOST_KINDS:
        read = kind.reader(owned)
        kind_rows = rows.get(kind.name, ())
        if len(kind.parents) == 1:
            group = owned[(kind.name, kind.parents[0])]
            for row in kind_rows:
                group[row[-1]].append(read(row))
            continue
        groups = [(owned[(kind.name, parent)], index - len(kind.parents)) for index, parent in enumerate(kind.parents)]
        for row in kind_rows:
            obj = read(row)
            for group, index in groups:
                if row[index] is not None:
                    group[row[index]].append(obj)
    hosts = owned[("host", "design")].get(design.pk, [])
    if not hosts:
        return None
    return s.resolve_releases(replace(live.snapshot, hosts=(hosts[0],), vxlan_segments=())).hosts[0]


def _read_all(live: _Live, design: m.Design) -> None:
    """Read the whole design (as ``design_snapshot`` does, keeping the rows per host)."""
    # The entries' high mark first: a change committed while reading is then read again next time.
    last = AuditEntry.objects.filter(design_id=design.pk).order_by("-id").values_list("id", flat=True).first()
    design.refresh_from_db()
    top = KINDS["design"]
    values = {f: getattr(design, f) for f in top.snapshot_fields if not any(f == a for a, _ in top.children)}
    live.snapshot = s.DesignSnapshot(**values)
    live.rows, live.owner = {}, {}
    order = []
    for kind in _HOST_KINDS:
        for host_id, row in _query(kind, design):
            live.rows.setdefault(host_id, {}).setdefault(kind.name, []).append(row)
            live.owner[(kind.name, row[0])] = host_id
            if kind.name == "host":
                order.append(host_id)
    hosts = [_build_host(live, design, host_id) for host_id in order]
    live.snapshot = replace(
        live.snapshot, hosts=tuple(h for h in hosts if h is not None), vxlan_segments=_read_segments(live, design)
    )
    live.host_ids = tuple(order)
    live.audit_id = last if last is not None else 0
    live.report = None
    live.full_reads += 1


def _leave_out_of_collections() -> None:
    """Collect now and freeze what survives, so that Python's cycle collector leaves it out of later runs.

    A large design read whole leaves hundreds of thousands of objects that live on (its snapshot and findings):
    each full collection of the cycle collector went through all of them, some 0.5 s for the 1,000-host design,
    paid by whichever request happened to trigger it (an edit's validation, a render). Collected once here, in
    the request that read everything anyway, then frozen, they are skipped from then on. The snapshot and findings
    hold no reference cycles to speak of: when newer ones replace them, reference counting frees them as before."""
    gc.collect()
    gc.freeze()


def _member_names_changed(live: _Live, fresh: dict[int, dict[str, list[tuple[Any, ...]]]]) -> bool:
    """Whether a host, interface or switch that VXLAN members name (by their rows) was renamed or is gone
    from its host's fresh rows: then the segments are read again. A new object is named by no member yet,
    and a change of another field shows in no member."""
    for host_id, kinds in fresh.items():
        kept = live.rows.get(host_id, {})
        for kind in _NAMED_BY_MEMBERS.intersection(kinds):
            name = _NAME_COLUMN[kind]
            now = {row[0]: row[name] for row in kinds[kind]}
            if any(now.get(row[0]) != row[name] for row in kept.get(kind, ())):
                return True
    return False


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


def _read_some_segments(
    live: _Live, design: m.Design, segment_ids: set[int], member_ids: set[int]
) -> tuple[s.VxlanSegment, ...] | None:
    """The kept segments with those the entries name (directly or through a member, before or after it moved)
    read again, in their places; None when a segment came, went or was renamed (its place in the name order
    is the database's to say: then all are read again)."""
    kept = live.snapshot.vxlan_segments
    places = {seg.id for seg in kept}
    touched: set[int | None] = set(segment_ids)
    touched |= {seg.id for seg in kept for mb in seg.members if mb.id in member_ids}
    touched |= set(
        m.VxlanMember.objects.filter(pk__in=member_ids, segment__design=design).values_list("segment_id", flat=True)
    )
    if not touched <= places:
        return None
    owned: dict[tuple[str, str], defaultdict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    member_kind, segment_kind = _SEGMENT_KINDS
    for kind, rows in (
        (member_kind, member_kind.queryset(design).filter(segment_id__in=touched)),
        (segment_kind, segment_kind.queryset(design).filter(pk__in=touched)),
    ):
        read = kind.reader(owned)
        group = owned[(kind.name, kind.parents[0])]
        for row in rows:
            group[row[-1]].append(read(row))
    fresh = {seg.id: seg for seg in owned[("vxlan-segment", "design")].get(design.pk, [])}
    if set(fresh) != touched or any(fresh[seg.id].name != seg.name for seg in kept if seg.id in fresh):
        return None
    return tuple(fresh[seg.id] if seg.id in fresh and fresh[seg.id] != seg else seg for seg in kept)


def _host_expression(kind: Kind) -> Any:
    """The id of the host a row of ``kind`` belongs to, as a query expression."""
    paths = [lookup.removesuffix("design").removesuffix("__") for lookup in kind.design_lookups]
    columns = [F(path) if path else F("pk") for path in paths]
    return Coalesce(*columns) if len(columns) > 1 else columns[0]


def _below(kind: Kind) -> set[str]:
    """The kinds owned by ``kind``, directly or further down."""
    out: set[str] = set()
    for _, child in kind.children:
        out |= {child.kind} | _below(KINDS[child.kind])
    return out


def _with_dependents(kinds: set[str]) -> set[str]:
    """``kinds`` and the kinds whose rows show their names (a jail NIC shows its switch's name)."""
    out = set(kinds)
    while True:
        more = {dependent for kind in out for dependent in _NAMING.get(kind, ())} - out
        if not more:
            return out
        out |= more


_HOST_OF = {kind.name: _host_expression(kind) for kind in _HOST_KINDS}
_ALL_HOST_KINDS = frozenset(kind.name for kind in _HOST_KINDS)
_BELOW = {kind.name: _below(kind) & _ALL_HOST_KINDS for kind in _HOST_KINDS}
# Kind -> the kinds that refer to it by name (their rows carry the name, read through the foreign key).
_NAMING: dict[str, set[str]] = defaultdict(set)
for _kind in _HOST_KINDS:
    for _, _ref in _kind.refs:
        _NAMING[_ref.target].add(_kind.name)


__all__ = ["design_live_snapshot", "design_live_validation", "forget_live_designs"]
