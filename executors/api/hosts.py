"""Registered hosts seen from the executors room (operators).

* ``POST /api/managed-hosts/{id}/test-connection/``: queue a "Test connection" job on the host-work queue (202
  with the job); the worker reads the host's key (first contact: nothing sent) or, once pinned, logs in and
  gathers its facts, streaming them into the job's log. The facts land on the host (``/api/managed-hosts/``) and
  in the job's result. The web request never talks SSH.
* ``GET``/``PUT /api/designs/{id}/host-mapping/``: which registered host each host of the design is deployed to
  (unmapped: deploy to the design's lab), with the key's pinned state; a registered host once per design.

The host's rows and key trust belong to ``inventory``.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import ManagedHost
from project.permissions import RolePermission
from topology.models import Design

from ..hosts.services import (
    HostJobConflict,
    MappingError,
    design_host_mapping,
    design_hosts_map,
    host_test_start,
)
from .serializers import JobSerializer


class DetailSerializer(serializers.Serializer):
    """Why a request was refused."""

    detail = serializers.CharField()


class ManagedHostTestConnectionView(APIView):
    """Queue a test connection of a registered host as a job (key first; login and facts once pinned)."""

    permission_classes = [RolePermission]
    write_action = "edit_inventory"

    @extend_schema(
        request=None,
        responses={
            202: JobSerializer,
            409: OpenApiResponse(DetailSerializer, description="A test connection of this host is running"),
        },
        tags=["managed-hosts"],
    )
    def post(self, request: Request, pk: int) -> Response:
        """Queue the test connection; follow the job for its log, then read the facts on the host."""
        host = get_object_or_404(ManagedHost, pk=pk)
        try:
            job = host_test_start(host=host, remote_addr=request.META.get("REMOTE_ADDR") or None)
        except HostJobConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class HostMappingEntrySerializer(serializers.Serializer):
    """A host of the design and the registered host it is deployed to (none: the design's lab only)."""

    host = serializers.CharField()
    host_id = serializers.IntegerField()
    managed_host = serializers.IntegerField(allow_null=True)
    managed_host_name = serializers.CharField(allow_blank=True)
    host_key_state = serializers.CharField(allow_blank=True, help_text="The registered host's key state")
    pinned = serializers.BooleanField(help_text="Deployable: the registered host's key is pinned")


class HostMappingUpdateSerializer(serializers.Serializer):
    """``{"mapping": {"<design host name>": <registered host id or null>}}``; hosts not named keep theirs."""

    mapping = serializers.DictField(child=serializers.IntegerField(allow_null=True, min_value=1), allow_empty=False)


class DesignHostMappingView(APIView):
    """Which registered host each host of a design is deployed to."""

    permission_classes = [RolePermission]
    write_action = "edit_inventory"

    @extend_schema(responses={200: HostMappingEntrySerializer(many=True)}, tags=["designs"])
    def get(self, request: Request, pk: int) -> Response:
        """The design's hosts and their registered hosts."""
        design = get_object_or_404(Design, pk=pk)
        return Response(HostMappingEntrySerializer(design_host_mapping(design=design), many=True).data)

    @extend_schema(
        request=HostMappingUpdateSerializer,
        responses={
            200: HostMappingEntrySerializer(many=True),
            400: OpenApiResponse(DetailSerializer, description="Unknown host, or a registered host mapped twice"),
        },
        tags=["designs"],
    )
    def put(self, request: Request, pk: int) -> Response:
        """Map hosts of the design (by name) to registered hosts (by id; null: unmapped). All or nothing."""
        design = get_object_or_404(Design, pk=pk)
        body = HostMappingUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            entries = design_hosts_map(design=design, mapping=body.validated_data["mapping"])
        except MappingError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(HostMappingEntrySerializer(entries, many=True).data)
