"""Deployments API: ``POST /api/deployments/`` deploys an approved change request (operators); list and detail
show each host's outcome, reason, changes and step timings. Bundles stay on the server (digests only here)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from project.permissions import RolePermission
from topology.changes.services import ChangeRequestConflict
from topology.models import ChangeRequest

from ..deploy.models import Deployment, DeploymentHost, DeploymentTarget
from ..deploy.services import deployment_create


class DeploymentHostSerializer(serializers.ModelSerializer):
    """One host of a deployment: outcome, why, what the apply changed, how long each step took."""

    class Meta:
        model = DeploymentHost
        fields = ["id", "host_name", "managed_host", "digest", "outcome", "reason", "changes", "timings",
                  "started_at", "finished_at"]  # fmt: skip
        read_only_fields = fields


class DeploymentSerializer(serializers.ModelSerializer):
    """A deployment and its hosts."""

    hosts = DeploymentHostSerializer(many=True, read_only=True)

    class Meta:
        model = Deployment
        fields = ["id", "change_request", "design_id", "design_name", "target", "confirm_seconds", "state", "message",
                  "verify", "requested_by_name", "created", "started_at", "finished_at", "hosts"]  # fmt: skip
        read_only_fields = fields


class DeploymentCreateSerializer(serializers.Serializer):
    """What to deploy where: an approved change request, to the design's lab or its registered hosts."""

    change_request = serializers.PrimaryKeyRelatedField(queryset=ChangeRequest.objects.all())
    target = serializers.ChoiceField(choices=DeploymentTarget.choices, default=DeploymentTarget.INVENTORY)
    confirm_seconds = serializers.IntegerField(default=120, min_value=2, max_value=3600)


class DeploymentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Deployments of change requests."""

    serializer_class = DeploymentSerializer
    permission_classes = [RolePermission]
    write_action = "deploy"

    @extend_schema(parameters=[OpenApiParameter("change_request", int, description="Only this request's")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Deployment]:
        queryset = Deployment.objects.prefetch_related("hosts").order_by("-created", "-id")
        wanted = self.request.query_params.get("change_request", "")
        return queryset.filter(change_request_id=int(wanted)) if wanted.isdigit() else queryset

    @extend_schema(request=DeploymentCreateSerializer, responses={201: DeploymentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = DeploymentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            deployment = deployment_create(user=request.user, **body.validated_data)
        except ChangeRequestConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(DeploymentSerializer(self.get_queryset().get(pk=deployment.pk)).data, status=201)
