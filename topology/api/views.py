"""Endpoints of the design objects, and the design-level actions (validate, render, export, import)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.serializers import DetailSerializer
from core.api.viewsets import JailnetModelViewSet
from topology.design_io import (
    DocumentError,
    dump_document,
    load_document,
    snapshot_from_document,
)
from topology.layout import document_with_layout
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
from topology.render.freebsd import UnsafeValueError, render_design, render_host
from topology.services.designs import (
    design_clone,
    design_create,
    design_import_preview,
    design_import_with_layout,
    split_layout,
)
from topology.services.live_design import design_live_snapshot, design_live_validation
from topology.validation import RULES

from . import filtersets
from . import serializers as s

# --- design objects -----------------------------------------------------------------------------------------


class HostViewSet(JailnetModelViewSet):
    """Hosts (jailhosts and gateways) of designs."""

    queryset = Host.objects.all()
    serializer_class = s.HostSerializer
    filterset_class = filtersets.HostFilterSet
    select_related_fields = ("design", "managed_host")


class InterfaceViewSet(JailnetModelViewSet):
    """Physical, VLAN and loopback interfaces of hosts."""

    queryset = Interface.objects.all()
    serializer_class = s.InterfaceSerializer
    filterset_class = filtersets.InterfaceFilterSet
    select_related_fields = ("host", "parent__host")


class StaticRouteViewSet(JailnetModelViewSet):
    """Static routes of hosts."""

    queryset = StaticRoute.objects.all()
    serializer_class = s.StaticRouteSerializer
    filterset_class = filtersets.StaticRouteFilterSet
    select_related_fields = ("host",)


class SwitchViewSet(JailnetModelViewSet):
    """Switches (bridges) of hosts."""

    queryset = Switch.objects.all()
    serializer_class = s.SwitchSerializer
    filterset_class = filtersets.SwitchFilterSet
    select_related_fields = ("host",)


class SwitchPortViewSet(JailnetModelViewSet):
    """Physical and VLAN interfaces that are members of switches."""

    queryset = SwitchPort.objects.all()
    serializer_class = s.SwitchPortSerializer
    filterset_class = filtersets.SwitchPortFilterSet
    select_related_fields = ("switch__host", "interface__host")


class VxlanSegmentViewSet(JailnetModelViewSet):
    """VXLAN segments of designs."""

    queryset = VxlanSegment.objects.all()
    serializer_class = s.VxlanSegmentSerializer
    filterset_class = filtersets.VxlanSegmentFilterSet
    select_related_fields = ("design",)


class VxlanMemberViewSet(JailnetModelViewSet):
    """Each host's vxlan interface of a segment."""

    queryset = VxlanMember.objects.all()
    serializer_class = s.VxlanMemberSerializer
    filterset_class = filtersets.VxlanMemberFilterSet
    select_related_fields = ("segment", "host", "underlay_interface__host", "switch__host")


class JailViewSet(JailnetModelViewSet):
    """Plain and VNET jails."""

    queryset = Jail.objects.all()
    serializer_class = s.JailSerializer
    filterset_class = filtersets.JailFilterSet
    select_related_fields = ("host",)


class JailAddressViewSet(JailnetModelViewSet):
    """Addresses of plain jails."""

    queryset = JailAddress.objects.all()
    serializer_class = s.JailAddressSerializer
    filterset_class = filtersets.JailAddressFilterSet
    select_related_fields = ("jail__host",)


class JailNicViewSet(JailnetModelViewSet):
    """NICs of VNET jails."""

    queryset = JailNic.objects.all()
    serializer_class = s.JailNicSerializer
    filterset_class = filtersets.JailNicFilterSet
    select_related_fields = ("jail__host", "switch__host")


class VirtualMachineViewSet(JailnetModelViewSet):
    """bhyve virtual machines."""

    queryset = VirtualMachine.objects.all()
    serializer_class = s.VirtualMachineSerializer
    filterset_class = filtersets.VirtualMachineFilterSet
    select_related_fields = ("host",)


