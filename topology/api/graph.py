"""The whole object graph of one design in one answer, for the designer's canvas.

Loading a design object kind by object kind takes one request per kind and per 1,000 objects (some sixty
requests for the 1,000-host benchmark design). ``GET /api/designs/<id>/graph/`` returns them all at once,
serialized exactly as the list endpoints serialize them (the same viewsets' querysets, filters and
serializers), keyed by the list endpoints' route names. Read-only.

Large designs open with their hosts collapsed, and serializing every object of a 1,000-host design takes
seconds, so the designer loads them in two steps:

- ``?scope=overview``: only what collapsed hosts need — the hosts, their switches, the VXLAN segments and
  members — plus ``counts``: per host id, how many jails, VMs, switches and interfaces it has;
- ``?host=<id>`` (repeatable, or comma-separated ids): every object of those hosts (the hosts themselves
  included), under the same keys as the whole design.

Each call runs a constant number of queries, whatever the number of hosts.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.viewsets import JailnetModelViewSet
from project.roles import user_can
from topology import models
from topology.models import Design

from . import views
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


# Route name -> the lookup from the kind's model to its host (for ``?host=``).
HOST_PATHS: dict[str, str] = {
    "hosts": "pk",
    "interfaces": "host",
    "switches": "host",
    "switch-ports": "switch__host",
    "jails": "host",
    "jail-nics": "jail__host",
    "jail-addresses": "jail__host",
    "vms": "host",
    "vm-nics": "vm__host",
    "vxlan-members": "host",
    "dhcp-services": "host",
    "dhcp-static-leases": "service__host",
    "nat-rules": "host",
    "port-redirects": "host",
}

# The kinds ``?scope=overview`` returns: enough to draw every host collapsed, with the segments' edges.
OVERVIEW_KINDS = ("hosts", "switches", "vxlan-segments", "vxlan-members")

# The per-host counts of the overview: name -> the reverse relation of Host it counts.
COUNTED = {"jails": "jails", "vms": "vms", "switches": "switches", "interfaces": "interfaces"}


class HostCountsSerializer(serializers.Serializer):
    """What a collapsed host node summarizes: how many of each it holds."""

    jails = serializers.IntegerField()
    vms = serializers.IntegerField()
    switches = serializers.IntegerField()
    interfaces = serializers.IntegerField()


def _list_serializer(viewset: type[JailnetModelViewSet]) -> serializers.BaseSerializer:
    """The read-only list serializer of ``viewset``'s objects (every graph kind's viewset declares one)."""
    serializer_class = viewset.serializer_class
    assert serializer_class is not None, f"{viewset.__name__} declares no serializer_class"
    return serializer_class(many=True, read_only=True)


# One list per kind, keyed by the list endpoint's route name, each item as that endpoint serializes it.
DesignGraphObjectsSerializer = type(
    "DesignGraphObjectsSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The objects of a design (or of some of its hosts), one list per kind.",
        **{key: _list_serializer(viewset) for key, viewset in GRAPH_KINDS.items()},
    },
)


class DesignGraphSerializer(serializers.Serializer):
    """The answer of ``GET /api/designs/<id>/graph/``."""

    design = DesignSerializer()
    objects = DesignGraphObjectsSerializer()
    counts = serializers.DictField(
        child=HostCountsSerializer(),
        required=False,
        help_text="With `scope=overview`: per host id, how many jails, vms, switches and interfaces it holds.",
    )


def _serialize(*, request: Request, key: str, design: Design, narrow: Any = None) -> list[dict[str, Any]]:
    """The list endpoint ``key`` filtered by ``design_id`` (and by ``narrow(queryset)`` when given), serialized."""
    viewset = GRAPH_KINDS[key](request=request, format_kwarg=None, action="list", kwargs={})
    queryset = viewset.get_queryset()
    filterset = viewset.filterset_class(data={"design_id": str(design.pk)}, queryset=queryset, request=request)
    qs: QuerySet = filterset.qs
    if narrow is not None:
        qs = narrow(qs)
    return list(viewset.get_serializer(qs, many=True).data)


def design_graph_objects(*, request: Request, design: Design) -> dict[str, list[dict[str, Any]]]:
    """Every object of ``design`` per kind, as the kind's list endpoint filtered by ``design_id`` returns it."""
    return {key: _serialize(request=request, key=key, design=design) for key in GRAPH_KINDS}


