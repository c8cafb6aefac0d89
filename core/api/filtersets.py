"""Filterset bases: an ``id`` filter on every endpoint, and every foreign key as a pair ``<fk>_id`` / ``<fk>``."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

# The largest id the database stores (bigint); filters refuse larger numbers with 400 instead of failing.
MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """Filter by an object id (rejects numbers out of the database's range with 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", -MAX_ID)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class JailnetFilterSet(django_filters.FilterSet):
    """Base filterset: ``id`` filter; subclasses pair ``<fk>_id`` (by id) with ``<fk>`` (by name)."""

    id = IdFilter(field_name="id")


def id_and_name(path: str) -> tuple[IdFilter, django_filters.CharFilter]:
    """The ``<fk>_id`` / ``<fk>`` pair for the relation at ``path`` (e.g. ``jail__host``)."""
    return IdFilter(field_name=f"{path}__id"), django_filters.CharFilter(field_name=f"{path}__name")
