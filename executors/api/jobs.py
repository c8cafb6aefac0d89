"""Jobs API: ``/api/jobs/`` lists jobs (filters: kind, design, state, who), a job with its steps, its stored output
after a sequence number, its whole log as a file, and cancel (operators).

Jobs are created by the endpoints of what they do (``/api/labs/up/`` ...), never here. Live output comes over the
websocket (``/ws/events/``, ``follow``); this is the same output, for history and for catching up.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import StreamingHttpResponse
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

from ..jobs.selectors import job_log_text, job_output_after
from ..jobs.services import JobNotCancellable, job_cancel, jobs_reap
from ..models import Job, JobKind, JobState
from ..workers import jobs_availability
from .serializers import JobOutputPageSerializer, JobsAvailabilitySerializer, JobSerializer

MAX_OUTPUT_PAGE = 2000


class JobFilterSet(JailnetFilterSet):
    """Filters of the jobs list: ``kind``, ``state``, ``design_id`` / ``design`` (name), ``requested_by`` (name)."""

    kind = django_filters.MultipleChoiceFilter(choices=JobKind.choices)
    state = django_filters.MultipleChoiceFilter(choices=JobState.choices)
    design_id = IdFilter(field_name="design_id")
    design = django_filters.CharFilter(field_name="design_name")
    requested_by = django_filters.CharFilter(field_name="requested_by_name")

    class Meta:
        model = Job
        fields = ["id", "kind", "state", "design_id", "design", "requested_by"]


class OutputQuerySerializer(serializers.Serializer):
    """``since``: the last sequence number the client has; ``limit``: how many chunks at most."""

    since = serializers.IntegerField(min_value=0, default=0, max_value=2**62)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_OUTPUT_PAGE, default=500)


class JobViewSet(JailnetReadOnlyModelViewSet):
    """Jobs: operations on hosts run by a worker, with per-host steps and numbered output (who may read a
    job: whoever may read its design, the base class's rule)."""

    queryset = Job.objects.all()
    serializer_class = JobSerializer
    permission_classes = [RolePermission]
    filterset_class = JobFilterSet
    prefetch_related_fields = ("steps",)
    ordering_fields = ["created", "id"]
    write_action = "deploy"

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        jobs_reap()  # a job whose worker was killed reads "interrupted" even when no worker is left to reap it
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        jobs_reap()
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        parameters=[OutputQuerySerializer],
        responses={200: JobOutputPageSerializer},
    )
    @action(detail=True, methods=["get"])
    def output(self, request: Request, pk: str | None = None) -> Response:
        """Stored output chunks after ``since``, in order; follow the rest on the websocket from ``last``."""
        job = self.get_object()
        query = OutputQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since, limit = query.validated_data["since"], query.validated_data["limit"]
        chunks = job_output_after(job_id=job.pk, after=since, limit=limit)
        last = chunks[-1]["seq"] if chunks else since
        return Response({"job": job.pk, "since": since, "last": last, "more": last < job.last_seq, "chunks": chunks})

    @extend_schema(responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The whole log")})
    @action(detail=True, methods=["get"])
    def log(self, request: Request, pk: str | None = None) -> StreamingHttpResponse:
        """The job's whole output as a text file (streamed: a long log is never held in memory)."""
        job = self.get_object()
        response = StreamingHttpResponse(job_log_text(job=job), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-{job.kind}.log"'
        return response

    @extend_schema(
        request=None,
        responses={200: JobSerializer, 409: OpenApiResponse(DetailSerializer, description="The job has ended")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel the job: a queued one at once; a running one stops what it started, here and on its hosts."""
        job = self.get_object()
        try:
            job = job_cancel(job=job)
        except JobNotCancellable as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(JobSerializer(job).data)

    @extend_schema(responses={200: JobsAvailabilitySerializer})
    @action(detail=False, methods=["get"])
    def availability(self, request: Request) -> Response:
        """Whether a worker of the host-work queue is there (as root, for the lab), and why not."""
        return Response(jobs_availability())
