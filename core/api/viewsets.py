"""The base viewsets of every model endpoint, shared by every app.

A viewset declares its model queryset, serializer, filterset and the relations to load
(``select_related_fields`` / ``prefetch_related_fields``); the base classes do the rest
(:class:`JailnetReadOnlyModelViewSet` the reading, :class:`JailnetModelViewSet` reading and writing):

* restricts the queryset to what the user may read and loads the declared relations, so a list runs
  a constant number of queries whatever the page size;
* writes through :mod:`core.services` inside one transaction per request, so a request
  that fails leaves nothing half-saved;
* optimistic concurrency: ``PUT``/``PATCH`` carry the ``version`` the client read in the body,
  ``DELETE`` carries it as ``?version=``; a stale version is answered with 409 and the current
  ``version`` and ``last_updated`` (leaving it out means "last writer wins");
* errors: bad input is 400 with ``{field: [message]}`` (``non_field_errors`` for rules that concern
  several fields), deleting an object still in use is 409 naming what uses it;
* ``?brief=1`` on list and retrieve returns only ``id``, ``url``, ``display`` (and ``name``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.urls import NoReverseMatch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.models.base import BaseModel
from core.services import ObjectInUse, VersionConflict, object_create, object_delete, object_update
from project.parsers import SafeJSONParser
from project.roles import user_can

from .fields import brief_representation
from .schema import JailnetAutoSchema
from .serializers import ConflictSerializer, brief_serializer_for

TRUE_VALUES = frozenset({"1", "true", "True", "yes", "on"})


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


class JailnetReadOnlyModelViewSet(viewsets.ReadOnlyModelViewSet):
    """List and retrieve of one model: what the user may read, with the declared relations loaded, ``?brief=1``.

    Endpoints whose writes are workflow actions (change requests, revisions) or that are never written
    (the audit history) build on this; :class:`JailnetModelViewSet` adds the object services' writes.
    """

    # Every model endpoint filters (django-filter's backend reads it); declared here so callers may rely on it.
    filterset_class: ClassVar[type[django_filters.FilterSet]]
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


class JailnetModelViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, JailnetReadOnlyModelViewSet
):
    """CRUD of one model through the object services; see the module docstring for the rules."""

    write_action = "edit_design"

    @property
    def model(self) -> type[BaseModel]:
        """The model this viewset writes (a versioned model: the object services need ``version``)."""
        model = super().model
        if not issubclass(model, BaseModel):
            raise TypeError(f"{model.__name__} is not a BaseModel: JailnetModelViewSet writes versioned models only")
        return model

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
