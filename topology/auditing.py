"""How the topology room takes part in the audit history.

It registers every design object with the recorder (``core.audit``), saying which design and host each
object belongs to, and turns recorded changes into the room's events: ``design_content_changed`` for the
code that must react inside the transaction (change requests going stale) and a ``design.changed``
websocket event, after the commit, for the designers looking at the design.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from core.audit import NOWHERE, Place, audit_recorded, register_audited
from core.models import AuditAction, AuditEntry

from . import models as m
from .events import design_group, publish_on_commit
from .signals import design_content_changed

# How to reach the design from each audited model (attribute chain), for per-design history.
_DESIGN_PATH: dict[type[models.Model], tuple[str, ...]] = {
    m.Design: (),
    m.Host: ("design",),
    m.VxlanSegment: ("design",),
    m.Interface: ("host", "design"),
    m.StaticRoute: ("host", "design"),
    m.Switch: ("host", "design"),
    m.Jail: ("host", "design"),
    m.VirtualMachine: ("host", "design"),
    m.OutboundNat: ("host", "design"),
    m.PortRedirect: ("host", "design"),
    m.DhcpService: ("host", "design"),
    m.VxlanMember: ("segment", "design"),
    m.SwitchPort: ("switch", "host", "design"),
    m.JailAddress: ("jail", "host", "design"),
    m.JailNic: ("jail", "host", "design"),
    m.VmNic: ("vm", "host", "design"),
    m.DhcpStaticLease: ("service", "host", "design"),
    m.FirewallPolicy: (),  # on a host or on a jail: see place_of
    m.FirewallRule: (),
}
DESIGN_MODELS = frozenset(_DESIGN_PATH)

# Fields whose change does not change what a design renders (moving a node on the canvas).
# managed_host: where the host is deployed (inventory), not what the design renders (not in the snapshot)
_LAYOUT_FIELDS = frozenset({"position_x", "position_y", "version", "last_updated", "managed_host_id"})


def place_of(instance: Any) -> Place:
    """(design id, design name, host name) a design object belongs to."""
    obj: Any = instance
    path = _DESIGN_PATH[type(instance)]
    if isinstance(instance, m.FirewallRule | m.FirewallPolicy):
        policy: Any = instance.policy if isinstance(instance, m.FirewallRule) else instance
        obj = policy.host if policy.host_id else (policy.jail.host if policy.jail_id else None)
        if obj is None:
            return NOWHERE
        path = ("design",)
    host_name = instance.host.name if isinstance(instance, m.VxlanMember) else ""
    for attr in path:
        if isinstance(obj, m.Host):
            host_name = obj.name
        obj = getattr(obj, attr)
    return obj.pk, obj.name, host_name


def is_content_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> bool:
    """Whether a recorded change with these values changed what the design renders (not only its layout)."""
    if before is None or after is None:
        return True
    return any(before.get(k) != v for k, v in after.items() if k not in _LAYOUT_FIELDS)


def _content_changed(entry: AuditEntry) -> bool:
    return is_content_change(entry.before, entry.after)


def _on_audit_recorded(sender: type[models.Model], entries: list[AuditEntry], bulk: bool = False, **_: Any) -> None:
    """A recorded change of design objects: tell the room (in the transaction) and the browsers (after it)."""
    if sender not in DESIGN_MODELS:
        return  # inventory, lab operations: the design's content did not change
    design_deleted = sender is m.Design and entries[0].action == AuditAction.DELETE
    changed = {e.design_id for e in entries if e.design_id is not None and _content_changed(e)}
    for design_id in sorted(changed) if not design_deleted else ():
        design_content_changed.send(sender=sender, design_id=design_id)
    if bulk:
        first = entries[0]
        if first.design_id is not None:
            event = {
                "type": "design.changed",
                "design": first.design_id,
                "action": "bulk",
                "count": len(entries),
                "user": first.user_name,
            }
            publish_on_commit(design_group(first.design_id), event)
        return
    for entry in entries:
        if entry.design_id is None:
            continue
        publish_on_commit(
            design_group(entry.design_id),
            {
                "type": "design.changed",
                "design": entry.design_id,
                "action": entry.action,
                "object_type": entry.object_type.model,
                "object_id": entry.object_id,
                "version": (entry.after or entry.before or {}).get("version"),
                "user": entry.user_name,
                "request_id": str(entry.request_id) if entry.request_id else None,
            },
        )


def _change_request_place(obj: Any) -> Place:
    """Where a change request, or an approval or comment of one, belongs: its design."""
    cr = obj if isinstance(obj, m.ChangeRequest) else obj.change_request
    return cr.design_id, cr.design.name, ""


def connect_auditing() -> None:
    """Register the design objects with the recorder and listen to what it records (``TopologyConfig.ready``).

    Change requests, approvals and comments are recorded by the change-request services themselves
    (``record_operation``), not by signals: an action on a request is no change of the design's content.
    """
    for model in _DESIGN_PATH:
        register_audited(model, place=place_of)
    for model in (m.ChangeRequest, m.Approval, m.ChangeRequestComment):
        register_audited(model, place=_change_request_place, signals=False)
    audit_recorded.connect(_on_audit_recorded, dispatch_uid="jailnet-topology-audit-recorded")
