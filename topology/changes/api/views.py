"""Endpoints of change requests (the review workflow), revisions and the audit history."""

from __future__ import annotations

import csv
import difflib
import io
import json
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.serializers import ConflictSerializer
from core.api.viewsets import JailnetReadOnlyModelViewSet
from core.models import AuditEntry
from topology.models import ChangeRequest, Design, Revision

from .. import services
from ..freeze import host_diff
from . import filtersets
from . import serializers as s

# What the detail of a change request shows besides the request itself.
DETAIL_PREFETCH = (
    "hosts",
    "approvals__user",
    "transitions",
    "comments__user",
    # Contributors by name, so the request page lists them in a stable order.
    Prefetch("contributors", queryset=get_user_model().objects.order_by("username")),
)


def _annotated_requests() -> Any:
    """Change requests with their approval and changed-host counts."""
    return ChangeRequest.objects.annotate(
        approvals_count=Count(
            "approvals", filter=Q(approvals__voided=False, approvals__decision="approve"), distinct=True
        ),
        changed_hosts=Count("hosts", filter=Q(hosts__changed=True), distinct=True),
    )


def _conflict(exc: Exception) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


@extend_schema(tags=["change requests"])
class ChangeRequestViewSet(mixins.CreateModelMixin, JailnetReadOnlyModelViewSet):
    """Change requests: create (freeze the design), submit, review, refresh, deploy, comment."""

    queryset = _annotated_requests()
    serializer_class = s.ChangeRequestSerializer
    filterset_class = filtersets.ChangeRequestFilterSet
    select_related_fields = ("design", "author")
    ordering_fields = ["created", "last_updated", "number", "state"]
    action_permissions = {"review": "approve", "deploy": "deploy", "comments": "read"}

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        return qs.prefetch_related(*DETAIL_PREFETCH) if self.action == "retrieve" and not self.brief else qs

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve" and not self.brief:
            return s.ChangeRequestDetailSerializer
        return super().get_serializer_class()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.ChangeRequestConflict):
            return _conflict(exc)
        return super().handle_exception(exc)

    def _detail(self, cr: ChangeRequest, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().prefetch_related(*DETAIL_PREFETCH)
        return Response(s.ChangeRequestDetailSerializer(fresh.get(pk=cr.pk)).data, status=code)

    @extend_schema(responses={201: s.ChangeRequestDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.ChangeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        design: Design = serializer.validated_data["design"]
        cr = services.change_request_create(
            design=design,
            user=request.user,
            title=serializer.validated_data["title"],
            description=serializer.validated_data.get("description", ""),
        )
        return self._detail(cr, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.ChangeRequestDetailSerializer, 409: ConflictSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Ask for review."""
        return self._detail(services.change_request_submit(change_request=self.get_object(), user=request.user))

    @extend_schema(request=None, responses={200: s.ChangeRequestDetailSerializer, 409: ConflictSerializer})
    @action(detail=True, methods=["post"])
    def refresh(self, request: Request, pk: str | None = None) -> Response:
        """Re-freeze from the current design (voids approvals, back to draft)."""
        return self._detail(services.change_request_refresh(change_request=self.get_object(), user=request.user))

    @extend_schema(
        request=s.ReviewSerializer, responses={200: s.ChangeRequestDetailSerializer, 409: ConflictSerializer}
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        """Approve, request changes or reject (approvers; never the author)."""
        body = s.ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cr = services.change_request_review(change_request=self.get_object(), user=request.user, **body.validated_data)
        return self._detail(cr)

    @extend_schema(request=None, responses={200: s.ChangeRequestDetailSerializer, 409: ConflictSerializer})
    @action(detail=True, methods=["post"])
    def deploy(self, request: Request, pk: str | None = None) -> Response:
        """Start deploying an approved, still-current request (operators)."""
        return self._detail(services.deployment_start(change_request=self.get_object(), user=request.user))

    @extend_schema(methods=["get"], responses=s.CommentSerializer(many=True))
    @extend_schema(methods=["post"], request=s.CommentSerializer, responses={201: s.CommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        """Comments on the request or on a host's diff."""
        cr = self.get_object()
        if request.method == "GET":
            return Response(s.CommentSerializer(cr.comments.select_related("user"), many=True).data)
        body = s.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = services.change_request_comment(change_request=cr, user=request.user, **body.validated_data)
        return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.HostDiffSerializer)
    @action(detail=True, methods=["get"], url_path=r"hosts/(?P<host_name>[A-Za-z0-9-]+)")
    def host(self, request: Request, pk: str | None = None, host_name: str = "") -> Response:
        """One host's frozen output and its diff against the deployed configuration."""
        cr = self.get_object()
        row = cr.hosts.filter(host_name=host_name).first()
        if row is None:
            return Response({"detail": f"no host '{host_name}' in this request"}, status=status.HTTP_404_NOT_FOUND)
        return Response(s.HostDiffSerializer(row).data)


@extend_schema(tags=["revisions"])
class RevisionViewSet(JailnetReadOnlyModelViewSet):
    """Deployed revisions of designs: view, diff two, restore one as a new draft."""

    queryset = Revision.objects.all()
    serializer_class = s.RevisionSerializer
    filterset_class = filtersets.RevisionFilterSet
    select_related_fields = ("design", "created_by")
    action_permissions = {"restore": "edit_design"}

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve" and not self.brief:
            return s.RevisionDetailSerializer
        return super().get_serializer_class()

    @extend_schema(
        parameters=[OpenApiParameter("against", int, required=True, description="id of the other revision")],
        responses=inline_serializer(
            "RevisionDiff",
            {
                "from_revision": serializers.IntegerField(),
                "to_revision": serializers.IntegerField(),
                "document": serializers.CharField(),
                "hosts": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk: str | None = None) -> Response:
        """Diff of the design document and of every host's output from ``against`` to this revision."""
        revision = self.get_object()
        try:
            other = self.get_queryset().get(pk=int(request.query_params.get("against", "")), design=revision.design)
        except (ValueError, Revision.DoesNotExist):
            return Response({"against": ["give the id of another revision of the same design"]}, status=400)
        old_hosts = {h.host_name: {"script": h.script, "files": h.files} for h in other.hosts.all()}
        new_hosts = {h.host_name: {"script": h.script, "files": h.files} for h in revision.hosts.all()}
        hosts = []
        for name in sorted(old_hosts.keys() | new_hosts.keys()):
            diff = host_diff(name, old_hosts.get(name), new_hosts.get(name))
            if diff:
                hosts.append({"host_name": name, "diff": diff})
        document = "".join(
            difflib.unified_diff(
                other.document.splitlines(keepends=True), revision.document.splitlines(keepends=True),
                f"revision {other.number}", f"revision {revision.number}",
            )
        )  # fmt: skip
        return Response(
            {"from_revision": other.number, "to_revision": revision.number, "document": document, "hosts": hosts}
        )

    @extend_schema(request=None, responses={201: s.ChangeRequestDetailSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        """Make the design equal this revision again and open a draft change request for it."""
        cr = services.revision_restore(revision=self.get_object(), user=request.user)
        detail = _annotated_requests().select_related("design", "author").prefetch_related(*DETAIL_PREFETCH)
        return Response(s.ChangeRequestDetailSerializer(detail.get(pk=cr.pk)).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["audit"])
class AuditEntryViewSet(JailnetReadOnlyModelViewSet):
    """The audit history (append-only): filter by user, object, design, time, request; export CSV or JSON."""

    queryset = AuditEntry.objects.all()
    serializer_class = s.AuditEntrySerializer
    filterset_class = filtersets.AuditEntryFilterSet
    select_related_fields = ("object_type",)
    ordering_fields = ["time", "id"]

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        # A page of entries: the names of everything they reference, in one query per model.
        if kwargs.get("many") and args:
            kwargs["context"] = {
                **self.get_serializer_context(),
                "reference_names": s.audit_reference_names(list(args[0])),
            }
        return super().get_serializer(*args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("as", str, enum=["csv", "json"], description="file format (default csv)")],
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/json"): s.AuditEntrySerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        """The filtered history as a CSV or JSON download (at most 100,000 entries)."""
        entries = list(self.filter_queryset(self.get_queryset())[:100_000])
        names = s.audit_reference_names(entries)
        rows = s.AuditEntrySerializer(entries, many=True, context={"reference_names": names}).data
        if request.query_params.get("as") == "json":
            response = HttpResponse(json.dumps(rows, default=str, indent=1), content_type="application/json")
            response["Content-Disposition"] = 'attachment; filename="audit.json"'
            return response
        out = io.StringIO()
        writer = csv.writer(out)
        fields = list(s.AuditEntrySerializer.Meta.fields)
        writer.writerow(fields)
        for row in rows:
            writer.writerow([json.dumps(row[f]) if isinstance(row[f], dict | list) else row[f] for f in fields])
        response = HttpResponse(out.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response
