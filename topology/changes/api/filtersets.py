"""Filters of change requests, revisions and the audit history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q

from core.api.filtersets import IdFilter
from core.models import AuditEntry
from project.roles import user_can
from topology.models import ChangeRequest, ChangeRequestState, Revision


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
            .exclude(contributors=user)
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
