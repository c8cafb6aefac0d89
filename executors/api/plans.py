"""Deploy plans API: ``/api/deploy-plans/``.

``POST {"change_request", "target": "lab" | "inventory"}`` (approvers and operators) starts a ``deploy_plan`` job:
a worker plans each host of the request against its live state (nothing changes there) and the job's result has
the plan per host (actions by category, management-path warnings). ``GET ?change_request=ID`` lists the plan
jobs of a request, newest first.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.serializers import DetailSerializer
from project.permissions import RolePermission
from topology.models import ChangeRequest
from topology.models.changes import ChangeRequestState

from ..deploy.models import DeploymentTarget
from ..jobs.services import JobConflict, job_create
from ..models import Job, JobKind
from .serializers import JobSerializer

PLANNABLE_STATES = (ChangeRequestState.SUBMITTED, ChangeRequestState.APPROVED)


class DeployPlanRequestSerializer(serializers.Serializer):
    """What to plan: a submitted or approved change request, against its lab or its registered hosts."""

    change_request = serializers.PrimaryKeyRelatedField(queryset=ChangeRequest.objects.select_related("design"))
    target = serializers.ChoiceField(choices=DeploymentTarget.choices)  # the same targets as a deploy's

    def validate_change_request(self, value: ChangeRequest) -> ChangeRequest:
        if value.state not in PLANNABLE_STATES:
            raise serializers.ValidationError(f"a {value.state} change request has nothing to plan")
        return value


@extend_schema(tags=["deploy plans"])
class DeployPlanViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Plan jobs of change requests; POST starts one."""

    serializer_class = JobSerializer
    permission_classes = [RolePermission]
    write_action = "plan_deploy"  # approvers (who decide about the request) and operators (who deploy it)
    pagination_class = None

    def get_queryset(self) -> QuerySet[Job]:
        queryset = Job.objects.filter(kind=JobKind.DEPLOY_PLAN).prefetch_related("steps").order_by("-created")
        change_request = self.request.query_params.get("change_request")
        if change_request is not None:
            queryset = queryset.filter(change_request_id=int(change_request) if change_request.isdigit() else -1)
        return queryset[:20]

    @extend_schema(
        parameters=[OpenApiParameter("change_request", int, description="the change request's plan jobs")],
        responses={200: JobSerializer(many=True)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The latest plan jobs (of one change request with ``?change_request=``), newest first."""
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=DeployPlanRequestSerializer,
        responses={
            202: OpenApiResponse(JobSerializer, description="The plan job was queued; its result has the plans"),
            409: OpenApiResponse(DetailSerializer, description="Another job on the design is queued or running"),
        },
    )
    def create(self, request: Request) -> Response:
        """Start planning a change request against its lab or its registered hosts."""
        serializer = DeployPlanRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cr: ChangeRequest = serializer.validated_data["change_request"]
        target: str = serializer.validated_data["target"]
        try:
            with transaction.atomic():
                job = job_create(
                    kind=JobKind.DEPLOY_PLAN, design=cr.design, content_hash=cr.content_hash,
                    options={"change_request": cr.pk, "target": target},
                    remote_addr=request.META.get("REMOTE_ADDR") or None,
                )  # fmt: skip
                Job.objects.filter(pk=job.pk).update(change_request=cr)
                job.change_request = cr
        except JobConflict as exc:
            return Response(
                {"detail": str(exc), "job": exc.holder.pk, "held_by": exc.holder.requested_by_name},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
