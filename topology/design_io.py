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
from .allowlists import snapshot_value_errors

FORMAT = "jailnet-design/1"


# Limits of a design document. A design nests about eight levels deep (design > hosts > jails > nics ...);
# the largest designs measured (20,000 jails) export to a few MB. Beyond these, a document is refused
# before any value is built, so a hostile one costs bounded time and memory.
MAX_DOCUMENT_CHARS = 16 * 1024 * 1024
MAX_DEPTH = 32
MAX_SCALAR_CHARS = 65_536
# Values (scalars, lists, mappings) in a document: the benchmark's 1,000 hosts / 20,000 jails hold 414,712 and
# parse in about 12 s; a document of tiny values is refused at this count, before anything is built.
MAX_NODES = 500_000
MAX_REPORTED_ERRORS = 100
# Characters no value may hold: C0 and C1 controls except tab, newline and carriage return, DEL, and
# UTF-16 surrogates (a lone one cannot be stored: UTF-8 has no encoding for it).
_FORBIDDEN_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_EXCERPT_CHARS = 40


def excerpt(value: Any) -> str:
    """A short printable excerpt of a value for an error message (never the whole of a huge value)."""
    text = value if isinstance(value, str) else repr(value)
    text = _FORBIDDEN_CHAR.sub("\ufffd", text[: _EXCERPT_CHARS + 1])
    return repr(text[:_EXCERPT_CHARS] + "…") if len(text) > _EXCERPT_CHARS else repr(text)


class DocumentError(ValueError):
    """A design document that cannot be read: ``errors`` lists each problem with its location, ``fields``
    the values refused by their allow-lists, keyed by location (``hosts[jailhost].jails[www].release``).

    At most ``MAX_REPORTED_ERRORS`` errors are kept (a last line says how many more there were).
    """

    def __init__(self, errors: list[str], fields: dict[str, list[str]] | None = None):
        if len(errors) > MAX_REPORTED_ERRORS:
            errors = [*errors[:MAX_REPORTED_ERRORS], f"... and {len(errors) - MAX_REPORTED_ERRORS} more problems"]
        fields = fields or {}
        if len(fields) > MAX_REPORTED_ERRORS:
            fields = dict(list(fields.items())[:MAX_REPORTED_ERRORS])
        self.fields = fields
        self.errors = errors
        every = errors + [f"{where}: {message}" for where, messages in self.fields.items() for message in messages]
        super().__init__("; ".join(every))


# --- reading ----------------------------------------------------------------------------------------


class _Refused(yaml.YAMLError):
    """A document that is well-formed YAML but outside what a design document may use."""


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"


