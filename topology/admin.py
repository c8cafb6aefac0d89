"""Django admin of the design objects: lists, filters, search, and inlines where one object owns others.

Saves from the admin go through the object services too (model validation, cross-object checks, version
bump), so the admin cannot store what the API would refuse.
"""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ServiceModelAdmin, VersionedInline

from .models import (
    ChangeRequest,
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
    Revision,
    StaticRoute,
    Switch,
    SwitchPort,
    VirtualMachine,
    VmNic,
    VxlanMember,
    VxlanSegment,
)


class InterfaceInline(VersionedInline):
    model = Interface
    fk_name = "host"
    fields = ("name", "kind", "address", "dhcp", "mtu", "parent", "vlan_tag", "description", "version")
    raw_id_fields = ("parent",)


class StaticRouteInline(VersionedInline):
    model = StaticRoute
    fields = ("name", "destination", "gateway", "interface", "version")


class SwitchInline(VersionedInline):
    model = Switch
    fields = ("name", "kind", "address", "mtu", "private", "version")


class SwitchPortInline(VersionedInline):
    model = SwitchPort
    fields = ("interface", "private", "version")
    raw_id_fields = ("interface",)


class JailAddressInline(VersionedInline):
    model = JailAddress
    fields = ("index", "interface_name", "address", "version")


class JailNicInline(VersionedInline):
    model = JailNic
    fields = ("name", "switch", "address", "dhcp", "mac", "mtu", "private", "version")
    raw_id_fields = ("switch",)


class VmNicInline(VersionedInline):
    model = VmNic
    fields = ("index", "switch", "address", "dhcp", "mac", "mtu", "private", "version")
    raw_id_fields = ("switch",)


class DhcpStaticLeaseInline(VersionedInline):
    model = DhcpStaticLease
    fields = ("mac", "address", "hostname", "version")


class FirewallRuleInline(VersionedInline):
    model = FirewallRule
    fields = ("index", "action", "direction", "quick", "interface", "protocol", "source", "destination", "port",
              "comment", "version")  # fmt: skip


class VxlanMemberInline(VersionedInline):
    model = VxlanMember
    fields = ("host", "interface_name", "underlay_interface", "local_address", "remote_address", "address", "switch",
              "private", "group_route", "version")  # fmt: skip
    raw_id_fields = ("host", "underlay_interface", "switch")


@admin.register(Design)
class DesignAdmin(ServiceModelAdmin):
    """Designs."""

    list_display = ("name", "underlay_mtu", "required_approvals", "version", "last_updated")
    search_fields = ("name", "description")


@admin.register(Host)
class HostAdmin(ServiceModelAdmin):
    """Hosts, with their interfaces, static routes and switches inline."""

    list_display = ("name", "design", "role", "release", "has_iocage", "has_pot", "has_vm_bhyve", "has_dnsmasq",
                    "gateway_enable", "managed_host")  # fmt: skip
    list_filter = ("design", "role", "has_iocage", "has_pot", "has_vm_bhyve", "has_dnsmasq", "gateway_enable")
    search_fields = ("name", "design__name")
    list_select_related = ("design", "managed_host")
    inlines = (InterfaceInline, StaticRouteInline, SwitchInline)


@admin.register(Interface)
class InterfaceAdmin(ServiceModelAdmin):
    """Host interfaces."""

    list_display = ("__str__", "kind", "address", "dhcp", "mtu", "parent", "vlan_tag")
    list_filter = ("kind", "dhcp", "host__design")
    search_fields = ("name", "host__name", "address", "description")
    list_select_related = ("host", "parent__host")
    raw_id_fields = ("host", "parent")


@admin.register(StaticRoute)
class StaticRouteAdmin(ServiceModelAdmin):
    """Static routes."""

    list_display = ("__str__", "destination", "gateway", "interface")
    list_filter = ("host__design",)
    search_fields = ("name", "host__name", "destination")
    list_select_related = ("host",)
    raw_id_fields = ("host",)


@admin.register(Switch)
class SwitchAdmin(ServiceModelAdmin):
    """Switches, with their ports inline."""

    list_display = ("__str__", "kind", "address", "mtu", "private")
    list_filter = ("kind", "private", "host__design")
    search_fields = ("name", "host__name", "address")
    list_select_related = ("host",)
    raw_id_fields = ("host",)
    inlines = (SwitchPortInline,)


@admin.register(SwitchPort)
class SwitchPortAdmin(ServiceModelAdmin):
    """Switch members."""

    list_display = ("__str__", "switch", "interface", "private")
    list_filter = ("private",)
    search_fields = ("switch__name", "interface__name", "switch__host__name")
    list_select_related = ("switch__host", "interface__host")
    raw_id_fields = ("switch", "interface")


@admin.register(VxlanSegment)
class VxlanSegmentAdmin(ServiceModelAdmin):
    """VXLAN segments, with their members inline."""

    list_display = ("name", "design", "vni", "subnet", "mtu", "mode", "multicast_group", "udp_port")
    list_filter = ("design", "mode")
    search_fields = ("name", "subnet", "multicast_group")
    list_select_related = ("design",)
    inlines = (VxlanMemberInline,)


