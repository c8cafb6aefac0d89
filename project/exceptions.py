"""API error handling: domain errors raised by services become 400 responses with field errors; a body over the
size limit becomes a 413 that says the limit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn Django ``ValidationError`` (raised by services and model validation) into a DRF 400, and a body
    larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` into a 413 (Django would answer a bare HTML 400 and log an
    error with a traceback)."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        return Response(
            {"detail": f"the request body is larger than {limit:g} MiB, the most this server accepts"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)
