"""Validation of successive snapshots of one design that re-runs only what an edit can affect.

A design falls apart into *clusters*: the hosts and VXLAN segments joined to each other by segment
membership (a member joins its segment to the host it names, whether that host exists or not). Every rule
of scope ``cluster`` reads nothing outside one cluster (and the design's own fields), so its findings on the
design are the union of its findings on each cluster's part of the snapshot. Those are computed once per
cluster and kept, keyed by the identity of the cluster's host and segment objects (the live snapshot of a
design, ``topology.services.live_design``, keeps the objects of what an edit did not touch). An edit of
one host re-runs the rules on the cluster of that host only: a few hosts of a 1,000-host design.

Rules of scope ``design`` (names unique in the design, VNIs and multicast groups, NAT sources against every
network of the design) run on the whole snapshot each time; they are cheap, and the networks of the design
they need are the union of the networks each cluster found. Findings about the design's own fields (no
host, no segment) come from the rules run on the design without hosts and segments.

Same snapshot, same report as :func:`topology.validation.validate` — ``tests/topology/validation/
test_incremental.py`` checks that for random sequences of edits. A design whose host or segment names are
not unique is validated whole (which of two same-named objects a rule sees would differ between parts).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from ..snapshot import DesignSnapshot, Host, VxlanSegment
from .findings import Finding, ValidationReport
from .index import DesignIndex
from .ip import Network
from .registry import Rule

_DESIGN_KIND = "design"
# Findings of host rules about these are found once per cluster or design, not per host.
_NOT_ON_A_HOST = frozenset({_DESIGN_KIND, "vxlan-segment"})


@dataclass(frozen=True, slots=True)
class _ClusterResult:
    """What the cluster rules found on one cluster, and the networks of that cluster."""

    hosts: tuple[Host, ...]  # kept so that the ids in the cache key cannot be reused by other objects
    segments: tuple[VxlanSegment, ...]
    findings: tuple[Finding, ...]
    networks: frozenset[Network]
    everything: tuple[Finding, ...] = ()  # the cluster's findings and its hosts' (of the host rules)
    host_keys: tuple[tuple[Any, ...], ...] = ()  # the keys of its hosts' results in the host cache


@dataclass(frozen=True, slots=True)
class _HostResult:
    """What the host rules found about one host."""

    host: Host  # kept so that the ids in the cache key cannot be reused by other objects
    segments: tuple[VxlanSegment, ...]
    findings: tuple[Finding, ...]


def _members_on(segments: tuple[VxlanSegment, ...], keep: Callable[[str], bool]) -> tuple[VxlanSegment, ...]:
    """The segments with only the members whose host ``keep`` accepts."""
    return tuple(replace(seg, members=tuple(mb for mb in seg.members if keep(mb.host))) for seg in segments)


def _design_fields(snapshot: DesignSnapshot) -> tuple[Any, ...]:
    """The design's own values (everything but its hosts and segments): part of every cluster's key."""
    return tuple(getattr(snapshot, f.name) for f in fields(snapshot) if f.name not in ("hosts", "vxlan_segments"))


def _about_the_design_only(finding: Finding) -> bool:
    return all(ref.kind == _DESIGN_KIND for ref in finding.objects)


class _Networks:
    """Every network of the design, counted per cluster that has it, and their distinct starts in order.

    Updated per cluster that came or went, so an edit costs what it changed, not the size of the design.
    """

    def __init__(self) -> None:
        self.counts: dict[Network, int] = {}
        self._start_counts: dict[int, int] = {}
        self.starts: list[int] = []

    def add(self, networks: Iterable[Network]) -> None:
        """Count the networks of a cluster that came."""
        new: list[int] = []
        for network in networks:
            count = self.counts.get(network, 0)
            self.counts[network] = count + 1
            if count == 0:
                starts = self._start_counts.get(network.start, 0)
                self._start_counts[network.start] = starts + 1
                if starts == 0:
                    new.append(network.start)
        if len(new) > 64:
            self.starts = sorted(self._start_counts)
        else:
            for start in new:
                bisect.insort(self.starts, start)

    def remove(self, networks: Iterable[Network]) -> None:
        """Forget the networks of a cluster that went."""
        for network in networks:
            count = self.counts[network] - 1
            if count:
                self.counts[network] = count
                continue
            del self.counts[network]
            starts = self._start_counts[network.start] - 1
            if starts:
                self._start_counts[network.start] = starts
                continue
            del self._start_counts[network.start]
            del self.starts[bisect.bisect_left(self.starts, network.start)]


def clusters(snapshot: DesignSnapshot) -> list[tuple[tuple[Host, ...], tuple[VxlanSegment, ...]]]:
    """The snapshot's hosts and segments grouped into clusters (joined by segment membership), in document
    order of each cluster's first object. Host names must be unique."""
    return _group(snapshot, _cluster_roots(snapshot))


