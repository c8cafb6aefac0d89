"""Request-level guards that apply to every view (API, admin, the app's page)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from project.parsers import text_problem


class StorableQueryMiddleware:
    """Answer 400 when the query string holds a character no database column can hold (NUL, a control).

    Filters pass query values to the database; PostgreSQL refuses NUL in a string literal, which would
    otherwise surface as a 500 from deep inside a queryset.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, values in request.GET.lists():
            for text in (key, *values):
                if problem := text_problem(text):
                    return JsonResponse({"detail": f"query parameter {key[:40]!r}: {problem}"}, status=400)
        return self.get_response(request)