class VmNicViewSet(JailnetModelViewSet):
    """NICs of virtual machines."""

    queryset = VmNic.objects.all()
    serializer_class = s.VmNicSerializer
    filterset_class = filtersets.VmNicFilterSet
    select_related_fields = ("vm__host", "switch__host")


class OutboundNatViewSet(JailnetModelViewSet):
    """Outbound NAT rules of hosts."""

    queryset = OutboundNat.objects.all()
    serializer_class = s.OutboundNatSerializer
    filterset_class = filtersets.OutboundNatFilterSet
    select_related_fields = ("host",)


class PortRedirectViewSet(JailnetModelViewSet):
    """Inbound port redirects of hosts."""

    queryset = PortRedirect.objects.all()
    serializer_class = s.PortRedirectSerializer
    filterset_class = filtersets.PortRedirectFilterSet
    select_related_fields = ("host", "target_jail__host", "target_vm__host")


class DhcpServiceViewSet(JailnetModelViewSet):
    """DHCP services (dnsmasq) on switches."""

    queryset = DhcpService.objects.all()
    serializer_class = s.DhcpServiceSerializer
    filterset_class = filtersets.DhcpServiceFilterSet
    select_related_fields = ("host", "switch__host")


class DhcpStaticLeaseViewSet(JailnetModelViewSet):
    """DHCP reservations of DHCP services."""

    queryset = DhcpStaticLease.objects.all()
    serializer_class = s.DhcpStaticLeaseSerializer
    filterset_class = filtersets.DhcpStaticLeaseFilterSet
    select_related_fields = ("service__host", "service__switch__host")


class FirewallPolicyViewSet(JailnetModelViewSet):
    """Firewall policies of hosts and VNET jails."""

    queryset = FirewallPolicy.objects.all()
    serializer_class = s.FirewallPolicySerializer
    filterset_class = filtersets.FirewallPolicyFilterSet
    select_related_fields = ("host", "jail__host")


class FirewallRuleViewSet(JailnetModelViewSet):
    """Rules of firewall policies."""

    queryset = FirewallRule.objects.all()
    serializer_class = s.FirewallRuleSerializer
    filterset_class = filtersets.FirewallRuleFilterSet
    select_related_fields = ("policy__host", "policy__jail__host")


# --- designs and their actions ------------------------------------------------------------------------------


RENDER_HOST_PARAMETER = OpenApiParameter(
    "host", str, OpenApiParameter.QUERY, required=False, description="Render only the host of this name"
)


