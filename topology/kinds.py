"""One declaration per kind of design object: the model that stores it, the snapshot dataclass that
carries it, and how the two map, field by field.

Everything that moves a field between the database and a snapshot is derived from these declarations:
reading a design's snapshot (``topology.selectors.design_snapshot``), storing an imported document
(``topology.services.designs``) and the frontend's field list (``manage.py kinds_ts`` writes
``frontend/src/model/kinds.generated.ts``). Fields are matched by NAME: a snapshot field maps to the
model field of the same name unless its kind says otherwise here, and a text field that is optional in
the snapshot (``str | None``) is stored blank in the database. So adding a plain field means: the model
field (with its validators), the snapshot dataclass field of the same name, the migration, and the
renderer that uses it. ``tests/topology/test_kinds.py`` checks that every model field of every kind is
mapped or listed in ``not_in_snapshot`` with the reason.

What is declared here, per snapshot field, is only what differs from "same name, same value":

- :class:`Column` — stored under another name (a plain jail address's ``interface`` is ``interface_name``);
- :class:`Ref` — names another object and is stored as a foreign key (a jail NIC's ``switch``);
- :class:`Child` — the objects it owns (a jail's ``nics``), read with one query per kind;
- :class:`Derived` — computed from several columns (a host's ``tools`` from its ``has_*`` flags).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models import Q

from . import models as m
from . import snapshot as s

# Fields every stored object has that are bookkeeping, not design content (the snapshot's ``id`` is the pk).
BOOKKEEPING = frozenset({"id", "created", "last_updated", "version", "position_x", "position_y"})


@dataclass(frozen=True)
class Column:
    """A snapshot field stored in a model field of another name."""

    model_field: str


@dataclass(frozen=True)
class Ref:
    """A snapshot field naming another object of ``target`` kind, stored as the foreign key ``model_field``
    (default: the snapshot field's name). Names are looked up on the same host as the referring object,
    unless ``target`` is a kind whose names are unique in the design (hosts)."""

    target: str
    model_field: str | None = None


@dataclass(frozen=True)
class Child:
    """A snapshot field holding the objects of ``kind`` that belong to this one (through the child's
    foreign key ``via``; default: the child's only parent). ``single``: at most one (a firewall)."""

    kind: str
    via: str | None = None
    single: bool = False


@dataclass(frozen=True)
class Derived:
    """A snapshot field computed from several model fields, and written back to them."""

    columns: tuple[str, ...]
    read: Callable[..., Any]  # column values (in ``columns`` order) -> snapshot value
    write: Callable[[Any], dict[str, Any]]  # snapshot value -> column values


Mapping_ = Column | Ref | Child | Derived


@dataclass(frozen=True)
class Kind:
    """How one kind of design object is stored and snapshotted."""

    name: str  # the API/document name (``jail-nic``), as in ``ObjectRef.kind``
    model: type[models.Model]
    snapshot: type
    parents: tuple[str, ...]  # foreign key(s) to the owning object; a firewall policy has a host or a jail
    design_lookups: tuple[str, ...]  # lookups from the model to its design, OR'ed (one query per kind)
    order_by: tuple[str, ...]  # the snapshot's canonical order (``design_io.canonical_snapshot`` sorts alike)
    fields: Mapping[str, Mapping_] = field(default_factory=dict)  # only snapshot fields that are not plain
    position: str | None = None  # model field holding the object's place in its owner's list
    not_in_snapshot: Mapping[str, str] = field(default_factory=dict)  # model field -> why it is not there

    # -- derived, by field name -------------------------------------------------------------------------

    @cached_property
    def snapshot_fields(self) -> tuple[str, ...]:
        """The snapshot dataclass' fields in declaration order, ``id`` first."""
        names = [f.name for f in dataclasses.fields(self.snapshot) if f.name != "id"]
        return ("id", *names)

    def mapping(self, attr: str) -> Mapping_:
        """How the snapshot field ``attr`` is stored (plain fields: a column of the same name)."""
        return self.fields.get(attr) or Column(attr)

    @cached_property
    def optional_text(self) -> frozenset[str]:
        """Snapshot fields typed ``str | None`` whose column is text stored blank (blank in the database
        is ``None`` in the snapshot)."""
        hints = typing.get_type_hints(self.snapshot, vars(s))
        out = set()
        for attr in self.snapshot_fields:
            mapping = self.mapping(attr)
            if attr == "id" or not isinstance(mapping, Column):
                continue
            model_field = self.model._meta.get_field(mapping.model_field)
            if _is_optional_str(hints[attr]) and not getattr(model_field, "null", False):
                out.add(attr)
        return frozenset(out)

    def ref_field(self, attr: str) -> str:
        """The foreign key behind the reference ``attr``."""
        ref = self.fields[attr]
        assert isinstance(ref, Ref)
        return ref.model_field or attr

    @cached_property
    def refs(self) -> tuple[tuple[str, Ref], ...]:
        """(snapshot field, reference) of every reference, in snapshot order."""
        return tuple((a, r) for a in self.snapshot_fields if isinstance(r := self.mapping(a), Ref))

    @cached_property
    def children(self) -> tuple[tuple[str, Child], ...]:
        """(snapshot field, child) of every owned collection, in snapshot order."""
        return tuple((a, c) for a in self.snapshot_fields if isinstance(c := self.mapping(a), Child))

    def mapped_model_fields(self) -> set[str]:
        """Every model field this declaration reads or writes (parents and position included)."""
        out = set(self.parents)
        if self.position:
            out.add(self.position)
        for attr in self.snapshot_fields:
            mapping = self.mapping(attr)
            if isinstance(mapping, Column):
                out.add(mapping.model_field)
            elif isinstance(mapping, Ref):
                out.add(mapping.model_field or attr)
            elif isinstance(mapping, Derived):
                out.update(mapping.columns)
        return out

    # -- reading (the snapshot) ---------------------------------------------------------------------------

    @cached_property
    def _lookups(self) -> tuple[list[str], list[tuple[str, Any]]]:
        """``values_list`` lookups after the parent ids, and how each snapshot field takes its value:
        (attr, column index) or (attr, (first index, Derived))."""
        lookups: list[str] = []
        takes: list[tuple[str, Any]] = []
        for attr in self.snapshot_fields:
            mapping = self.mapping(attr)
            if isinstance(mapping, Column):
                takes.append((attr, len(lookups)))
                lookups.append(mapping.model_field)
            elif isinstance(mapping, Ref):
                takes.append((attr, len(lookups)))
                lookups.append(f"{mapping.model_field or attr}__name")
            elif isinstance(mapping, Derived):
                takes.append((attr, (len(lookups), mapping)))
                lookups.extend(mapping.columns)
        return lookups, takes

    def column_index(self, attr: str) -> int:
        """Where the plain (or reference) snapshot field ``attr`` is in a row of :meth:`queryset`."""
        index = dict(self._lookups[1])[attr]
        assert isinstance(index, int), f"{self.name}.{attr} is derived from several columns"
        return index

    def queryset(self, design: m.Design, *, host_ids: Collection[int] | None = None) -> models.QuerySet[Any]:
        """This kind's rows of ``design`` as ``values_list`` tuples: the declared columns, then the parent ids
        (last, so that the columns zip with the field names and the ids are ``row[-len(parents):]``).

        ``host_ids``: only the rows of these hosts (kinds below a host, and hosts; ``host__design`` becomes
        ``host__in``)."""
        condition = Q()
        for lookup in self.design_lookups:
            if host_ids is None:
                condition |= Q(**{lookup: design})
            elif self.name == "host":
                condition |= Q(pk__in=host_ids, design=design)
            else:
                assert lookup.endswith("host__design"), f"{self.name} does not belong to a host"
                condition |= Q(**{lookup.removesuffix("design") + "in": host_ids})
        parent_ids = [f"{p}_id" for p in self.parents]
        return (
            self.model._default_manager.filter(condition)
            .order_by(*self.order_by)
            .values_list(*self._lookups[0], *parent_ids)
        )

    def reader(self, owned: Mapping[tuple[str, str], Mapping[int, list[Any]]]) -> Callable[[tuple[Any, ...]], Any]:
        """A function building one snapshot object from a row of :meth:`queryset`; ``owned`` holds the
        children already read, keyed by (child kind, via) then by parent id."""
        plain = [(a, i) for a, i in self._lookups[1] if isinstance(i, int)]
        derived = [(a, i, d) for a, (i, d) in (t for t in self._lookups[1] if not isinstance(t[1], int))]
        optional = tuple(self.optional_text)
        # The children's groups are looked up once here, not per row (the reading order fills them first).
        children = [(a, owned[(c.kind, c.via or KINDS[c.kind].parents[0])], c.single) for a, c in self.children]
        build = self.snapshot

        # Without derived fields, the columns are the plain fields in order: zip them (the common, fast case;
        # zip stops at the names, before the parent ids).
        names = [attr for attr, _ in plain] if not derived else None

        def read(row: tuple[Any, ...]) -> Any:
            values = dict(zip(names, row)) if names else {attr: row[i] for attr, i in plain}  # noqa: B905
            for attr in optional:
                values[attr] = values[attr] or None
            for attr, first, how in derived:
                values[attr] = how.read(*row[first : first + len(how.columns)])
            for attr, group, single in children:
                items = group.get(values["id"], ())
                values[attr] = (items[0] if items else None) if single else tuple(items)
            return build(**values)

        return read

    # -- writing (the import) -----------------------------------------------------------------------------

    def db_values(self, obj: Any) -> dict[str, Any]:
        """The model field values of a snapshot object's own fields (not parents, references or children)."""
        out: dict[str, Any] = {}
        optional = self.optional_text
        for attr in self.snapshot_fields:
            if attr == "id":
                continue
            mapping = self.mapping(attr)
            value = getattr(obj, attr)
            if isinstance(mapping, Column):
                out[mapping.model_field] = (value or "") if attr in optional else value
            elif isinstance(mapping, Derived):
                out.update(mapping.write(value))
        return out


def _is_optional_str(tp: Any) -> bool:
    if typing.get_origin(tp) in (types.UnionType, typing.Union):
        return set(typing.get_args(tp)) == {str, type(None)}
    return False


def _tools_read(*flags: bool) -> tuple[str, ...]:
    return tuple(tool for tool, on in zip(s.HOST_TOOLS, flags, strict=True) if on)


def _tools_write(tools: tuple[str, ...]) -> dict[str, bool]:
    return {column: tool in tools for tool, column in zip(s.HOST_TOOLS, _TOOL_COLUMNS, strict=True)}


_TOOL_COLUMNS = ("has_iocage", "has_pot", "has_vm_bhyve", "has_dnsmasq")  # in ``snapshot.HOST_TOOLS`` order

_DESIGN_ONLY = {
    "required_approvals": "a review setting of the design, not network content",
    "owner": "who answers for the design, not network content",
    "archived": "whether the design list shows it, not network content",
}

# Top-down: a kind comes after the kinds it refers to or belongs to (the import writes in this order).
DECLARATIONS: tuple[Kind, ...] = (
    Kind(
        "design",
        m.Design,
        s.DesignSnapshot,
        parents=(),
        design_lookups=("pk",),
        order_by=("name",),
        fields={"hosts": Child("host"), "vxlan_segments": Child("vxlan-segment")},
        not_in_snapshot=_DESIGN_ONLY,
    ),
    Kind(
        "host",
        m.Host,
        s.Host,
        parents=("design",),
        design_lookups=("design",),
        order_by=("name",),
        fields={
            "tools": Derived(_TOOL_COLUMNS, _tools_read, _tools_write),
            "interfaces": Child("interface"),
            "static_routes": Child("static-route"),
            "switches": Child("switch"),
            "jails": Child("jail"),
            "vms": Child("vm"),
            "dhcp": Child("dhcp-service"),
            "nat": Child("nat"),
            "redirects": Child("port-redirect"),
            "firewall": Child("firewall-policy", via="host", single=True),
        },
        not_in_snapshot={"managed_host": "inventory: where the design's host is deployed, not what it is"},
    ),
    Kind(
        "interface",
        m.Interface,
        s.Interface,
        parents=("host",),
        design_lookups=("host__design",),
        order_by=("host_id", "name"),
        fields={"parent": Ref("interface")},
    ),
    Kind(
        "static-route",
        m.StaticRoute,
        s.StaticRoute,
        parents=("host",),
        design_lookups=("host__design",),
        order_by=("host_id", "name"),
    ),
    Kind(
        "switch",
        m.Switch,
        s.Switch,
        parents=("host",),
        design_lookups=("host__design",),
        order_by=("host_id", "name"),
        fields={"ports": Child("switch-port")},
    ),
    Kind(
        "switch-port",
        m.SwitchPort,
        s.SwitchPort,
        parents=("switch",),
        design_lookups=("switch__host__design",),
        order_by=("switch_id", "interface__name"),
        fields={"interface": Ref("interface")},
    ),
    Kind(
        "jail",
        m.Jail,
        s.Jail,
        parents=("host",),
        design_lookups=("host__design",),
        order_by=("host_id", "name"),
        fields={
            "addresses": Child("jail-address"),
            "nics": Child("jail-nic"),
            "firewall": Child("firewall-policy", via="jail", single=True),
        },
    ),
    Kind(
        "jail-address",
        m.JailAddress,
        s.JailAddress,
        parents=("jail",),
        design_lookups=("jail__host__design",),
        order_by=("jail_id", "index", "id"),
        fields={"interface": Column("interface_name")},
        position="index",
    ),
    Kind(
        "jail-nic",
        m.JailNic,
        s.JailNic,
        parents=("jail",),
        design_lookups=("jail__host__design",),
        order_by=("jail_id", "name"),
        fields={"switch": Ref("switch")},
    ),
    Kind(
        "vm",
        m.VirtualMachine,
        s.VirtualMachine,
        parents=("host",),
        design_lookups=("host__design",),
        order_by=("host_id", "name"),
        fields={"nics": Child("vm-nic")},
    ),
    Kind(
        "vm-nic",
        m.VmNic,
        s.VmNic,
        parents=("vm",),
        design_lookups=("vm__host__design",),
        order_by=("vm_id", "index", "id"),
        fields={"switch": Ref("switch")},
        position="index",
    ),
    Kind(
        "dhcp-service",
        m.DhcpService,
        s.DhcpService,
        parents=("host",),
        design_lookups=("host__design",),
        order_by=("host_id", "switch__name"),
        fields={"switch": Ref("switch"), "static_leases": Child("dhcp-lease")},
    ),
    Kind(
        "dhcp-lease",
        m.DhcpStaticLease,
        s.DhcpStaticLease,
        parents=("service",),
        design_lookups=("service__host__design",),
        order_by=("service_id", "mac"),
    ),
    Kind(
        "nat",
        m.OutboundNat,
        s.OutboundNat,
        parents=("host",),
        design_lookups=("host__design",),
        order_by=("host_id", "interface", "source", "id"),
    ),
    Kind(
        "port-redirect",
        m.PortRedirect,
        s.PortRedirect,
        parents=("host",),
        design_lookups=("host__design",),
        order_by=("host_id", "interface", "protocol", "external_port", "id"),
        fields={"target_jail": Ref("jail"), "target_vm": Ref("vm")},
    ),
    Kind(
        "firewall-policy",
        m.FirewallPolicy,
        s.FirewallPolicy,
        parents=("host", "jail"),
        design_lookups=("host__design", "jail__host__design"),
        order_by=("id",),
        fields={"rules": Child("firewall-rule")},
    ),
    Kind(
        "firewall-rule",
        m.FirewallRule,
        s.FirewallRule,
        parents=("policy",),
        design_lookups=("policy__host__design", "policy__jail__host__design"),
        order_by=("policy_id", "index", "id"),
        position="index",
    ),
    Kind(
        "vxlan-segment",
        m.VxlanSegment,
        s.VxlanSegment,
        parents=("design",),
        design_lookups=("design",),
        order_by=("name",),
        fields={"members": Child("vxlan-member")},
    ),
    Kind(
        "vxlan-member",
        m.VxlanMember,
        s.VxlanMember,
        parents=("segment",),
        design_lookups=("segment__design",),
        order_by=("segment_id", "host__name", "interface_name"),
        fields={"host": Ref("host"), "underlay_interface": Ref("interface"), "switch": Ref("switch")},
    ),
)

KINDS: dict[str, Kind] = {k.name: k for k in DECLARATIONS}


def reading_order() -> Iterator[Kind]:
    """Every kind below the design, owned objects before their owners (so an owner is built with them)."""
    seen: set[str] = set()

    def visit(kind: Kind) -> Iterator[Kind]:
        for _, child in kind.children:
            if child.kind not in seen:
                seen.add(child.kind)
                yield from visit(KINDS[child.kind])
                yield KINDS[child.kind]

    yield from visit(KINDS["design"])


__all__ = ["BOOKKEEPING", "DECLARATIONS", "KINDS", "Child", "Column", "Derived", "Kind", "Ref", "reading_order"]
