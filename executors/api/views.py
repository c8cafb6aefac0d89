"""Lab API: ``/api/labs/`` lists labs; ``up``, ``check`` and ``down`` run the lab (operators, as root only).

The operations run in the request (a lab of a few hosts comes up in seconds). When the server does not run
as root they answer 409 with the reason; a lab operation that fails answers 409 with what went wrong.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from project.permissions import RolePermission
from topology.models import Design

from ..lab.lifecycle import LabError
from ..lab.services import lab_current_status, lab_run_check, lab_start, lab_stop
from ..models import Lab
from .serializers import CheckReportSerializer, LabSerializer, LabUpSerializer


def _conflict(exc: Exception) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


class LabViewSet(viewsets.ReadOnlyModelViewSet):
    """Labs of designs: state and last check; actions to bring a lab up, check it and tear it down."""

    queryset = Lab.objects.select_related("design")
    serializer_class = LabSerializer
    permission_classes = [RolePermission]
    write_action = "deploy"

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        lab = self.get_object()
        data = dict(LabSerializer(lab, context={"request": request}).data)
        data["live"] = lab_current_status(design=lab.design)
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

    @extend_schema(request=None, responses={200: CheckReportSerializer})
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str | None = None) -> Response:
        """Measure the lab's reachability, cell by cell, against what the design promises."""
        lab = self.get_object()
        try:
            _, report = lab_run_check(design=lab.design)
        except LabError as exc:
            return _conflict(exc)
        return Response(report.as_dict())

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