class DesignViewSet(JailnetModelViewSet):
    """Designs: named network workspaces, with validation, rendering, export and import."""

    queryset = Design.objects.all()
    serializer_class = s.DesignSerializer
    filterset_class = filtersets.DesignFilterSet
    select_related_fields = ("owner",)
    ordering_fields = ["name", "created", "last_updated", "owner__username"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create an empty design, owned by the user who creates it."""
        with transaction.atomic():
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            data.pop("version", None)
            design = design_create(data=data, user=request.user)
            payload = self.get_serializer(self._reread(design)).data
        return Response(payload, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Clone a design",
        request=s.DesignCloneRequestSerializer,
        responses={201: s.DesignSerializer, 400: OpenApiResponse(OpenApiTypes.OBJECT), 403: DetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def clone(self, request: Request, pk: str | None = None) -> Response:
        """A copy of the design under a new name (content and node positions), owned by the caller."""
        payload = s.DesignCloneRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        copy = design_clone(design=self.get_object(), name=payload.validated_data["name"], user=request.user)
        return Response(self.get_serializer(self._reread(copy)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Validate a design",
        responses={200: s.ValidationReportSerializer, 403: DetailSerializer, 404: DetailSerializer},
    )
    @action(detail=True, methods=["get"])
    def validation(self, request: Request, pk: str | None = None) -> Response:
        """Check the design against every validation rule; the findings say what is wrong and where.

        Incremental: after an edit, only what the edit can affect is read and checked again
        (``topology.services.live_design``); the report is the one a full validation gives."""
        return Response(design_live_validation(design=self.get_object()).as_dict())

    @extend_schema(
        summary="Render a design per host",
        parameters=[RENDER_HOST_PARAMETER],
        responses={
            200: s.RenderedHostSerializer(many=True),
            400: OpenApiResponse(DetailSerializer, description="A value the renderer refuses to write (see JN117)"),
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def render(self, request: Request, pk: str | None = None) -> Response:
        """The FreeBSD configuration of every host (or of ``?host=``): operator script and managed files."""
        snapshot = design_live_snapshot(design=self.get_object())
        host_name = request.query_params.get("host")
        if host_name and snapshot.host(host_name) is None:
            raise exceptions.NotFound(f"The design has no host named '{host_name}'.")
        try:
            configs = [render_host(snapshot, host_name)] if host_name else list(render_design(snapshot).values())
        except UnsafeValueError as exc:  # a value stored before the allow-lists existed; JN117 says where
            raise exceptions.ValidationError({"detail": str(exc)}) from exc
        return Response(s.RenderedHostSerializer(configs, many=True).data)

    @extend_schema(
        summary="Export a design as YAML",
        responses={
            (200, "application/yaml"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The design document (format jailnet-design/1) as YAML text"
            ),
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The design as a YAML document (design as code); importing it gives the same design back."""
        design = self.get_object()
        text = dump_document(document_with_layout(design=design))
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{design.name}.yaml"'
        return response

    @extend_schema(
        summary="Preview a design document's import",
        request=s.DesignImportRequestSerializer,
        responses={
            200: s.ImportPreviewSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="The document is not valid"),
            403: DetailSerializer,
        },
    )
    @action(detail=False, methods=["post"], url_path="import-preview")
    def import_preview(self, request: Request) -> Response:
        """What importing the document would create, update and delete, object by object (a dry run)."""
        payload = s.DesignImportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        preview = design_import_preview(document_text=payload.validated_data["document"], user=request.user)
        data = s.ImportPreviewSerializer(
            {"exists": preview.existed, "changed": bool(preview.entries), "changes": preview.entries},
            context={"reference_names": preview.reference_names},
        ).data
        return Response(data)

    @extend_schema(
        summary="Import a design document",
        request=s.DesignImportRequestSerializer,
        responses={
            200: OpenApiResponse(
                s.DesignImportResultSerializer,
                description="The design existed; `changed` says whether the document changed it",
            ),
            201: OpenApiResponse(s.DesignImportResultSerializer, description="A new design was created"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="The document is not valid"),
            403: DetailSerializer,
        },
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_document(self, request: Request) -> Response:
        """Create or update a design from a YAML document (matched by the document's name)."""
        payload = s.DesignImportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # Parsed once: a large document costs seconds of YAML parsing.
        try:
            doc = load_document(payload.validated_data["document"])
            layout = split_layout(doc)
            snapshot = snapshot_from_document(doc)
        except DocumentError as exc:
            raise exceptions.ValidationError(
                {**exc.fields, **({"document": exc.errors} if exc.errors else {})}
            ) from exc
        existed_before = Design.objects.filter(name=snapshot.name).exists()
        design, changed = design_import_with_layout(snapshot=snapshot, layout=layout, user=request.user)
        design = self.get_queryset().get(pk=design.pk)
        design.changed = changed
        data = s.DesignImportResultSerializer(design, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_200_OK if existed_before else status.HTTP_201_CREATED)


class ValidationRuleViewSet(viewsets.ViewSet):
    """The rules a design is validated against."""

    @extend_schema(responses={200: s.ValidationRuleSerializer(many=True), 403: DetailSerializer})
    def list(self, request: Request) -> Response:
        """Every validation rule with its code, severity, title and description."""
        return Response(s.ValidationRuleSerializer(RULES, many=True).data)
