"""Request middleware: every change made while serving a request is attributed to its user and request id."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .audit import change_context
from .models.audit import ChangeSource


class ChangeContextMiddleware:
    """Open a change context per request; echo the request id in ``X-Request-ID``.

    The user is read when a change is recorded, so users authenticated later by DRF are seen too.
    A client may send its own ``X-Request-ID`` (a UUID) to correlate a change with its logs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request_id = uuid.UUID(request.headers.get("X-Request-ID", ""))
        except ValueError:
            request_id = uuid.uuid4()
        source = ChangeSource.ADMIN if request.path.startswith("/admin/") else ChangeSource.API
        with change_context(source=source, request=request, request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = str(request_id)
        return response