def design_graph_overview(*, request: Request, design: Design) -> dict[str, list[dict[str, Any]]]:
    """The hosts, switches, VXLAN segments and members of ``design`` (the other kinds as empty lists)."""
    return {
        key: _serialize(request=request, key=key, design=design) if key in OVERVIEW_KINDS else [] for key in GRAPH_KINDS
    }


def design_host_counts(design: Design) -> dict[str, dict[str, int]]:
    """Per host id (as a string, a JSON key): how many jails, VMs, switches and interfaces it holds."""
    # One query per counted relation (annotating all four on one query would multiply the joins).
    counts: dict[str, dict[str, int]] = {}
    for name, relation in COUNTED.items():
        rows = models.Host.objects.filter(design=design).annotate(n=Count(relation)).values_list("pk", "n")
        for pk, n in rows:
            counts.setdefault(str(pk), {key: 0 for key in COUNTED})[name] = n
    return counts


def design_hosts_objects(*, request: Request, design: Design, host_ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    """Every object of the hosts ``host_ids`` of ``design`` per kind (VXLAN segments: none, they are design-wide)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key in GRAPH_KINDS:
        path = HOST_PATHS.get(key)
        if path is None:
            out[key] = []
            continue
        lookup = Q(**{f"{path}__in": host_ids})
        out[key] = _serialize(
            request=request, key=key, design=design, narrow=lambda qs, lookup=lookup: qs.filter(lookup)
        )
    return out


MAX_ID = 2**63 - 1  # the largest primary key PostgreSQL's bigint and SQLite's INTEGER hold


def parse_host_ids(values: list[str]) -> list[int] | None:
    """``?host=1&host=2,3`` -> ``[1, 2, 3]``; None when one of them is not an id (not ASCII digits, or beyond
    what a database key holds)."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not (part.isascii() and part.isdigit()) or int(part) > MAX_ID:
                return None
            ids.append(int(part))
    return ids


class DesignGraphView(APIView):
    """``GET /api/designs/<id>/graph/``: the design and all its objects, one list per kind."""

    @extend_schema(
        tags=["designs"],
        operation_id="designs_graph_retrieve",
        parameters=[
            OpenApiParameter(
                "scope",
                OpenApiTypes.STR,
                enum=["overview"],
                description="`overview`: only the hosts, switches, VXLAN segments and members, plus `counts` "
                "(per host id: jails, vms, switches, interfaces). Without it: every object of the design.",
            ),
            OpenApiParameter(
                "host",
                {"type": "array", "items": {"type": "integer"}},
                style="form",
                explode=True,
                description="Only the objects of these hosts (repeat the parameter, or give comma-separated ids).",
            ),
        ],
        responses=DesignGraphSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        """The design and its objects, keyed like the list endpoints (``hosts``, ``jail-nics``, …)."""
        if not user_can(request.user, "read"):
            return Response({"detail": "You are not allowed to do this."}, status=status.HTTP_403_FORBIDDEN)
        design = get_object_or_404(Design.objects.all(), pk=pk)
        body: dict[str, Any] = {"design": DesignSerializer(design, context={"request": request}).data}
        scope = request.query_params.get("scope")
        hosts = request.query_params.getlist("host")
        if scope not in (None, "", "overview"):
            return Response(
                {"scope": ["Unknown scope; the only one is “overview”."]}, status=status.HTTP_400_BAD_REQUEST
            )
        if hosts:
            host_ids = parse_host_ids(hosts)
            if host_ids is None:
                return Response({"host": ["Host ids are numbers."]}, status=status.HTTP_400_BAD_REQUEST)
            body["objects"] = design_hosts_objects(request=request, design=design, host_ids=host_ids)
        elif scope == "overview":
            body["objects"] = design_graph_overview(request=request, design=design)
            body["counts"] = design_host_counts(design)
        else:
            body["objects"] = design_graph_objects(request=request, design=design)
        return Response(body)
