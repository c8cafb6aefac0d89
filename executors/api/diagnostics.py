"""Diagnostics API: ``/api/diagnostic-runs/``.

* ``GET catalogue/``: the troubleshooting commands with their parameters, bounds and defaults.
* ``POST`` (any role; mutating diagnostics: operators, with ``confirm``): start a diagnostic on a host of a
  design: 202 with the run (its job streams the output: ``/api/jobs/{id}/output/`` and the websocket). A
  refused parameter is a 400 saying which parameter and why.
* ``POST drift/``: "Check drift" on every host of a design; the findings are on the run.
* ``GET`` list (filters: ``design_id``, ``host``, ``diagnostic``) and one run: its parsed records, the lines
  no parser read, the drift findings; ``pcap/`` downloads a capture's file; ``stop/`` stops it (whoever
  asked for it, and operators).

A run's id is its job's id.
"""

from __future__ import annotations

import shlex
from typing import Any

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filtersets import IdFilter, JailnetFilterSet
from core.api.serializers import DetailSerializer
from core.api.viewsets import JailnetReadOnlyModelViewSet
from project.permissions import RolePermission
from topology.models import Design

from ..diagnostics.catalogue import BY_ID, catalogue_as_dicts
from ..diagnostics.services import DiagnosticRefused, diagnostic_can_stop, diagnostic_start, drift_check_start
from ..jobs.services import JobNotCancellable, job_cancel
from ..models import DiagnosticRun, JobState

LIST_DEFERRED = ("pcap", "records", "unparsed", "findings")


class DiagnosticRunFilterSet(JailnetFilterSet):
    """Filters: ``design_id``, ``host``, ``diagnostic`` (catalogue id, or ``drift``), ``state`` of the job."""

    design_id = IdFilter(field_name="job__design_id")
    host = django_filters.CharFilter(field_name="host")
    diagnostic = django_filters.CharFilter(field_name="diagnostic")
    state = django_filters.MultipleChoiceFilter(field_name="job__state", choices=JobState.choices)

    class Meta:
        model = DiagnosticRun
        fields = ["design_id", "host", "diagnostic", "state"]


class DiagnosticRunSerializer(serializers.ModelSerializer):
    """A run as lists show it: what ran where, its job's state, counts (records, pcap)."""

    id = serializers.IntegerField(source="job_id", read_only=True)
    design = serializers.IntegerField(source="job.design_id", read_only=True, allow_null=True)
    design_name = serializers.CharField(source="job.design_name", read_only=True)
    state = serializers.ChoiceField(source="job.state", choices=JobState.choices, read_only=True)
    message = serializers.CharField(source="job.message", read_only=True)
    requested_by_name = serializers.CharField(source="job.requested_by_name", read_only=True)
    created = serializers.DateTimeField(source="job.created", read_only=True)
    finished_at = serializers.DateTimeField(source="job.finished_at", read_only=True, allow_null=True)
    title = serializers.SerializerMethodField()
    command = serializers.SerializerMethodField()

    class Meta:
        model = DiagnosticRun
        fields = [
            "id", "design", "design_name", "diagnostic", "title", "host", "jail", "target", "parameters", "argv",
            "command", "parser", "state", "message", "requested_by_name", "created", "finished_at", "exit_status",
            "records_total", "pcap_bytes", "pcap_packets", "pcap_truncated",
        ]  # fmt: skip
        read_only_fields = fields

    def get_title(self, run: DiagnosticRun) -> str:
        entry = BY_ID.get(run.diagnostic)
        return entry.title if entry is not None else "Check drift"

    def get_command(self, run: DiagnosticRun) -> str:
        return shlex.join(run.argv) if run.argv else ""


class DiagnosticRunDetailSerializer(DiagnosticRunSerializer):
    """One run with what it read: parsed records, unparsed lines ``[number, text]``, drift findings."""

    class Meta(DiagnosticRunSerializer.Meta):
        fields = [*DiagnosticRunSerializer.Meta.fields, "records", "unparsed", "findings"]
        read_only_fields = fields


class CatalogueParameterSerializer(serializers.Serializer):
    """A parameter of a diagnostic: its kind (which widget), whether required, and a number's bounds."""

    name = serializers.CharField()
    kind = serializers.CharField()
    help = serializers.CharField()
    default = serializers.IntegerField(required=False)
    minimum = serializers.IntegerField(required=False)
    maximum = serializers.IntegerField(required=False)
    unit = serializers.CharField(required=False)

    def get_fields(self) -> dict[str, serializers.Field]:
        # ``required`` as a class attribute would hide ``Field.required``.
        return {**super().get_fields(), "required": serializers.BooleanField()}


class CatalogueEntrySerializer(serializers.Serializer):
    """A diagnostic of the catalogue: its commands (None: none on that target), parameters, who may run it."""

    id = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    freebsd = serializers.CharField(allow_null=True)
    lab = serializers.CharField(allow_null=True)
    parameters = CatalogueParameterSerializer(many=True)
    mutates = serializers.BooleanField()
    role = serializers.ChoiceField(choices=["viewer", "operator"])
    confirmation = serializers.CharField(allow_null=True)
    streams = serializers.BooleanField()
    in_jail = serializers.BooleanField()
    requires_tool = serializers.CharField(allow_null=True)
    parsers = serializers.DictField(child=serializers.CharField(allow_null=True))


class CatalogueSerializer(serializers.Serializer):
    """The catalogue."""

    diagnostics = CatalogueEntrySerializer(many=True)