def _group(
    snapshot: DesignSnapshot, roots: tuple[dict[str, str], list[str]]
) -> list[tuple[tuple[Host, ...], tuple[VxlanSegment, ...]]]:
    host_roots, segment_roots = roots
    groups: dict[str, tuple[list[Host], list[VxlanSegment]]] = {}
    for host in snapshot.hosts:
        groups.setdefault(host_roots[host.name], ([], []))[0].append(host)
    for segment, root in zip(snapshot.vxlan_segments, segment_roots, strict=True):
        groups.setdefault(root, ([], []))[1].append(segment)
    return [(tuple(hosts), tuple(segments)) for hosts, segments in groups.values()]


def _cluster_roots(snapshot: DesignSnapshot) -> tuple[dict[str, str], list[str]]:
    """The cluster (its root key) of each host name and of each segment, by position."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        root = parent.setdefault(key, key)
        while root != parent[root]:
            parent[root] = parent[parent[root]]
            root = parent[root]
        return root

    # Keys: "h:<host name>" and "s:<position of the segment>" (a host named in a member may not exist).
    for position, segment in enumerate(snapshot.vxlan_segments):
        own = find(f"s:{position}")
        for member in segment.members:
            other = find(f"h:{member.host}")
            if other != own:
                parent[other] = own
    host_roots = {host.name: find(f"h:{host.name}") for host in snapshot.hosts}
    return host_roots, [find(f"s:{position}") for position in range(len(snapshot.vxlan_segments))]


class IncrementalValidator:
    """Validates successive snapshots of one design, keeping each cluster's findings for the next time.

    Thread-safe: one validation at a time. Memory: the findings of the clusters of the last snapshot (older
    ones are dropped after each validation).
    """

    def __init__(self, rules: tuple[Rule, ...]):
        self._host_rules = tuple(r for r in rules if r.scope == "host")
        self._cluster_rules = tuple(r for r in rules if r.scope == "cluster")
        self._design_rules = tuple(r for r in rules if r.scope == "design")
        self._rules = rules
        self._cache: dict[tuple[Any, ...], _ClusterResult] = {}
        self._host_cache: dict[tuple[Any, ...], _HostResult] = {}
        self._design_only: tuple[tuple[Any, ...], tuple[Finding, ...]] | None = None
        self._networks = _Networks()
        # The last clusters' roots, keyed by the segments (their identity) and the host names they were of.
        self._roots: tuple[tuple[Any, ...], tuple[dict[str, str], list[str]]] | None = None
        self._lock = threading.Lock()
        self.reused = 0  # clusters and hosts taken from the cache by the last validation (for tests, benchmarks)
        self.computed = 0  # clusters and hosts validated by the last validation

    def validate(self, snapshot: DesignSnapshot) -> ValidationReport:
        """The report :func:`topology.validation.validate` gives for ``snapshot``."""
        with self._lock:
            return ValidationReport(tuple(self._findings(snapshot)))

    def _findings(self, snapshot: DesignSnapshot) -> list[Finding]:
        names = [h.name for h in snapshot.hosts]
        segment_names = [seg.name for seg in snapshot.vxlan_segments]
        if len(set(names)) != len(names) or len(set(segment_names)) != len(segment_names):
            self._cache.clear()
            self._host_cache.clear()
            self._networks = _Networks()
            self.reused, self.computed = 0, 1
            return self._run(self._rules, DesignIndex(snapshot))
        design = _design_fields(snapshot)
        cache: dict[tuple[Any, ...], _ClusterResult] = {}
        came: dict[tuple[Any, ...], _HostResult] = {}  # host results of the clusters validated now
        findings: list[Finding] = []
        self.reused = self.computed = 0
        roots_key = (tuple(map(id, snapshot.vxlan_segments)), tuple(names))
        if self._roots is None or self._roots[0] != roots_key:
            self._roots = (roots_key, _cluster_roots(snapshot))
        for hosts, segments in _group(snapshot, self._roots[1]):
            key = (design, tuple(map(id, hosts)), tuple(map(id, segments)))
            result = self._cache.get(key)
            if result is None:
                # A changed cluster: its rules run again, and the host rules on its hosts that changed.
                result = self._validate_cluster(replace(snapshot, hosts=hosts, vxlan_segments=segments))
                host_keys = []
                for host in hosts:
                    own = tuple(seg for seg in segments if any(mb.host == host.name for mb in seg.members))
                    host_key = (design, id(host), tuple(map(id, own)))
                    host_result = self._host_cache.get(host_key)
                    if host_result is None:
                        host_result = self._validate_host(replace(snapshot, hosts=(host,), vxlan_segments=own))
                        self.computed += 1
                    else:
                        self.reused += 1
                    came[host_key] = host_result
                    host_keys.append(host_key)
                    result = replace(result, everything=result.everything + host_result.findings)
                result = replace(result, host_keys=tuple(host_keys))
                self.computed += 1
            else:
                self.reused += 1 + len(hosts)
            cache[key] = result
            findings += result.everything
        # What came first: a network both in the old and the new version of a cluster is never dropped.
        for key, new in cache.items():
            if key not in self._cache:
                self._networks.add(new.networks)
        for key, gone in self._cache.items():
            if key not in cache:
                self._networks.remove(gone.networks)
                for host_key in gone.host_keys:
                    self._host_cache.pop(host_key, None)
        self._host_cache.update(came)
        self._cache = cache
        findings += self._design_only_findings(snapshot, design)
        networks = (self._networks.counts.keys(), self._networks.starts)
        findings += self._run(self._design_rules, DesignIndex(snapshot, design_networks=networks), sort=False)
        findings.sort(key=Finding.sort_key)
        return findings

    def _validate_cluster(self, part: DesignSnapshot) -> _ClusterResult:
        """The cluster rules on a cluster, and the host rules' findings about its segments (not its hosts)."""
        index = DesignIndex(part)
        found = [f for f in self._run(self._cluster_rules, index, sort=False) if not _about_the_design_only(f)]
        # The segments with the members of hosts the design does not have (no host run finds those).
        names = {host.name for host in part.hosts}
        segments_only = DesignIndex(
            replace(part, hosts=(), vxlan_segments=_members_on(part.vxlan_segments, lambda h: h not in names))
        )
        found += (f for f in self._run(self._host_rules, segments_only, sort=False) if not _about_the_design_only(f))
        return _ClusterResult(part.hosts, part.vxlan_segments, tuple(found), frozenset(index.networks), tuple(found))

    def _validate_host(self, part: DesignSnapshot) -> _HostResult:
        """The host rules' findings about one host (``part``: the host with the segments it is a member of)."""
        host = part.hosts[0]
        own = replace(part, vxlan_segments=_members_on(part.vxlan_segments, lambda h: h == host.name))
        found = tuple(
            f
            for f in self._run(self._host_rules, DesignIndex(own), sort=False)
            if f.objects and all(ref.kind not in _NOT_ON_A_HOST for ref in f.objects)
        )
        return _HostResult(host, part.vxlan_segments, found)

    def _design_only_findings(self, snapshot: DesignSnapshot, design: tuple[Any, ...]) -> tuple[Finding, ...]:
        """The cluster rules' findings about the design's own fields (computed again when those change)."""
        if self._design_only is None or self._design_only[0] != design:
            empty = replace(snapshot, hosts=(), vxlan_segments=())
            rules = self._host_rules + self._cluster_rules
            found = tuple(f for f in self._run(rules, DesignIndex(empty), sort=False))
            self._design_only = (design, found)
        return self._design_only[1]

    @staticmethod
    def _run(rules: tuple[Rule, ...], index: DesignIndex, *, sort: bool = True) -> list[Finding]:
        found = [finding for r in rules for finding in r.run(index)]
        if sort:
            found.sort(key=Finding.sort_key)
        return found
