"""Design as code: the YAML document format, to and from a :class:`~topology.snapshot.DesignSnapshot`.

The document maps one-to-one onto the snapshot dataclasses (see ``docs/design-format.md``): keys are
the dataclass field names in declaration order, fields equal to their default are left out, ``id``
never appears. Export is canonical — collections are sorted the way the database returns them — so
export → import → export gives the same bytes.

Pure module: no ORM, no I/O beyond parsing text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import types
import typing
from typing import Any, get_args, get_origin, get_type_hints

import yaml

from . import snapshot as s

FORMAT = "jailnet-design/1"


class DocumentError(ValueError):
    """A design document that cannot be read; ``errors`` lists each problem with its location."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


# --- reading ----------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's base-60 integers, so a MAC such as 11:22:33:44:55:66 stays text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


def load_document(text: str) -> dict[str, Any]:
    """Parse YAML text into a document mapping, with readable errors."""
    try:
        doc = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise DocumentError([f"not valid YAML: {exc}"]) from exc
    if not isinstance(doc, dict):
        raise DocumentError(["a design document is a mapping with 'format', 'name', 'hosts' ..."])
    return doc


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls, vars(s))
    return _HINTS[cls]


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    """Return (inner type, optional?) for ``X | None``."""
    origin = get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _convert(value: Any, tp: Any, where: str, errors: list[str]) -> Any:
    inner, optional = _strip_optional(tp)
    if value is None:
        if optional:
            return None
        errors.append(f"{where}: a value is required")
        return None
    if dataclasses.is_dataclass(inner):
        return _build(inner, value, where, errors)
    if get_origin(inner) is tuple:
        item_type = get_args(inner)[0]
        if not isinstance(value, list):
            errors.append(f"{where}: expected a list")
            return ()
        return tuple(_convert(item, item_type, f"{where}[{i}]", errors) for i, item in enumerate(value))
    if inner is bool:
        if not isinstance(value, bool):
            errors.append(f"{where}: expected true or false, got {value!r}")
        return bool(value)
    if inner is int:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{where}: expected a whole number, got {value!r}")
            return 0
        return value
    if inner is str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            errors.append(f"{where}: expected text, got {value!r}")
            return ""
        return str(value)
    raise TypeError(f"unsupported type {inner!r} at {where}")  # a programming error, not a user one


def _build(cls: Any, data: Any, where: str, errors: list[str]) -> Any:
    if not isinstance(data, dict):
        errors.append(f"{where}: expected a mapping, got {type(data).__name__}")
        data = {}
    hints = _hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "id"}
    for key in data:
        if key not in known:
            errors.append(f"{where}: unknown key '{key}' (known: {', '.join(sorted(known))})")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name == "id" or f.name not in data:
            if f.name != "id" and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                errors.append(f"{where}: '{f.name}' is required")
                kwargs[f.name] = _placeholder(hints[f.name])
            continue
        kwargs[f.name] = _convert(data[f.name], hints[f.name], f"{where}.{f.name}", errors)
    return cls(**kwargs)


def _placeholder(tp: Any) -> Any:
    inner, _ = _strip_optional(tp)
    return {str: "", int: 0, bool: False}.get(inner)


def snapshot_from_document(doc: dict[str, Any]) -> s.DesignSnapshot:
    """Turn a parsed document into a snapshot; raise :class:`DocumentError` listing every problem."""
    errors: list[str] = []
    doc = dict(doc)
    fmt = doc.pop("format", None)
    if fmt != FORMAT:
        errors.append(f"format: expected '{FORMAT}', got {fmt!r}")
    snap = _build(s.DesignSnapshot, doc, "design", errors)
    for host in snap.hosts:
        for tool in host.tools:
            if tool not in s.HOST_TOOLS:
                errors.append(f"hosts.{host.name}.tools: unknown tool '{tool}' (known: {', '.join(s.HOST_TOOLS)})")
    errors.extend(_enum_errors(snap))
    if errors:
        raise DocumentError(errors)
    return s.resolve_releases(snap)


