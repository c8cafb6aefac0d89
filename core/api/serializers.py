"""Serializers shared by every model endpoint: the model serializer base, brief objects and error bodies."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import models
from rest_framework import serializers

from .fields import RelatedObjectField, brief_representation


class JailnetModelSerializer(serializers.ModelSerializer):
    """Base of every model serializer: ``id``, ``url``, ``display``, ``version``, timestamps, FKs as brief objects.

    Validation that needs the database (uniqueness, cross-object rules) is left to the services, which
    run ``full_clean()``; the serializer only checks the shape and format of each field.
    """

    serializer_related_field = RelatedObjectField
    display = serializers.CharField(source="__str__", read_only=True)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Incremented by every change. Send the version you read with PUT/PATCH; a stale one is refused "
        "with 409. Ignored on create.",
    )

    def get_validators(self) -> list[Any]:
        # Unique-together checks run in the service (full_clean), with the model's own messages.
        return []

    def get_uniqueness_extra_kwargs(self, field_names: Any, declared_fields: Any, extra_kwargs: Any) -> tuple:
        # Keep the model's notion of required fields; DRF would make every field of a unique constraint required.
        return extra_kwargs, {}


@cache
def brief_serializer_for(model: type[models.Model]) -> type[serializers.Serializer]:
    """A serializer rendering only ``id``, ``url``, ``display`` (and ``name``) of ``model`` objects."""

    class BriefSerializer(serializers.Serializer):
        def to_representation(self, instance: models.Model) -> dict[str, Any]:
            return brief_representation(instance, self.context.get("request"))

    BriefSerializer.__name__ = f"Brief{model.__name__}Serializer"
    return BriefSerializer


class DetailSerializer(serializers.Serializer):
    """An error with a human-readable ``detail`` (403, 404)."""

    detail = serializers.CharField()


class InUseBySerializer(serializers.Serializer):
    """An object that still refers to the one a client tried to delete (``url`` is null if it has no endpoint)."""

    id = serializers.IntegerField()
    url = serializers.URLField(allow_null=True)
    display = serializers.CharField()
    name = serializers.CharField(required=False)


class ConflictSerializer(serializers.Serializer):
    """409: a stale ``version`` (with the current one), or an object still used by others."""

    detail = serializers.CharField()
    current_version = serializers.IntegerField(required=False)
    last_updated = serializers.DateTimeField(required=False, allow_null=True)
    in_use_by = InUseBySerializer(many=True, required=False)
