"""Filters of the design endpoints: every foreign key as a pair, ``<fk>_id`` (by id) and ``<fk>`` (by name).

Objects below a host can also be filtered by their design (``design_id`` / ``design``) and host
(``host_id`` / ``host``), however deep they sit.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from core.api.filtersets import IdFilter, JailnetFilterSet, id_and_name
from topology.models import (
    Design,
    DhcpService,
    DhcpStaticLease,
    FirewallPolicy,
    FirewallRule,
    Host,
    Interface,
    Jail,
    JailAddress,
    JailNic,
    OutboundNat,
    PortRedirect,
    StaticRoute,
    Switch,
    SwitchPort,
    VirtualMachine,
    VmNic,
    VxlanMember,
    VxlanSegment,
)


class DesignFilterSet(JailnetFilterSet):
    """Designs by name, archived or not, and a search over name and description."""

    search = django_filters.CharFilter(method="filter_search", label="Name or description contains")

    class Meta:
        model = Design
        fields = ["name", "archived"]

    def filter_search(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value)) if value else queryset


class HostFilterSet(JailnetFilterSet):
    """Hosts by design, name and role."""

    design_id, design = id_and_name("design")

    class Meta:
        model = Host
        fields = ["name", "role"]


class InterfaceFilterSet(JailnetFilterSet):
    """Interfaces by design, host, name, kind and VLAN parent."""

    design_id, design = id_and_name("host__design")
    host_id, host = id_and_name("host")
    parent_id, parent = id_and_name("parent")

    class Meta:
        model = Interface
        fields = ["name", "kind", "vlan_tag"]


class StaticRouteFilterSet(JailnetFilterSet):
    """Static routes by design, host and name."""

    design_id, design = id_and_name("host__design")
    host_id, host = id_and_name("host")

    class Meta:
        model = StaticRoute
        fields = ["name"]


class SwitchFilterSet(JailnetFilterSet):
    """Switches by design, host, name and kind."""

    design_id, design = id_and_name("host__design")
    host_id, host = id_and_name("host")

    class Meta:
        model = Switch
        fields = ["name", "kind"]


class SwitchPortFilterSet(JailnetFilterSet):
    """Switch ports by design, host, switch and interface."""

    design_id, design = id_and_name("switch__host__design")
    host_id, host = id_and_name("switch__host")
    switch_id, switch = id_and_name("switch")
    interface_id, interface = id_and_name("interface")

    class Meta:
        model = SwitchPort
        fields = ["private"]


class VxlanSegmentFilterSet(JailnetFilterSet):
    """VXLAN segments by design, name, VNI and mode."""

    design_id, design = id_and_name("design")

    class Meta:
        model = VxlanSegment
        fields = ["name", "vni", "mode"]


class VxlanMemberFilterSet(JailnetFilterSet):
    """VXLAN members by design, segment, host and switch."""

    design_id, design = id_and_name("segment__design")
    segment_id, segment = id_and_name("segment")
    host_id, host = id_and_name("host")
    switch_id, switch = id_and_name("switch")

    class Meta:
        model = VxlanMember
        fields = ["interface_name"]


class JailFilterSet(JailnetFilterSet):
    """Jails by design, host, name, type and manager."""

    design_id, design = id_and_name("host__design")
    host_id, host = id_and_name("host")

    class Meta:
        model = Jail
        fields = ["name", "type", "manager"]


class JailAddressFilterSet(JailnetFilterSet):
    """Plain jail addresses by design, host and jail."""

    design_id, design = id_and_name("jail__host__design")
    host_id, host = id_and_name("jail__host")
    jail_id, jail = id_and_name("jail")

    class Meta:
        model = JailAddress
        fields = ["interface_name"]


class JailNicFilterSet(JailnetFilterSet):
    """VNET jail NICs by design, host, jail and switch."""

    design_id, design = id_and_name("jail__host__design")
    host_id, host = id_and_name("jail__host")
    jail_id, jail = id_and_name("jail")
    switch_id, switch = id_and_name("switch")

    class Meta:
        model = JailNic
        fields = ["name"]


class VirtualMachineFilterSet(JailnetFilterSet):
    """VMs by design, host and name."""

    design_id, design = id_and_name("host__design")
    host_id, host = id_and_name("host")

    class Meta:
        model = VirtualMachine
        fields = ["name", "guest"]


class VmNicFilterSet(JailnetFilterSet):
    """VM NICs by design, host, VM and switch."""

    design_id, design = id_and_name("vm__host__design")
    host_id, host = id_and_name("vm__host")
    vm_id, vm = id_and_name("vm")
    switch_id, switch = id_and_name("switch")

    class Meta:
        model = VmNic
        fields = ["index"]


class OutboundNatFilterSet(JailnetFilterSet):
    """NAT rules by design, host, interface and engine."""

    design_id, design = id_and_name("host__design")
    host_id, host = id_and_name("host")

    class Meta:
        model = OutboundNat
        fields = ["interface", "engine"]


class PortRedirectFilterSet(JailnetFilterSet):
    """Port redirects by design, host, target and protocol."""

    design_id, design = id_and_name("host__design")
    host_id, host = id_and_name("host")
    target_jail_id, target_jail = id_and_name("target_jail")
    target_vm_id, target_vm = id_and_name("target_vm")

    class Meta:
        model = PortRedirect
        fields = ["interface", "protocol", "external_port"]


class DhcpServiceFilterSet(JailnetFilterSet):
    """DHCP services by design, host and switch."""

    design_id, design = id_and_name("host__design")
    host_id, host = id_and_name("host")
    switch_id, switch = id_and_name("switch")

    class Meta:
        model = DhcpService
        fields: list[str] = []


class DhcpStaticLeaseFilterSet(JailnetFilterSet):
    """DHCP static leases by design, host, service and MAC."""

    design_id, design = id_and_name("service__host__design")
    host_id, host = id_and_name("service__host")
    service_id = IdFilter(field_name="service_id")

    class Meta:
        model = DhcpStaticLease
        fields = ["mac", "hostname"]


def _policy_owner_filter(prefix: str, field: str):
    """Filter policies (or rules, via ``prefix``) of a host or of a jail on that host, by host/design id or name."""

    def method(queryset: QuerySet, name: str, value: object) -> QuerySet:
        return queryset.filter(
            Q(**{f"{prefix}host__{field}": value}) | Q(**{f"{prefix}jail__host__{field}": value})
        ).distinct()

    return method


class FirewallPolicyFilterSet(JailnetFilterSet):
    """Firewall policies by design, host (its own or its jails'), jail and engine."""

    design_id = IdFilter(method="filter_design_id")
    design = django_filters.CharFilter(method="filter_design")
    host_id = IdFilter(method="filter_host_id")
    host = django_filters.CharFilter(method="filter_host")
    jail_id, jail = id_and_name("jail")

    filter_design_id = staticmethod(_policy_owner_filter("", "design_id"))
    filter_design = staticmethod(_policy_owner_filter("", "design__name"))
    filter_host_id = staticmethod(_policy_owner_filter("", "id"))
    filter_host = staticmethod(_policy_owner_filter("", "name"))

    class Meta:
        model = FirewallPolicy
        fields = ["engine"]


class FirewallRuleFilterSet(JailnetFilterSet):
    """Firewall rules by design, host, policy, action and protocol."""

    design_id = IdFilter(method="filter_design_id")
    design = django_filters.CharFilter(method="filter_design")
    host_id = IdFilter(method="filter_host_id")
    host = django_filters.CharFilter(method="filter_host")
    policy_id = IdFilter(field_name="policy_id")

    filter_design_id = staticmethod(_policy_owner_filter("policy__", "design_id"))
    filter_design = staticmethod(_policy_owner_filter("policy__", "design__name"))
    filter_host_id = staticmethod(_policy_owner_filter("policy__", "id"))
    filter_host = staticmethod(_policy_owner_filter("policy__", "name"))

    class Meta:
        model = FirewallRule
        fields = ["action", "direction", "protocol"]
