"""The whole object graph of one design in one answer, for the designer's canvas.

Loading a design object kind by object kind takes one request per kind and per 1,000 objects (some sixty
requests for the 1,000-host benchmark design). ``GET /api/designs/<id>/graph/`` returns them all at once,
serialized exactly as the list endpoints serialize them (the same viewsets' querysets, filters and
serializers), keyed by the list endpoints' route names. Read-only.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from project.roles import user_can
from topology.models import Design

from . import views
from .base import JailnetModelViewSet
from .serializers import DesignSerializer

# Route name of the list endpoint -> its viewset (the object kinds the designer draws).
GRAPH_KINDS: dict[str, type[JailnetModelViewSet]] = {
    "hosts": views.HostViewSet,
    "interfaces": views.InterfaceViewSet,
    "switches": views.SwitchViewSet,
    "switch-ports": views.SwitchPortViewSet,
    "jails": views.JailViewSet,
    "jail-nics": views.JailNicViewSet,
    "jail-addresses": views.JailAddressViewSet,
    "vms": views.VirtualMachineViewSet,
    "vm-nics": views.VmNicViewSet,
    "vxlan-segments": views.VxlanSegmentViewSet,
    "vxlan-members": views.VxlanMemberViewSet,
    "dhcp-services": views.DhcpServiceViewSet,
    "dhcp-static-leases": views.DhcpStaticLeaseViewSet,
    "nat-rules": views.OutboundNatViewSet,
    "port-redirects": views.PortRedirectViewSet,
}


def design_graph_objects(*, request: Request, design: Design) -> dict[str, list[dict[str, Any]]]:
    """Every object of ``design`` per kind, as the kind's list endpoint filtered by ``design_id`` returns it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, viewset_class in GRAPH_KINDS.items():
        viewset = viewset_class(request=request, format_kwarg=None, action="list", kwargs={})
        queryset = viewset.get_queryset()
        filterset = viewset.filterset_class(data={"design_id": str(design.pk)}, queryset=queryset, request=request)
        out[key] = list(viewset.get_serializer(filterset.qs, many=True).data)
    return out


class DesignGraphView(APIView):
    """``GET /api/designs/<id>/graph/``: the design and all its objects, one list per kind."""

    @extend_schema(
        tags=["designs"],
        operation_id="designs_graph_retrieve",
        responses=inline_serializer(
            "DesignGraph",
            {
                "design": DesignSerializer(),
                "objects": serializers.DictField(child=serializers.ListField(child=serializers.DictField())),
            },
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        """The design and every object of it, keyed like the list endpoints (``hosts``, ``jail-nics``, …)."""
        if not user_can(request.user, "read"):
            return Response({"detail": "You are not allowed to do this."}, status=status.HTTP_403_FORBIDDEN)
        design = get_object_or_404(Design.objects.all(), pk=pk)
        return Response(
            {
                "design": DesignSerializer(design, context={"request": request}).data,
                "objects": design_graph_objects(request=request, design=design),
            }
        )