# libyaml (in PyYAML's wheels) when present: it scans and parses iteratively and a hundred times faster than
# the pure-Python parser, which took seconds on a 1 MB value.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _screen(text: str) -> None:
    """Refuse what a design document may not use, from the parser's events, before any value is built.

    Aliases, anchors and merge keys (the "billion laughs" expansion: a 510-byte document once took 10.8 GiB), nesting
    deeper than ``MAX_DEPTH`` (the composer recurses once per level), and scalars longer than
    ``MAX_SCALAR_CHARS`` or holding control characters or surrogates. One pass over the event stream:
    memory stays proportional to the nesting depth, not to the document. Errors name the value's place
    (``design.hosts[0].name``) and its line.
    """
    # One frame per open collection: [is_mapping, key or index, expecting a key (mappings)]
    frames: list[list[Any]] = []

    def place() -> str:
        out = "design"
        for is_mapping, where, _ in frames:
            if is_mapping:
                out += f".{excerpt(where)[1:-1]}" if where is not None else ""
            else:
                out += f"[{where}]"
        return out

    def scalar_place(is_key: bool) -> str:
        """Where the scalar being read is (only worked out for an error: most documents have none)."""
        if is_key:
            return f"{place()} (a key)"
        if frames and not frames[-1][0]:  # an item of a list: "design.hosts[0].tools: item 2"
            index = frames[-1][1]
            frames[-1][1] = None
            try:
                return f"{place().removesuffix('[None]')}: item {index}"
            finally:
                frames[-1][1] = index
        return place()

    def advance() -> None:
        if frames:
            frame = frames[-1]
            if frame[0]:
                frame[2] = True
            else:
                frame[1] += 1

    nodes = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.ScalarEvent | yaml.SequenceStartEvent | yaml.MappingStartEvent):
            nodes += 1
            if nodes > MAX_NODES:
                raise _Refused(f"more than {MAX_NODES:,} values in the document ({_at(event.start_mark)})")
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"{place()}: aliases (*{excerpt(event.anchor)[1:-1]}) are not accepted ({_at(event.start_mark)})"
            )
        anchor = getattr(event, "anchor", None)
        if anchor:
            raise _Refused(f"{place()}: anchors (&{excerpt(anchor)[1:-1]}) are not accepted ({_at(event.start_mark)})")
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if len(frames) >= MAX_DEPTH:
                raise _Refused(f"{place()}: nested deeper than {MAX_DEPTH} levels ({_at(event.start_mark)})")
            if frames and frames[-1][0] and frames[-1][2]:
                frames[-1][2] = False  # a collection as a key: unusual, but its value follows
            is_mapping = isinstance(event, yaml.MappingStartEvent)
            frames.append([is_mapping, None if is_mapping else 0, True])
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            frames.pop()
            advance()
        elif isinstance(event, yaml.ScalarEvent):
            is_key = bool(frames) and frames[-1][0] and frames[-1][2]
            if len(event.value) > MAX_SCALAR_CHARS:
                raise _Refused(
                    f"{scalar_place(is_key)}: a value longer than {MAX_SCALAR_CHARS} characters "
                    f"({_at(event.start_mark)})"
                )
            bad = _FORBIDDEN_CHAR.search(event.value)
            if bad is not None:
                raise _Refused(
                    f"{scalar_place(is_key)}: {excerpt(event.value)} holds the character U+{ord(bad.group()):04X}, "
                    f"which no value may contain (control characters and surrogates are refused; "
                    f"{_at(event.start_mark)})"
                )
            if is_key and event.value == "<<" and event.implicit[0]:
                # A merge key copies another mapping's keys in: an expansion like an alias, and a way around the
                # duplicate-key rule ("<<: {role: a}" then "role: b").
                raise _Refused(f"{place()}: merge keys (<<) are not accepted ({_at(event.start_mark)})")
            if is_key:
                frames[-1][1] = event.value
                frames[-1][2] = False
            else:
                advance()


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader for a document that passed :func:`_screen`: duplicate keys are refused (not "last
    one wins"), and YAML 1.1's base-60 integers are off (so a MAC such as 11:22:33:44:55:66 stays text)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # unhashable: the base class reports it
                if duplicate:
                    raise _Refused(f"{_at(key_node.start_mark)}: duplicate key {excerpt(key)}")
        return super().construct_mapping(node, deep=deep)


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
    """Parse YAML text into a document mapping, with readable errors; refuse hostile documents (see
    :func:`_screen`, :class:`_Loader` and the ``MAX_*`` limits) with a :class:`DocumentError` before
    building their values."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise DocumentError([f"the document is larger than {MAX_DOCUMENT_CHARS // (1024 * 1024)} MiB"])
    try:
        _screen(text)
        doc = yaml.load(text, Loader=_Loader)
    except _Refused as exc:
        raise DocumentError([f"refused: {str(exc)[:500]}"]) from exc
    except yaml.YAMLError as exc:
        raise DocumentError([f"not valid YAML: {str(exc)[:500]}"]) from exc
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        raise DocumentError([f"not a valid design document: {str(exc)[:200]}"]) from exc
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
            errors.append(f"{where}: expected true or false, got {excerpt(value)}")
        return bool(value)
    if inner is int:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{where}: expected a whole number, got {excerpt(value)}")
            return 0
        if not -(2**63) <= value < 2**63:
            errors.append(f"{where}: {excerpt(value)} is out of range")
            return 0
        return value
    if inner is str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            errors.append(f"{where}: expected text, got {excerpt(value)}")
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
            errors.append(f"{where}: unknown key {excerpt(key)} (known: {', '.join(sorted(known))})")
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
        errors.append(f"format: expected '{FORMAT}', got {excerpt(fmt)}")
    snap = _build(s.DesignSnapshot, doc, "design", errors)
    for host in snap.hosts:
        for tool in host.tools:
            if tool not in s.HOST_TOOLS:
                known = ", ".join(s.HOST_TOOLS)
                errors.append(f"hosts.{excerpt(host.name)[1:-1]}.tools: unknown tool {excerpt(tool)} (known: {known})")
    errors.extend(_enum_errors(snap))
    # values outside their allow-lists, keyed by their location like the importer's field errors
    fields: dict[str, list[str]] = {}
    for where, message, _ in snapshot_value_errors(snap):
        fields.setdefault(where.removeprefix("design."), []).append(message)
    if errors or fields:
        raise DocumentError(errors, fields)
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
            errors.append(f"{where}.{f.name}: {excerpt(value)} is not one of {', '.join(allowed)}")
        if dataclasses.is_dataclass(value):
            errors.extend(_enum_errors(value, f"{where}.{f.name}"))
        elif isinstance(value, tuple):
            for item in value:
                if dataclasses.is_dataclass(item):
                    label = getattr(item, "name", None) or getattr(item, "interface_name", None) or ""
                    label = excerpt(label)[1:-1] if label else ""
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
