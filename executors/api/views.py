"""Lab API: ``/api/labs/`` lists labs; ``up``, ``check`` and ``down`` start a job (operators) and answer 202 with
it; ``report`` gives the last check's matrix to anyone who may read.

The web process never runs a lab operation: a worker of the host-work queue does (as root), and the job's page
and websocket show its progress and output. A second operation on a design whose job is still queued or running
answers 409 saying which job holds it and who asked for it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.serializers import DetailSerializer
from project.permissions import RolePermission
from topology.models import Design

from ..jobs.services import JobConflict, job_create
from ..lab.services import lab_current_status
from ..models import JobKind, Lab
from .serializers import (
    JobSerializer,
    LabCheckReportSerializer,
    LabCheckSerializer,
    LabDetailSerializer,
    LabLiveSerializer,
    LabSerializer,
    LabUpSerializer,
)

JOB_STARTED = {
    202: OpenApiResponse(
        JobSerializer, description="The job was queued; follow it on /api/jobs/{id}/ or the websocket"
    ),
    409: OpenApiResponse(DetailSerializer, description="Another job on the design is queued or running (who holds it)"),
}


def _start_job(request: Request, design: Design, kind: str, options: dict[str, Any] | None = None) -> Response:
    try:
        job = job_create(
            kind=kind, design=design, options=options or {}, remote_addr=request.META.get("REMOTE_ADDR") or None
        )
    except JobConflict as exc:
        return Response(
            {"detail": str(exc), "job": exc.holder.pk, "held_by": exc.holder.requested_by_name},
            status=status.HTTP_409_CONFLICT,
        )
    return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class LabViewSet(viewsets.ReadOnlyModelViewSet):
    """Labs of designs: state and last check; actions to bring a lab up, check it and tear it down."""

    queryset = Lab.objects.select_related("design")
    serializer_class = LabSerializer
    permission_classes = [RolePermission]
    write_action = "deploy"

    def get_queryset(self) -> QuerySet[Lab]:
        # A check's cells run to thousands on a large design: only the report reads them.
        queryset = super().get_queryset()
        return queryset if self.action == "report" else queryset.defer("check_cells")

    @extend_schema(responses={200: LabDetailSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        lab = self.get_object()
        data = dict(LabSerializer(lab, context={"request": request}).data)
        data["live"] = LabLiveSerializer(lab_current_status(design=lab.design)).data
        return Response(data)

    @extend_schema(request=LabUpSerializer, responses=JOB_STARTED)
    @action(detail=False, methods=["post"])
    def up(self, request: Request) -> Response:
        """Start a job bringing the lab of a design up (tearing down an earlier one)."""
        body = LabUpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        design = Design.objects.filter(pk=body.validated_data["design"]).first()
        if design is None:
            return Response({"design": ["no such design"]}, status=status.HTTP_400_BAD_REQUEST)
        return _start_job(request, design, JobKind.LAB_UP)

    @extend_schema(request=LabCheckSerializer, responses=JOB_STARTED)
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str | None = None) -> Response:
        """Start a job measuring the lab's reachability, cell by cell, against what the design promises; it is
        kept as the lab's last check (``report``). A design changed since ``up`` fails the job with
        ``result.stale``: bring the lab up again."""
        lab = self.get_object()
        body = LabCheckSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        options = {"sample": body.validated_data["sample"]} if body.validated_data.get("sample") else {}
        return _start_job(request, lab.design, JobKind.LAB_CHECK, options)

    @extend_schema(
        responses={
            200: LabCheckReportSerializer,
            404: OpenApiResponse(DetailSerializer, description="No such lab, or no check of it is kept"),
        }
    )
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        """The lab's last check, cell by cell, as ``check`` answered it; 404 when the lab has not been checked
        since it was last brought up. It may be from a lab that has since gone down: see the lab's ``state``."""
        lab = self.get_object()
        if not lab.has_check_report:
            why = (
                "was checked before its cells were kept: check it again"
                if lab.last_check_at
                else "has not been checked since it was brought up"
            )
            return Response({"detail": f"the lab of {lab.design.name} {why}"}, status=status.HTTP_404_NOT_FOUND)
        return Response(LabCheckReportSerializer(lab).data)

    @extend_schema(request=None, responses=JOB_STARTED)
    @action(detail=True, methods=["post"])
    def down(self, request: Request, pk: str | None = None) -> Response:
        """Start a job tearing the lab down; nothing of it is left on the machine."""
        lab = self.get_object()
        return _start_job(request, lab.design, JobKind.LAB_DOWN)