class DiagnosticStartSerializer(serializers.Serializer):
    """What to run: a catalogue id on a host of a design, with its parameters (checked by the service)."""

    design = serializers.IntegerField(min_value=1)
    host = serializers.CharField(max_length=100)
    diagnostic = serializers.CharField(max_length=40)
    parameters = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    jail = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    confirm = serializers.BooleanField(required=False, default=False, help_text="Required for mutating actions")


class DriftStartSerializer(serializers.Serializer):
    """Which design to check."""

    design = serializers.IntegerField(min_value=1)


def _refused(exc: DiagnosticRefused) -> Response:
    body: dict[str, Any] = {"detail": str(exc)}
    if exc.field:
        body[exc.field] = [str(exc)]
    return Response(body, status=exc.status)


def _design(design_id: int) -> Design | None:
    return Design.objects.filter(pk=design_id).first()


STARTED = {
    202: OpenApiResponse(DiagnosticRunSerializer, description="Queued; follow its job's output"),
    400: OpenApiResponse(DetailSerializer, description="A parameter was refused (which and why)"),
    403: OpenApiResponse(DetailSerializer, description="A mutating action needs the operator role"),
    409: OpenApiResponse(DetailSerializer, description="Host not reachable, or the design busy"),
}


class DiagnosticRunViewSet(JailnetReadOnlyModelViewSet):
    """Diagnostic runs: a troubleshooting command on a host, or a drift check of a design, as a job."""

    queryset = DiagnosticRun.objects.select_related("job")
    serializer_class = DiagnosticRunSerializer
    permission_classes = [RolePermission]
    filterset_class = DiagnosticRunFilterSet
    ordering_fields = ["job"]
    lookup_url_kwarg = "id"  # a run's id is its job's
    # Reading diagnostics need read access; the service asks more of mutating ones, the view of Stop.
    action_permissions = {"create": "read", "drift": "read", "stop": "read"}

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        return queryset.defer(*LIST_DEFERRED) if self.action == "list" else queryset

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve" and not self.brief:
            return DiagnosticRunDetailSerializer
        return super().get_serializer_class()

    @extend_schema(responses={200: CatalogueSerializer})
    @action(detail=False, methods=["get"])
    def catalogue(self, request: Request) -> Response:
        """The catalogue: each diagnostic's commands (FreeBSD and lab), parameters with bounds and defaults."""
        return Response({"diagnostics": catalogue_as_dicts()})

    @extend_schema(request=DiagnosticStartSerializer, responses=STARTED)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Start a diagnostic on a host of a design."""
        body = DiagnosticStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        design = _design(data["design"])
        if design is None:
            return Response({"design": ["no such design"]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            job = diagnostic_start(
                design=design,
                host=data["host"],
                diagnostic=data["diagnostic"],
                parameters=data["parameters"],
                jail=data["jail"] or None,
                confirmed=data["confirm"],
                user=request.user,
                remote_addr=request.META.get("REMOTE_ADDR") or None,
            )
        except DiagnosticRefused as exc:
            return _refused(exc)
        run = DiagnosticRun.objects.select_related("job").get(job=job)
        return Response(DiagnosticRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=DriftStartSerializer, responses=STARTED)
    @action(detail=False, methods=["post"])
    def drift(self, request: Request) -> Response:
        """Start "Check drift" on every host of a design; the run's ``findings`` say what differs."""
        body = DriftStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        design = _design(body.validated_data["design"])
        if design is None:
            return Response({"design": ["no such design"]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            job = drift_check_start(design=design, remote_addr=request.META.get("REMOTE_ADDR") or None)
        except DiagnosticRefused as exc:
            return _refused(exc)
        run = DiagnosticRun.objects.select_related("job").get(job=job)
        return Response(DiagnosticRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={
            200: DiagnosticRunSerializer,
            403: OpenApiResponse(DetailSerializer, description="Neither who asked for it nor an operator"),
            409: OpenApiResponse(DetailSerializer, description="It has ended"),
        },
    )
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, **kwargs: Any) -> Response:
        """Stop the run: its command (its whole session on the host) is ended; what it read so far is kept."""
        run = self.get_object()
        if not diagnostic_can_stop(request.user, run.job):
            return Response(
                {"detail": "only whoever started it, or an operator, may stop it"}, status=status.HTTP_403_FORBIDDEN
            )
        try:
            job_cancel(job=run.job)
        except JobNotCancellable as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        run = DiagnosticRun.objects.select_related("job").defer(*LIST_DEFERRED).get(pk=run.pk)
        return Response(DiagnosticRunSerializer(run).data)

    @extend_schema(
        responses={
            (200, "application/vnd.tcpdump.pcap"): OpenApiResponse(OpenApiTypes.BINARY, description="pcap file"),
            404: OpenApiResponse(DetailSerializer, description="Not a capture, or no file was written"),
        }
    )
    @action(detail=True, methods=["get"])
    def pcap(self, request: Request, **kwargs: Any) -> HttpResponse:
        """The capture as a pcap file for Wireshark (``tcpdump -r``)."""
        run = self.get_object()
        if not run.pcap:
            return Response({"detail": "this run kept no pcap file"}, status=status.HTTP_404_NOT_FOUND)
        response = HttpResponse(bytes(run.pcap), content_type="application/vnd.tcpdump.pcap")
        name = f"{run.job.design_name}-{run.host}-{run.job_id}.pcap".replace('"', "")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
