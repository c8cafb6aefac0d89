"""Serializers of the design objects. Foreign keys are written as ids and read as brief objects."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import JailnetModelSerializer
from core.audit_references import references_of
from topology.changes.api.serializers import AuditReferenceSerializer
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

COMMON = ("id", "url", "display", "version", "created", "last_updated")


def fields_of(model: type[models.Model], *, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """``COMMON`` followed by the model's own fields in declaration order (minus ``exclude``)."""
    own = [
        f.name
        for f in model._meta.concrete_fields
        if f.name not in COMMON and f.name not in exclude and f.name not in ("created", "last_updated")
    ]
    return (*COMMON, *own)


class DesignOwnerField(serializers.CharField):
    """The design's owner by user name ("" when none)."""

    def get_attribute(self, instance: Any) -> str:
        # Resolved here, not in to_representation: DRF writes null for a None attribute without asking the field.
        owner = instance.owner
        return owner.get_username() if owner is not None else ""


class DesignSerializer(JailnetModelSerializer):
    """A design: a named network workspace."""

    owner = DesignOwnerField(read_only=True, help_text="Who created the design")

    class Meta:
        model = Design
        fields = fields_of(Design)


class HostSerializer(JailnetModelSerializer):
    """A FreeBSD machine of a design, with the tools it has installed."""

    class Meta:
        model = Host
        fields = fields_of(Host)


class InterfaceSerializer(JailnetModelSerializer):
    """A physical, VLAN or loopback interface of a host."""

    class Meta:
        model = Interface
        fields = fields_of(Interface)


class StaticRouteSerializer(JailnetModelSerializer):
    """An rc.conf static route of a host."""

    class Meta:
        model = StaticRoute
        fields = fields_of(StaticRoute)


class SwitchSerializer(JailnetModelSerializer):
    """A bridge on a host."""

    class Meta:
        model = Switch
        fields = fields_of(Switch)


class SwitchPortSerializer(JailnetModelSerializer):
    """A physical or VLAN interface that is a member of a switch."""

    class Meta:
        model = SwitchPort
        fields = fields_of(SwitchPort)


class VxlanSegmentSerializer(JailnetModelSerializer):
    """A VXLAN segment (VNI) stretched across hosts."""

    class Meta:
        model = VxlanSegment
        fields = fields_of(VxlanSegment)


class VxlanMemberSerializer(JailnetModelSerializer):
    """One host's vxlan(4) interface of a segment."""

    class Meta:
        model = VxlanMember
        fields = fields_of(VxlanMember)


class JailSerializer(JailnetModelSerializer):
    """A plain or VNET jail on a host."""

    class Meta:
        model = Jail
        fields = fields_of(Jail)


class JailAddressSerializer(JailnetModelSerializer):
    """An address of a plain jail on a host interface."""

    class Meta:
        model = JailAddress
        fields = fields_of(JailAddress)


class JailNicSerializer(JailnetModelSerializer):
    """A VNET jail NIC (epair) on a switch."""

    class Meta:
        model = JailNic
        fields = fields_of(JailNic)


class VirtualMachineSerializer(JailnetModelSerializer):
    """A bhyve guest managed by vm-bhyve."""

    class Meta:
        model = VirtualMachine
        fields = fields_of(VirtualMachine)


class VmNicSerializer(JailnetModelSerializer):
    """A VM NIC (tap) on a switch."""

    class Meta:
        model = VmNic
        fields = fields_of(VmNic)


class OutboundNatSerializer(JailnetModelSerializer):
    """Outbound NAT of a source network behind an interface of a host."""

    class Meta:
        model = OutboundNat
        fields = fields_of(OutboundNat)


class PortRedirectSerializer(JailnetModelSerializer):
    """An inbound port redirect to a jail, VM or address."""

    class Meta:
        model = PortRedirect
        fields = fields_of(PortRedirect)


class DhcpServiceSerializer(JailnetModelSerializer):
    """dnsmasq serving DHCP on a switch."""

    class Meta:
        model = DhcpService
        fields = fields_of(DhcpService)


