"""Cross-object rules of design objects, checked by the object services (``core.services``) before every write.

References must stay on one host: a jail NIC, a VM NIC, a DHCP service and a VXLAN member's switch must be
on the host of their jail / VM / service / member; a switch port's interface on the switch's host; a VXLAN
member's underlay interface on the member's host; a VLAN interface's parent on the same host; a port
redirect's target jail or VM on the redirect's host; a VXLAN member's host in the segment's design. A
firewall policy belongs to exactly one of a host or a VNET jail.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import models

from core.services import register_relation_check
from topology.models import (
    DhcpService,
    FirewallPolicy,
    Interface,
    JailNic,
    PortRedirect,
    SwitchPort,
    VmNic,
    VxlanMember,
)

# The models some rule of this module applies to.
CHECKED_MODELS: tuple[type[models.Model], ...] = (
    DhcpService,
    FirewallPolicy,
    Interface,
    JailNic,
    PortRedirect,
    SwitchPort,
    VmNic,
    VxlanMember,
)


def _same_host(errors: dict[str, list[str]], field: str, related: Any, host_id: int | None, what: str) -> None:
    """Record an error on ``field`` when ``related`` (having ``host_id``) is on another host than ``host_id``."""
    if related is not None and host_id is not None and related.host_id != host_id:
        errors.setdefault(field, []).append(f"{what} '{related}' is on another host; choose one on the same host.")


def relation_errors(instance: models.Model) -> dict[str, list[str]]:
    """The cross-object rules of the module docstring, as ``{field: [message]}``."""
    errors: dict[str, list[str]] = {}
    if isinstance(instance, JailNic) and instance.jail_id and instance.switch_id:
        _same_host(errors, "switch", instance.switch, instance.jail.host_id, "Switch")
    elif isinstance(instance, VmNic) and instance.vm_id and instance.switch_id:
        _same_host(errors, "switch", instance.switch, instance.vm.host_id, "Switch")
    elif isinstance(instance, DhcpService) and instance.switch_id:
        _same_host(errors, "switch", instance.switch, instance.host_id, "Switch")
    elif isinstance(instance, SwitchPort) and instance.switch_id and instance.interface_id:
        _same_host(errors, "interface", instance.interface, instance.switch.host_id, "Interface")
    elif isinstance(instance, VxlanMember) and instance.host_id:
        if instance.switch_id:
            _same_host(errors, "switch", instance.switch, instance.host_id, "Switch")
        if instance.underlay_interface_id:
            _same_host(errors, "underlay_interface", instance.underlay_interface, instance.host_id, "Interface")
        if instance.segment_id and instance.segment.design_id != instance.host.design_id:
            errors.setdefault("host", []).append("The host belongs to another design than the VXLAN segment.")
    elif isinstance(instance, Interface) and instance.parent_id:
        if instance.pk is not None and instance.parent_id == instance.pk:
            errors.setdefault("parent", []).append("An interface cannot be its own VLAN parent.")
        else:
            _same_host(errors, "parent", instance.parent, instance.host_id, "Parent interface")
    elif isinstance(instance, PortRedirect):
        if instance.target_jail_id:
            _same_host(errors, "target_jail", instance.target_jail, instance.host_id, "Jail")
        if instance.target_vm_id:
            _same_host(errors, "target_vm", instance.target_vm, instance.host_id, "VM")
    elif isinstance(instance, FirewallPolicy) and (instance.host_id is None) == (instance.jail_id is None):
        errors.setdefault(NON_FIELD_ERRORS, []).append(
            "A firewall policy belongs to exactly one host or one jail: set either host or jail."
        )
    return errors


def register_relation_checks() -> None:
    """Have the object services run :func:`relation_errors` for every checked model (from ``TopologyConfig.ready``)."""
    for model in CHECKED_MODELS:
        register_relation_check(model, relation_errors)
