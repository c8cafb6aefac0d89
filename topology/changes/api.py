"""REST API of change requests, revisions and the audit history."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
from typing import Any

import django_filters
from django.db.models import Count, Q
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.filtersets import IdFilter
from core.api.serializers import ConflictSerializer
from core.models import AuditEntry
from project.roles import user_can
from topology.models import (
    ChangeRequest,
    ChangeRequestComment,
    ChangeRequestHost,
    ChangeRequestState,
    Design,
    ReviewDecision,
    Revision,
)

from . import services
from .freeze import host_diff

# --- serializers ---------------------------------------------------------------------------------------


class UserNameField(serializers.CharField):
    """A user shown by name."""

    def to_representation(self, value: Any) -> str:
        return value.get_username() if value is not None else ""


class ApprovalSerializer(serializers.Serializer):
    user = UserNameField(read_only=True)
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    comment = serializers.CharField()
    created = serializers.DateTimeField()
    voided = serializers.BooleanField()


class TransitionSerializer(serializers.Serializer):
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    user_name = serializers.CharField()
    reason = serializers.CharField()
    time = serializers.DateTimeField()


class CommentSerializer(serializers.ModelSerializer):
    user = UserNameField(read_only=True)

    class Meta:
        model = ChangeRequestComment
        fields = ["id", "user", "body", "host_name", "line", "created"]
        read_only_fields = ["id", "user", "created"]


class HostSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeRequestHost
        fields = ["host_name", "changed"]


class HostDiffSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeRequestHost
        fields = ["host_name", "changed", "diff", "script", "files"]


class ChangeRequestSerializer(serializers.ModelSerializer):
    """A change request; the detail view adds hosts, approvals, timeline and comments."""

    author = UserNameField(read_only=True)
    design_name = serializers.CharField(source="design.name", read_only=True)
    approvals_count = serializers.IntegerField(read_only=True)
    changed_hosts = serializers.IntegerField(read_only=True)

    class Meta:
        model = ChangeRequest
        fields = [
            "id", "design", "design_name", "number", "title", "description", "author", "state", "stale",
            "required_approvals", "approvals_count", "changed_hosts", "base_revision", "content_hash",
            "error_count", "warning_count", "version", "created", "last_updated",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("design", "title", "description")]


class ChangeRequestDetailSerializer(ChangeRequestSerializer):
    hosts = HostSummarySerializer(many=True, read_only=True)
    approvals = ApprovalSerializer(many=True, read_only=True)
    transitions = TransitionSerializer(many=True, read_only=True)
    comments = CommentSerializer(many=True, read_only=True)
    validation = serializers.JSONField(read_only=True)

    class Meta(ChangeRequestSerializer.Meta):
        fields = [*ChangeRequestSerializer.Meta.fields, "validation", "hosts", "approvals", "transitions", "comments"]
        read_only_fields = [*ChangeRequestSerializer.Meta.read_only_fields, "validation"]


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RevisionSerializer(serializers.ModelSerializer):
    design_name = serializers.CharField(source="design.name", read_only=True)
    created_by = UserNameField(read_only=True)

    class Meta:
        model = Revision
        fields = ["id", "design", "design_name", "number", "content_hash", "change_request", "created", "created_by"]


class RevisionDetailSerializer(RevisionSerializer):
    class Meta(RevisionSerializer.Meta):
        fields = [*RevisionSerializer.Meta.fields, "document"]


class AuditReferenceSerializer(serializers.Serializer):
    """An object a changed field points at: its kind (model name), id and name (null once it is gone)."""

    kind = serializers.CharField()
    id = serializers.IntegerField()
    name = serializers.CharField(allow_null=True)


def _references_of(entry: AuditEntry) -> list[tuple[str, str, int, Any]]:
    """(field attname, referenced model name, id, referenced model) of each reference the entry's values hold."""
    model = entry.object_type.model_class()
    out: list[tuple[str, str, int, Any]] = []
    if model is None:
        return out
    for field in model._meta.concrete_fields:
        related = field.related_model
        if not field.is_relation or related is None or isinstance(related, str):
            continue
        for values in (entry.before, entry.after):
            value = values.get(field.attname) if isinstance(values, dict) else None
            if isinstance(value, int) and not isinstance(value, bool):
                out.append((field.attname, str(related._meta.model_name), value, related))
    return out


