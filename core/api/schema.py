"""The OpenAPI schema class of every endpoint (``DEFAULT_SCHEMA_CLASS``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes

from .serializers import ConflictSerializer, DetailSerializer


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
