"""Deployments API: ``POST /api/deployments/`` deploys an approved change request (operators) as a job (``job``:
follow it at ``/api/jobs/{job}/`` and over the websocket; cancel it there); ``POST /api/deployments/{id}/retry/``
deploys again, in a new job, only the hosts that did not end deployed or unchanged. List and detail show each
host's outcome, reason, changes and step timings. Bundles stay on the server (digests only here)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from project.permissions import RolePermission
from topology.changes.services import ChangeRequestConflict
from topology.models import ChangeRequest

from ..deploy.models import Deployment, DeploymentHost, DeploymentTarget
from ..deploy.services import deployment_create, deployment_retry
from ..jobs.services import JobConflict


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
                  "verify", "job", "requested_by_name", "created", "started_at", "finished_at", "hosts"]  # fmt: skip
        read_only_fields = fields


class DeploymentCreateSerializer(serializers.Serializer):
    """What to deploy where: an approved change request, to the design's lab or its registered hosts."""

    change_request = serializers.PrimaryKeyRelatedField(queryset=ChangeRequest.objects.all())
    target = serializers.ChoiceField(choices=DeploymentTarget.choices, default=DeploymentTarget.INVENTORY)
    confirm_seconds = serializers.IntegerField(default=120, min_value=2, max_value=3600)


class ConflictSerializer(serializers.Serializer):
    """Why the deploy cannot start now (not approved, a host unmapped or unpinned, the design busy ...)."""

    detail = serializers.CharField()


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

    @extend_schema(
        request=DeploymentCreateSerializer,
        responses={201: DeploymentSerializer, 409: OpenApiResponse(ConflictSerializer, description="Cannot start")},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Deploy an approved change request: a deploy job on the host-work queue (one operation per design)."""
        body = DeploymentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            deployment = deployment_create(
                user=request.user, remote_addr=request.META.get("REMOTE_ADDR") or None, **body.validated_data
            )
        except (ChangeRequestConflict, JobConflict) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(DeploymentSerializer(self.get_queryset().get(pk=deployment.pk)).data, status=201)

    @extend_schema(
        request=None,
        responses={200: DeploymentSerializer, 409: OpenApiResponse(ConflictSerializer, description="Cannot retry")},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Deploy again, in a new job, only the hosts that ended failed, unreachable, rolled back, cancelled or
        interrupted (the others keep their outcome); the change request goes back to deploying."""
        deployment = self.get_object()
        try:
            deployment = deployment_retry(
                deployment=deployment, user=request.user, remote_addr=request.META.get("REMOTE_ADDR") or None
            )
        except (ChangeRequestConflict, JobConflict) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(DeploymentSerializer(self.get_queryset().get(pk=deployment.pk)).data)