def audit_reference_names(entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """Names of the objects the entries' ``*_id`` fields point at: one query per referenced model.

    The history keeps ids (they are what links use); names are looked up when the history is read. An
    object deleted since shows its id only. Models without a ``name`` field are shown by id as well.
    """
    wanted: dict[Any, set[int]] = {}
    for entry in entries:
        for _, _, value, related in _references_of(entry):
            wanted.setdefault(related, set()).add(value)
    names: dict[tuple[str, int], str] = {}
    for related, ids in wanted.items():
        label = "username" if related._meta.model_name == "user" else "name"
        if not any(f.name == label for f in related._meta.concrete_fields):
            continue
        for pk, name in related._default_manager.filter(pk__in=ids).values_list("pk", label):
            names[(related._meta.model_name, pk)] = name
    return names


class AuditEntrySerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()
    references = serializers.SerializerMethodField(
        help_text="Per changed reference field (``host_id`` ...), what it points at, with its name"
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id", "time", "user", "user_name", "request_id", "source", "action", "object_type", "object_id",
            "object_repr", "design_id", "design_name", "host_name", "before", "after", "references",
        ]  # fmt: skip

    def get_object_type(self, entry: AuditEntry) -> str:
        return f"{entry.object_type.app_label}.{entry.object_type.model}"

    @extend_schema_field(serializers.DictField(child=AuditReferenceSerializer()))
    def get_references(self, entry: AuditEntry) -> dict[str, dict[str, Any]]:
        names = self.context.get("reference_names")
        if names is None:
            names = audit_reference_names([entry])
        out: dict[str, dict[str, Any]] = {}
        for attname, kind, value, _ in _references_of(entry):
            out.setdefault(attname, {"kind": kind, "id": value, "name": names.get((kind, value))})
        return out


# --- filters -------------------------------------------------------------------------------------------


class ChangeRequestFilterSet(django_filters.FilterSet):
    design_id = IdFilter(field_name="design_id")
    design = django_filters.CharFilter(field_name="design__name")
    state = django_filters.MultipleChoiceFilter(choices=ChangeRequestState.choices)
    mine = django_filters.BooleanFilter(method="filter_mine", label="Authored by me")
    waiting_for_me = django_filters.BooleanFilter(method="filter_waiting", label="Waiting for my review")

    class Meta:
        model = ChangeRequest
        fields = ["design_id", "design", "state", "stale"]

    def filter_mine(self, queryset: Any, name: str, value: bool) -> Any:
        return queryset.filter(author=self.request.user) if value else queryset.exclude(author=self.request.user)

    def filter_waiting(self, queryset: Any, name: str, value: bool) -> Any:
        user = self.request.user
        if not value:
            return queryset
        if not user_can(user, "approve"):
            return queryset.none()
        return (
            queryset.filter(state=ChangeRequestState.SUBMITTED, stale=False)
            .exclude(author=user)
            .exclude(approvals__user=user, approvals__voided=False)
        )


class RevisionFilterSet(django_filters.FilterSet):
    design_id = IdFilter(field_name="design_id")
    design = django_filters.CharFilter(field_name="design__name")

    class Meta:
        model = Revision
        fields = ["design_id", "design", "number"]


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time, compared in UTC (PostgreSQL refuses offsets beyond ±15:59, ISO allows up to ±23:59)."""

    def filter(self, qs: Any, value: Any) -> Any:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return super().filter(qs, value)


class AuditEntryFilterSet(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="user_name")
    user_id = IdFilter(field_name="user_id")
    object_type = django_filters.CharFilter(method="filter_object_type", label="app.model or model, e.g. topology.jail")
    object_id = IdFilter(field_name="object_id")
    design_id = IdFilter(field_name="design_id")
    design = django_filters.CharFilter(field_name="design_name")
    host = django_filters.CharFilter(field_name="host_name", label="Host name (per-host history)")
    request_id = django_filters.UUIDFilter()
    since = UtcDateTimeFilter(field_name="time", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="time", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["action", "source"]

    def filter_object_type(self, queryset: Any, name: str, value: str) -> Any:
        app, _, model = value.lower().rpartition(".")
        q = Q(object_type__model=model)
        if app:
            q &= Q(object_type__app_label=app)
        return queryset.filter(q)


# --- views ---------------------------------------------------------------------------------------------


def _annotated_requests() -> Any:
    """Change requests with their author and design loaded and approval / changed-host counts."""
    return ChangeRequest.objects.select_related("design", "author").annotate(
        approvals_count=Count(
            "approvals", filter=Q(approvals__voided=False, approvals__decision="approve"), distinct=True
        ),
        changed_hosts=Count("hosts", filter=Q(hosts__changed=True), distinct=True),
    )


def _conflict(exc: Exception) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


@extend_schema(tags=["change requests"])
class ChangeRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Change requests: create (freeze the design), submit, review, refresh, deploy, comment."""

    queryset = ChangeRequest.objects.all()
    filterset_class = ChangeRequestFilterSet
    ordering_fields = ["created", "last_updated", "number", "state"]
    action_permissions = {"review": "approve", "deploy": "deploy", "comments": "read"}

    def get_queryset(self) -> Any:
        qs = _annotated_requests()
        if self.action == "retrieve":
            qs = qs.prefetch_related("hosts", "approvals__user", "transitions", "comments__user")
        return qs if user_can(self.request.user, "read") else qs.none()

    def get_serializer_class(self) -> Any:
        return ChangeRequestDetailSerializer if self.action == "retrieve" else ChangeRequestSerializer

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.ChangeRequestConflict):
            return _conflict(exc)
        return super().handle_exception(exc)

    def _detail(self, cr: ChangeRequest, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().prefetch_related("hosts", "approvals__user", "transitions", "comments__user")
        return Response(ChangeRequestDetailSerializer(fresh.get(pk=cr.pk)).data, status=code)

    @extend_schema(responses={201: ChangeRequestDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ChangeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        design: Design = serializer.validated_data["design"]
        cr = services.change_request_create(
            design=design,
            user=request.user,
            title=serializer.validated_data["title"],
            description=serializer.validated_data.get("description", ""),
        )
        return self._detail(cr, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ChangeRequestDetailSerializer, 409: ConflictSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Ask for review."""
        return self._detail(services.change_request_submit(change_request=self.get_object(), user=request.user))

    @extend_schema(request=None, responses={200: ChangeRequestDetailSerializer, 409: ConflictSerializer})
    @action(detail=True, methods=["post"])
    def refresh(self, request: Request, pk: str | None = None) -> Response:
        """Re-freeze from the current design (voids approvals, back to draft)."""
        return self._detail(services.change_request_refresh(change_request=self.get_object(), user=request.user))

    @extend_schema(request=ReviewSerializer, responses={200: ChangeRequestDetailSerializer, 409: ConflictSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        """Approve, request changes or reject (approvers; never the author)."""
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cr = services.change_request_review(change_request=self.get_object(), user=request.user, **body.validated_data)
        return self._detail(cr)

    @extend_schema(request=None, responses={200: ChangeRequestDetailSerializer, 409: ConflictSerializer})
    @action(detail=True, methods=["post"])
    def deploy(self, request: Request, pk: str | None = None) -> Response:
        """Start deploying an approved, still-current request (operators)."""
        return self._detail(services.deployment_start(change_request=self.get_object(), user=request.user))

    @extend_schema(methods=["get"], responses=CommentSerializer(many=True))
    @extend_schema(methods=["post"], request=CommentSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        """Comments on the request or on a host's diff."""
        cr = self.get_object()
        if request.method == "GET":
            return Response(CommentSerializer(cr.comments.select_related("user"), many=True).data)
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = services.change_request_comment(change_request=cr, user=request.user, **body.validated_data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=HostDiffSerializer)
    @action(detail=True, methods=["get"], url_path=r"hosts/(?P<host_name>[A-Za-z0-9-]+)")
    def host(self, request: Request, pk: str | None = None, host_name: str = "") -> Response:
        """One host's frozen output and its diff against the deployed configuration."""
        cr = self.get_object()
        row = cr.hosts.filter(host_name=host_name).first()
        if row is None:
            return Response({"detail": f"no host '{host_name}' in this request"}, status=status.HTTP_404_NOT_FOUND)
        return Response(HostDiffSerializer(row).data)


@extend_schema(tags=["revisions"])
class RevisionViewSet(viewsets.ReadOnlyModelViewSet):
    """Deployed revisions of designs: view, diff two, restore one as a new draft."""

    queryset = Revision.objects.select_related("design", "created_by")
    filterset_class = RevisionFilterSet
    action_permissions = {"restore": "edit_design"}

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        return qs if user_can(self.request.user, "read") else qs.none()

    def get_serializer_class(self) -> Any:
        return RevisionDetailSerializer if self.action == "retrieve" else RevisionSerializer

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

    @extend_schema(request=None, responses={201: ChangeRequestDetailSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: str | None = None) -> Response:
        """Make the design equal this revision again and open a draft change request for it."""
        cr = services.revision_restore(revision=self.get_object(), user=request.user)
        detail = _annotated_requests().prefetch_related("hosts", "approvals__user", "transitions", "comments__user")
        return Response(ChangeRequestDetailSerializer(detail.get(pk=cr.pk)).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["audit"])
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit history (append-only): filter by user, object, design, time, request; export CSV or JSON."""

    queryset = AuditEntry.objects.select_related("object_type")
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilterSet
    ordering_fields = ["time", "id"]

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        return qs if user_can(self.request.user, "read") else qs.none()

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        # A page of entries: the names of everything they reference, in one query per model.
        if kwargs.get("many") and args:
            kwargs["context"] = {
                **self.get_serializer_context(),
                "reference_names": audit_reference_names(list(args[0])),
            }
        return super().get_serializer(*args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("as", str, enum=["csv", "json"], description="file format (default csv)")],
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/json"): AuditEntrySerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        """The filtered history as a CSV or JSON download (at most 100,000 entries)."""
        entries = list(self.filter_queryset(self.get_queryset())[:100_000])
        rows = AuditEntrySerializer(
            entries, many=True, context={"reference_names": audit_reference_names(entries)}
        ).data
        if request.query_params.get("as") == "json":
            response = HttpResponse(json.dumps(rows, default=str, indent=1), content_type="application/json")
            response["Content-Disposition"] = 'attachment; filename="audit.json"'
            return response
        out = io.StringIO()
        writer = csv.writer(out)
        fields = list(AuditEntrySerializer.Meta.fields)
        writer.writerow(fields)
        for row in rows:
            writer.writerow([json.dumps(row[f]) if isinstance(row[f], dict | list) else row[f] for f in fields])
        response = HttpResponse(out.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response