# Fields whose values come from a fixed set; checked here so a typo is reported with its location.
_ENUMS: dict[tuple[type, str], tuple[str, ...]] = {
    (s.Host, "role"): s.HOST_ROLES,
    (s.Interface, "kind"): s.INTERFACE_KINDS,
    (s.Switch, "kind"): s.SWITCH_KINDS,
    (s.VxlanSegment, "mode"): s.VXLAN_MODES,
    (s.Jail, "type"): s.JAIL_TYPES,
    (s.Jail, "manager"): s.JAIL_MANAGERS,
    (s.OutboundNat, "engine"): s.NAT_ENGINES,
    (s.FirewallPolicy, "engine"): s.FIREWALL_ENGINES,
    (s.FirewallPolicy, "ipfw_type"): s.IPFW_FIREWALL_TYPES,
    (s.FirewallRule, "action"): s.RULE_ACTIONS,
    (s.FirewallRule, "direction"): s.RULE_DIRECTIONS,
    (s.FirewallRule, "protocol"): s.RULE_PROTOCOLS,
    (s.PortRedirect, "protocol"): s.PROTOCOLS,
}


def _enum_errors(obj: Any, where: str = "design") -> list[str]:
    errors = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        allowed = _ENUMS.get((type(obj), f.name))
        if allowed is not None and value not in allowed:
            errors.append(f"{where}.{f.name}: '{value}' is not one of {', '.join(allowed)}")
        if dataclasses.is_dataclass(value):
            errors.extend(_enum_errors(value, f"{where}.{f.name}"))
        elif isinstance(value, tuple):
            for item in value:
                if dataclasses.is_dataclass(item):
                    label = getattr(item, "name", None) or getattr(item, "interface_name", None) or ""
                    errors.extend(_enum_errors(item, f"{where}.{f.name}[{label}]" if label else f"{where}.{f.name}"))
    return errors


# --- writing ----------------------------------------------------------------------------------------


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            if f.name == "id":
                continue
            value = getattr(obj, f.name)
            # A field without a default is always written (even as null); others only when not default.
            if f.default is not dataclasses.MISSING and value == f.default:
                continue
            out[f.name] = _to_plain(value)
        return out
    if isinstance(obj, tuple):
        return [_to_plain(item) for item in obj]
    return obj


def document_from_snapshot(snap: s.DesignSnapshot) -> dict[str, Any]:
    """The document of a snapshot: ``format`` first, then the design's fields, defaults left out.

    Releases equal to the inherited one are left out too (a host inherits the design's ``default_release``,
    a jail its host's), so a document says where a release differs, and export → import keeps inheritance.
    """
    return {"format": FORMAT, **_to_plain(s.unresolve_releases(snap))}


# libyaml's emitter when the platform has it (about three times faster on large designs); the pure-Python
# emitter writes the same block style otherwise. Nothing depends on the bytes matching across machines:
# content hashes are taken over canonical JSON (``document_hash``), not over this text.
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_document(doc: dict[str, Any]) -> str:
    """Serialise a document as stable, human-friendly block YAML (key order kept)."""
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


def document_hash(doc: dict[str, Any]) -> str:
    """SHA-256 of a document's canonical JSON: equal hashes, equal designs, on every machine."""
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def canonical_snapshot(snap: s.DesignSnapshot) -> s.DesignSnapshot:
    """The snapshot with every collection in canonical (database) order, ids kept.

    Used by export so that a document written in any order exports the same way the database would.
    """
    by_name = lambda items: tuple(sorted(items, key=lambda i: i.name))  # noqa: E731
    hosts = []
    for h in snap.hosts:
        hosts.append(
            dataclasses.replace(
                h,
                tools=tuple(t for t in s.HOST_TOOLS if t in h.tools),
                interfaces=by_name(h.interfaces),
                static_routes=by_name(h.static_routes),
                switches=tuple(
                    dataclasses.replace(sw, ports=tuple(sorted(sw.ports, key=lambda p: p.interface)))
                    for sw in by_name(h.switches)
                ),
                jails=tuple(
                    dataclasses.replace(j, nics=tuple(sorted(j.nics, key=lambda n: n.name))) for j in by_name(h.jails)
                ),
                vms=by_name(h.vms),
                dhcp=tuple(
                    dataclasses.replace(d, static_leases=tuple(sorted(d.static_leases, key=lambda lease: lease.mac)))
                    for d in sorted(h.dhcp, key=lambda d: d.switch)
                ),
                nat=tuple(sorted(h.nat, key=lambda n: (n.interface, n.source or ""))),
                redirects=tuple(sorted(h.redirects, key=lambda r: (r.interface, r.protocol, r.external_port))),
            )
        )
    segments = tuple(
        dataclasses.replace(seg, members=tuple(sorted(seg.members, key=lambda m: (m.host, m.interface_name))))
        for seg in sorted(snap.vxlan_segments, key=lambda seg: seg.name)
    )
    return dataclasses.replace(snap, hosts=tuple(sorted(hosts, key=lambda h: h.name)), vxlan_segments=segments)
