"""Authentication backends: django-axes' login throttling, also for callers that have no request."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' backend (refuses a locked-out user name and address) that lets ``authenticate()`` calls
    without a request through to the next backend: a script or a management command has no client address
    to throttle, and axes would otherwise raise. Every login over HTTP (session, basic auth, admin) passes
    its request, so none of them escapes the throttle."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
