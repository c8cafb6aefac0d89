"""Serializer fields shared by the API of every room: related objects written by id, read as a brief object."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.reverse import reverse


def detail_view_name(model: type[models.Model]) -> str:
    """The URL name of a model's detail route (the router registers every viewset with the model name)."""
    return f"{model._meta.model_name}-detail"


def has_name_field(model: type[models.Model]) -> bool:
    """Whether the model has a ``name`` field (brief representations then show it)."""
    return any(f.name == "name" for f in model._meta.concrete_fields)


def brief_representation(obj: models.Model, request: Any) -> dict[str, Any]:
    """``{id, url, display[, name]}`` of an object: how one object refers to another in responses."""
    data: dict[str, Any] = {
        "id": obj.pk,
        "url": reverse(detail_view_name(type(obj)), kwargs={"pk": obj.pk}, request=request),
        "display": str(obj),
    }
    if has_name_field(type(obj)):
        data["name"] = obj.name  # type: ignore[attr-defined]
    return data


class BriefObjectSerializer(serializers.Serializer):
    """Schema of a reference to another object: its id, API URL, display text and name (when it has one)."""

    id = serializers.IntegerField(read_only=True)
    url = serializers.URLField(read_only=True)
    display = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, required=False)


class RelatedObjectField(serializers.PrimaryKeyRelatedField):
    """A foreign key: written as the related object's id, read back as ``{id, url, display[, name]}``.

    Viewsets must ``select_related`` the relation (and whatever its ``__str__`` follows) so that lists
    stay at a constant number of queries.
    """

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_representation(self, value: Any) -> dict[str, Any]:
        # Always a model instance: use_pk_only_optimization is off.
        return brief_representation(value, self.context.get("request"))

    def to_internal_value(self, data: Any) -> models.Model:
        # Accept the brief object itself too, so a client can send back what it read.
        if isinstance(data, dict) and "id" in data:
            data = data["id"]
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str) and not data.isdigit():
            self.fail("incorrect_type", data_type="str")
        if int(data) > 2**63 - 1:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(int(data))


class RelatedObjectFieldSchema(OpenApiSerializerFieldExtension):
    """OpenAPI: an integer id in requests, a ``BriefObject`` in responses."""

    target_class = "core.api.fields.RelatedObjectField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any]
        if direction == "request":
            schema = {"type": "integer"}
        else:
            schema = auto_schema.resolve_serializer(BriefObjectSerializer, direction).ref
        if self.target.allow_null:
            schema = {"allOf": [schema], "nullable": True} if "$ref" in schema else {**schema, "nullable": True}
        return schema
