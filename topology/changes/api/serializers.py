"""Serializers of change requests, revisions and the audit history."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.audit_references import audit_reference_names, references_of
from core.models import AuditEntry
from topology.models import ChangeRequest, ChangeRequestComment, ChangeRequestHost, ReviewDecision, Revision


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
    contributors: serializers.SlugRelatedField = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="username",
        help_text="Who changed the design since its last deployment, up to the freeze: none of them may approve",
    )  # fmt: skip
    approvals = ApprovalSerializer(many=True, read_only=True)
    transitions = TransitionSerializer(many=True, read_only=True)
    comments = CommentSerializer(many=True, read_only=True)
    validation = serializers.JSONField(read_only=True)

    class Meta(ChangeRequestSerializer.Meta):
        fields = [
            *ChangeRequestSerializer.Meta.fields, "validation", "contributors", "hosts", "approvals", "transitions",
            "comments",
        ]  # fmt: skip
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
        for attname, kind, value, _ in references_of(entry):
            out.setdefault(attname, {"kind": kind, "id": value, "name": names.get((kind, value))})
        return out
