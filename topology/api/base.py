"""The base of every model endpoint: serializer, viewset, filters and schema shared by topology and inventory.

A viewset declares its model queryset, serializer, filterset and the relations to load
(``select_related_fields`` / ``prefetch_related_fields``); the base class does the rest:

* restricts the queryset to what the user may read and loads the declared relations, so a list runs
  a constant number of queries whatever the page size;
* writes through :mod:`topology.services.objects` inside one transaction per request, so a request
  that fails leaves nothing half-saved;
* optimistic concurrency: ``PUT``/``PATCH`` carry the ``version`` the client read in the body,
  ``DELETE`` carries it as ``?version=``; a stale version is answered with 409 and the current
  ``version`` and ``last_updated`` (leaving it out means "last writer wins");
* errors: bad input is 400 with ``{field: [message]}`` (``non_field_errors`` for rules that concern
  several fields), deleting an object still in use is 409 naming what uses it;
* ``?brief=1`` on list and retrieve returns only ``id``, ``url``, ``display`` (and ``name``).
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.urls import NoReverseMatch
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from project.parsers import SafeJSONParser
from project.roles import user_can
from topology.services.objects import ObjectInUse, VersionConflict, object_create, object_delete, object_update

from .fields import RelatedObjectField, brief_representation, has_name_field

MAX_ID = 2**63 - 1
TRUE_VALUES = frozenset({"1", "true", "True", "yes", "on"})


# --- serializers ----------------------------------------------------------------------------------------


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


# --- schema -----------------------------------------------------------------------------------------------


class JailnetAutoSchema(AutoSchema):
    """Adds the error responses every endpoint can give (400, 403, 404, 409) to the generated operations."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)

        def add(code: str, serializer: Any, description: str) -> None:
            if code not in responses:
                response = self._get_response_for_code(serializer, code, direction=direction)
                response["description"] = description
                responses[code] = response

        # Any operation: a query string holding control characters is refused (project.middleware).
        add("400", OpenApiTypes.OBJECT, "Invalid input: field name to list of messages (or detail)")
        add("403", DetailSerializer, "Not logged in, or the user's roles do not allow this")
        if "{" in self.path:
            add("404", DetailSerializer, "No such object")
        if self.method in ("PUT", "PATCH", "DELETE", "POST") and "{" in self.path:
            add("409", ConflictSerializer, "Stale version, the object is still in use, or a state that forbids this")
        return responses


# --- filters ----------------------------------------------------------------------------------------------


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


# --- viewset ---------------------------------------------------------------------------------------------


def restrict_queryset(queryset: models.QuerySet, user: Any) -> models.QuerySet:
    """The objects ``user`` may read: everything for any role, nothing without one."""
    return queryset if user_can(user, "read") else queryset.none()


def _field_errors(exc: DjangoValidationError) -> dict[str, Any]:
    """A Django ``ValidationError`` as DRF field errors (``__all__`` becomes ``non_field_errors``)."""
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
        for field, messages in exc.message_dict.items()
    }


def _in_use_by(obj: models.Model, request: Any) -> dict[str, Any]:
    """A brief representation of a blocking object, which may be of a model without an endpoint."""
    try:
        return brief_representation(obj, request)
    except NoReverseMatch:
        return {"id": obj.pk, "url": None, "display": str(obj)}


DELETE_VERSION_PARAMETER = OpenApiParameter(
    "version",
    int,
    OpenApiParameter.QUERY,
    required=False,
    description="The version you read; a stale one is refused with 409. Leave out to delete whatever the version.",
)


class JailnetModelViewSet(viewsets.ModelViewSet):
    """CRUD of one model through the object services; see the module docstring for the rules."""

    write_action = "edit_design"
    select_related_fields: ClassVar[tuple[str, ...]] = ()
    prefetch_related_fields: ClassVar[tuple[str, ...]] = ()
    parser_classes = (SafeJSONParser,)
    schema = JailnetAutoSchema()

    @property
    def model(self) -> type[models.Model]:
        """The model this viewset serves."""
        return self.queryset.model  # type: ignore[union-attr]

    @property
    def brief(self) -> bool:
        """Whether the client asked for the brief form (``?brief=1``)."""
        request = getattr(self, "request", None)
        return request is not None and request.query_params.get("brief", "") in TRUE_VALUES

    def get_queryset(self) -> models.QuerySet:
        queryset = super().get_queryset()
        if self.select_related_fields:
            queryset = queryset.select_related(*self.select_related_fields)
        if self.prefetch_related_fields and not self.brief:
            queryset = queryset.prefetch_related(*self.prefetch_related_fields)
        return restrict_queryset(queryset, self.request.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.brief and self.action in ("list", "retrieve"):
            return brief_serializer_for(self.model)
        return super().get_serializer_class()

    def _reread(self, instance: models.Model) -> models.Model:
        """The saved object loaded with the viewset's relations, for the response."""
        return self.get_queryset().get(pk=instance.pk)

    # Each write request is one transaction: reading the object, validating, writing and reading it back.

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            data.pop("version", None)
            instance = object_create(model=self.model, data=data, user=request.user)
            payload = self.get_serializer(self._reread(instance)).data
        return Response(payload, status=status.HTTP_201_CREATED, headers=self.get_success_headers(payload))

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.get_object()
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            expected_version = data.pop("version", None)
            instance = object_update(instance=instance, data=data, user=request.user, expected_version=expected_version)
            payload = self.get_serializer(self._reread(instance)).data
        return Response(payload)

    @extend_schema(parameters=[DELETE_VERSION_PARAMETER])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        expected_version = self._query_version(request)
        with transaction.atomic():
            object_delete(instance=self.get_object(), user=request.user, expected_version=expected_version)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _query_version(request: Request) -> int | None:
        raw = request.query_params.get("version")
        if raw in (None, ""):
            return None
        try:
            return forms.IntegerField(min_value=1, max_value=2**31 - 1).clean(raw)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"version": exc.messages}) from exc

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, VersionConflict):
            body = {"detail": str(exc), "current_version": exc.current_version, "last_updated": exc.last_updated}
            return Response(ConflictSerializer(body).data, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, ObjectInUse):
            body = {"detail": str(exc), "in_use_by": [_in_use_by(b, self.request) for b in exc.blockers]}
            return Response(body, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(_field_errors(exc))
        return super().handle_exception(exc)


__all__ = [
    "ConflictSerializer",
    "IdFilter",
    "JailnetAutoSchema",
    "JailnetFilterSet",
    "JailnetModelSerializer",
    "JailnetModelViewSet",
    "brief_serializer_for",
    "has_name_field",
    "restrict_queryset",
]
