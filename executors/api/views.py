"""Lab API: ``/api/labs/`` lists labs; ``up``, ``check`` and ``down`` run the lab (operators, as root only);
``report`` gives the last check's matrix to anyone who may read.

The operations run in the request (a lab of a few hosts comes up in seconds). When the server does not run
as root they answer 409 with the reason; a lab operation that fails answers 409 with what went wrong.
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

from ..lab.lifecycle import LabError
from ..lab.services import lab_current_status, lab_run_check, lab_start, lab_stop
from ..models import Lab
from .serializers import (
    LabCheckReportSerializer,
    LabDetailSerializer,
    LabLiveSerializer,
    LabSerializer,
    LabUpSerializer,
)


def _conflict(exc: Exception) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


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

    @extend_schema(request=LabUpSerializer, responses={200: LabSerializer})
    @action(detail=False, methods=["post"])
    def up(self, request: Request) -> Response:
        """Bring the lab of a design up (tearing down an earlier one)."""
        body = LabUpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        design = Design.objects.filter(pk=body.validated_data["design"]).first()
        if design is None:
            return Response({"design": ["no such design"]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            lab, _ = lab_start(design=design)
        except LabError as exc:
            return _conflict(exc)
        return Response(LabSerializer(lab, context={"request": request}).data)

    @extend_schema(request=None, responses={200: LabCheckReportSerializer})
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str | None = None) -> Response:
        """Measure the lab's reachability, cell by cell, against what the design promises; it is kept as the
        lab's last check (``report``)."""
        lab = self.get_object()
        try:
            lab, _ = lab_run_check(design=lab.design)
        except LabError as exc:
            return _conflict(exc)
        return Response(LabCheckReportSerializer(lab).data)

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

    @extend_schema(request=None, responses={200: LabSerializer})
    @action(detail=True, methods=["post"])
    def down(self, request: Request, pk: str | None = None) -> Response:
        """Tear the lab down; nothing of it is left on the machine."""
        lab = self.get_object()
        try:
            lab, _ = lab_stop(design=lab.design)
        except LabError as exc:
            return _conflict(exc)
        return Response(LabSerializer(lab, context={"request": request}).data)
