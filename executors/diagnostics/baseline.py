"""What "Check drift" compares each host with: the version of the design that was put on it. Not pure (database).

Drift is the difference between a host and what was deployed on it, not what the design says now: a design
edited after its deploy is not drift (it is a change not yet deployed). So, for each host:

* a registered host: the design document of its last successful deployment (outcome deployed or unchanged) —
  a revision when that deployment deployed the whole request, the change request's frozen document when it was
  only partly deployed; a host the app never deployed is compared with the current design (said so);
* the design's lab: the design it was brought up from. The lab keeps only the content hash of that design, so
  a lab brought up from an earlier version cannot be compared at all: the check is refused with "bring it up
  again", as ``lab check`` refuses a stale lab, rather than reporting every edit since as drift.

Each finding carries the version it was compared with; its object reference is that version's (an object since
deleted from the design is still reported, the diagram just has nothing to badge).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from executors.deploy.models import DeploymentHost, DeploymentTarget, HostOutcome
from executors.models import Lab as LabRow
from topology import snapshot as s
from topology.changes.freeze import content_hash
from topology.design_io import load_document, snapshot_from_document
from topology.models import Design, Revision

from .catalogue import Target

DEPLOYED_OUTCOMES = (HostOutcome.DEPLOYED, HostOutcome.UNCHANGED)


class LabStaleForDrift(Exception):
    """The lab was built from an earlier version of the design: nothing in it can be compared."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """The version of the design one host is compared with."""

    snapshot: s.DesignSnapshot
    kind: str  # revision | change_request | design | lab
    label: str  # how the panel says it: "revision 3", "the current design (never deployed)", ...
    revision: int | None = None
    change_request: int | None = None
    deployment: int | None = None
    content_hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, without the snapshot."""
        return {
            "kind": self.kind, "label": self.label, "revision": self.revision,
            "change_request": self.change_request, "deployment": self.deployment, "content_hash": self.content_hash,
        }  # fmt: skip


def lab_baseline(design: Design, snapshot: s.DesignSnapshot) -> Baseline:
    """The design the lab was brought up from; :class:`LabStaleForDrift` when that is not the current one."""
    built_from = LabRow.objects.filter(design=design).values_list("content_hash", flat=True).first() or ""
    now = content_hash(snapshot)
    if built_from and built_from != now:
        raise LabStaleForDrift(
            f"the lab of {design.name} was built from an earlier version of the design (lab built from "
            f"{built_from[:12]}, design now {now[:12]}): bring it up again before checking drift"
        )
    return Baseline(snapshot, "lab", "the design the lab was brought up from (the current design)", content_hash=now)


def host_baselines(design: Design, snapshot: s.DesignSnapshot, target: Target) -> dict[str, Baseline]:
    """For every host of ``snapshot`` (the current design), the version it is compared with."""
    if target is Target.LAB:
        lab = lab_baseline(design, snapshot)
        return {h.name: lab for h in snapshot.hosts}
    current = Baseline(snapshot, "design", "the current design (never deployed by the app)")
    names = [h.name for h in snapshot.hosts]
    last: dict[str, DeploymentHost] = {}
    rows = (
        DeploymentHost.objects.filter(
            deployment__design_id=design.pk, deployment__target=DeploymentTarget.INVENTORY,
            host_name__in=names, outcome__in=DEPLOYED_OUTCOMES,
        )
        .select_related("deployment")
        .order_by("host_name", "-finished_at", "-deployment_id")
    )  # fmt: skip
    for row in rows:
        last.setdefault(row.host_name, row)
    by_request: dict[int, tuple[s.DesignSnapshot, str, int | None]] = {}
    out: dict[str, Baseline] = {}
    for name in names:
        found = last.get(name)
        if found is None:
            out[name] = current
            continue
        row = found
        cr_id = row.deployment.change_request_id
        if cr_id not in by_request:
            cr = row.deployment.change_request
            revision = Revision.objects.filter(change_request_id=cr_id).values_list("number", flat=True).first()
            by_request[cr_id] = (snapshot_from_document(load_document(cr.document)), cr.content_hash, revision)
        deployed, digest, revision = by_request[cr_id]
        if deployed.host(name) is None:  # deployed under another name: nothing of this host's was deployed
            out[name] = current
            continue
        label = f"revision {revision}" if revision else f"change request #{cr_id} (partly deployed)"
        out[name] = Baseline(
            deployed, "revision" if revision else "change_request", label, revision=revision,
            change_request=cr_id, deployment=row.deployment_id, content_hash=digest,
        )  # fmt: skip
    return out