@admin.register(VxlanMember)
class VxlanMemberAdmin(ServiceModelAdmin):
    """VXLAN members."""

    list_display = ("__str__", "segment", "underlay_interface", "local_address", "remote_address", "switch")
    list_filter = ("segment__design",)
    search_fields = ("interface_name", "host__name", "segment__name")
    list_select_related = ("segment", "host", "underlay_interface__host", "switch__host")
    raw_id_fields = ("segment", "host", "underlay_interface", "switch")


@admin.register(Jail)
class JailAdmin(ServiceModelAdmin):
    """Jails, with their addresses and NICs inline."""

    list_display = ("__str__", "type", "manager", "release", "boot", "inherit", "default_router")
    list_filter = ("type", "manager", "boot", "host__design")
    search_fields = ("name", "host__name")
    list_select_related = ("host",)
    raw_id_fields = ("host",)
    inlines = (JailAddressInline, JailNicInline)


@admin.register(JailAddress)
class JailAddressAdmin(ServiceModelAdmin):
    """Plain jail addresses."""

    list_display = ("__str__", "jail", "index")
    search_fields = ("address", "interface_name", "jail__name")
    list_select_related = ("jail__host",)
    raw_id_fields = ("jail",)


@admin.register(JailNic)
class JailNicAdmin(ServiceModelAdmin):
    """VNET jail NICs."""

    list_display = ("__str__", "switch", "address", "dhcp", "mac", "private")
    list_filter = ("dhcp", "private")
    search_fields = ("name", "jail__name", "address", "mac")
    list_select_related = ("jail__host", "switch__host")
    raw_id_fields = ("jail", "switch")


@admin.register(VirtualMachine)
class VirtualMachineAdmin(ServiceModelAdmin):
    """Virtual machines, with their NICs inline."""

    list_display = ("__str__", "guest", "cpu", "memory", "disk_size", "boot")
    list_filter = ("guest", "boot", "host__design")
    search_fields = ("name", "host__name")
    list_select_related = ("host",)
    raw_id_fields = ("host",)
    inlines = (VmNicInline,)


@admin.register(VmNic)
class VmNicAdmin(ServiceModelAdmin):
    """VM NICs."""

    list_display = ("__str__", "switch", "address", "dhcp", "mac", "private")
    list_filter = ("dhcp", "private")
    search_fields = ("vm__name", "address", "mac")
    list_select_related = ("vm__host", "switch__host")
    raw_id_fields = ("vm", "switch")


@admin.register(OutboundNat)
class OutboundNatAdmin(ServiceModelAdmin):
    """Outbound NAT rules."""

    list_display = ("__str__", "host", "interface", "source", "engine")
    list_filter = ("engine", "host__design")
    search_fields = ("host__name", "interface", "source")
    list_select_related = ("host",)
    raw_id_fields = ("host",)


@admin.register(PortRedirect)
class PortRedirectAdmin(ServiceModelAdmin):
    """Port redirects."""

    list_display = ("__str__", "target_jail", "target_vm", "target_address", "target_port")
    list_filter = ("protocol", "host__design")
    search_fields = ("host__name", "interface", "target_address")
    list_select_related = ("host", "target_jail__host", "target_vm__host")
    raw_id_fields = ("host", "target_jail", "target_vm")


@admin.register(DhcpService)
class DhcpServiceAdmin(ServiceModelAdmin):
    """DHCP services, with their static leases inline."""

    list_display = ("__str__", "range_start", "range_end", "lease_time")
    list_filter = ("host__design",)
    search_fields = ("host__name", "switch__name")
    list_select_related = ("host", "switch")
    raw_id_fields = ("host", "switch")
    inlines = (DhcpStaticLeaseInline,)


@admin.register(DhcpStaticLease)
class DhcpStaticLeaseAdmin(ServiceModelAdmin):
    """DHCP static leases."""

    list_display = ("__str__", "service", "hostname")
    search_fields = ("mac", "address", "hostname")
    list_select_related = ("service__host", "service__switch")
    raw_id_fields = ("service",)


@admin.register(FirewallPolicy)
class FirewallPolicyAdmin(ServiceModelAdmin):
    """Firewall policies, with their rules inline."""

    list_display = ("__str__", "engine", "default_block", "antispoof", "skip_loopback", "ipfw_type")
    list_filter = ("engine", "default_block", "antispoof")
    search_fields = ("host__name", "jail__name")
    list_select_related = ("host", "jail__host")
    raw_id_fields = ("host", "jail")
    inlines = (FirewallRuleInline,)


@admin.register(FirewallRule)
class FirewallRuleAdmin(ServiceModelAdmin):
    """Firewall rules."""

    list_display = ("__str__", "policy", "index", "action", "direction", "protocol", "source", "destination", "port")
    list_filter = ("action", "direction", "protocol")
    search_fields = ("comment", "source", "destination", "interface")
    list_select_related = ("policy__host", "policy__jail__host")
    raw_id_fields = ("policy",)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    """Change requests (transitions happen through the review workflow of the app and API)."""

    list_display = ("__str__", "state", "stale", "author", "error_count", "warning_count", "created")
    list_filter = ("state", "stale")
    search_fields = ("title", "design__name")
    list_select_related = ("design", "author")


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    """Deployed revisions of designs."""

    list_display = ("__str__", "content_hash", "created", "created_by")
    list_select_related = ("design", "created_by")