class DhcpStaticLeaseSerializer(JailnetModelSerializer):
    """A DHCP reservation by MAC address."""

    class Meta:
        model = DhcpStaticLease
        fields = fields_of(DhcpStaticLease)


class FirewallPolicySerializer(JailnetModelSerializer):
    """The firewall of a host or of a VNET jail (exactly one of ``host`` / ``jail``)."""

    class Meta:
        model = FirewallPolicy
        fields = fields_of(FirewallPolicy)


class FirewallRuleSerializer(JailnetModelSerializer):
    """One pf filter rule of a policy."""

    class Meta:
        model = FirewallRule
        fields = fields_of(FirewallRule)


# --- payloads of the design actions ------------------------------------------------------------------------


class ObjectRefSerializer(serializers.Serializer):
    """The object a finding is about: its kind, readable path and database id."""

    kind = serializers.CharField()
    path = serializers.CharField()
    id = serializers.IntegerField(allow_null=True)


class FindingSerializer(serializers.Serializer):
    """One validation finding: which rule, how severe, about which objects."""

    code = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])
    message = serializers.CharField()
    object = ObjectRefSerializer(allow_null=True, help_text="The first object of ``objects``, if any")
    objects = ObjectRefSerializer(many=True)


class FindingCountsSerializer(serializers.Serializer):
    """How many findings of each severity."""

    error = serializers.IntegerField()
    warning = serializers.IntegerField()
    info = serializers.IntegerField()


class ValidationReportSerializer(serializers.Serializer):
    """The result of validating a design: valid when there is no error."""

    valid = serializers.BooleanField()
    counts = FindingCountsSerializer()
    findings = FindingSerializer(many=True)


class RenderedFileSerializer(serializers.Serializer):
    """One file the tool manages on a host."""

    path = serializers.CharField()
    content = serializers.CharField(allow_blank=True)
    mode = serializers.CharField(help_text="Octal permission bits, e.g. 0644")


class RenderedHostSerializer(serializers.Serializer):
    """The configuration of one host: the operator script and the managed files, from one model."""

    host = serializers.CharField()
    script = serializers.CharField(allow_blank=True)
    files = RenderedFileSerializer(many=True)


class DesignImportRequestSerializer(serializers.Serializer):
    """A design document (YAML text) to create or replace a design from."""

    document = serializers.CharField(help_text="The design as YAML (format jailnet-design/1)")


class DesignImportResultSerializer(DesignSerializer):
    """The imported design and whether the import changed anything."""

    changed = serializers.BooleanField(read_only=True)

    class Meta(DesignSerializer.Meta):
        fields = (*DesignSerializer.Meta.fields, "changed")


class ImportChangeSerializer(serializers.Serializer):
    """One object an import would create, update or delete, with its fields before and after."""

    action = serializers.CharField(help_text="create, update or delete")
    object_type = serializers.SerializerMethodField()
    object_repr = serializers.CharField()
    host_name = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    references = serializers.SerializerMethodField(help_text="Per reference field (``host_id`` ...), what it names")

    def get_object_type(self, entry: Any) -> str:
        return str(entry.object_type.model)

    @extend_schema_field(serializers.DictField(child=AuditReferenceSerializer()))
    def get_references(self, entry: Any) -> dict[str, dict[str, Any]]:
        names = self.context["reference_names"]
        out: dict[str, dict[str, Any]] = {}
        for attname, kind, value, _ in references_of(entry):
            out.setdefault(attname, {"kind": kind, "id": value, "name": names.get((kind, value))})
        return out


class ImportPreviewSerializer(serializers.Serializer):
    """What importing a document would change, object by object; nothing is saved."""

    exists = serializers.BooleanField(help_text="The design named in the document exists (else it would be created)")
    changed = serializers.BooleanField()
    changes = ImportChangeSerializer(many=True)


class DesignCloneRequestSerializer(serializers.Serializer):
    """The name of the copy."""

    name = serializers.CharField(max_length=100)


class ValidationRuleSerializer(serializers.Serializer):
    """A validation rule: its code, default severity, title and description."""

    code = serializers.CharField()
    severity = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
