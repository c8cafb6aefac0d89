"""Login throttling's answers (django-axes) and DRF's basic auth under the same throttle.

Every way in answers a locked-out user name and address alike: 429, ``Retry-After`` and the same detail, never
naming the user (session login: ``project/auth_api.py``; basic auth and the admin: here).
"""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from django.http import HttpResponse, JsonResponse
from drf_spectacular.authentication import BasicScheme
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication

LOCKOUT_DETAIL = "too many failed logins for this user name from here: try again later"


def lockout_retry_after(request: Any) -> int:
    """Seconds until a locked-out user name and address may try again (``Retry-After``).

    The whole cool-off: every attempt during a lockout, even with the right password, counts as a failure and
    starts it again (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``, axes' default).
    """
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds())) if cool_off else 1


def lockout_response(request: Any, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """What django-axes answers to a locked-out login (``AXES_LOCKOUT_CALLABLE``) on every way in (session login,
    basic auth, admin): 429 with ``Retry-After``, as JSON for the API and as a short text page for the admin; it
    never names the user (the request may come from anyone)."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": LOCKOUT_DETAIL}, status=429)
    else:
        response = HttpResponse(LOCKOUT_DETAIL, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(lockout_retry_after(request))
    return response


class LockedOut(exceptions.Throttled):
    """A locked-out login over basic auth: 429 with ``Retry-After``, as the session login answers."""

    extra_detail_singular = extra_detail_plural = ""

    def __init__(self, wait: int) -> None:
        super().__init__(wait=wait, detail=LOCKOUT_DETAIL)
        self.detail = exceptions.ErrorDetail(LOCKOUT_DETAIL, code=self.default_code)


class ThrottledBasicAuthentication(BasicAuthentication):
    """DRF's basic auth, throttled by django-axes like every login.

    DRF hands ``authenticate()`` its own request object, on which axes marks a lockout where its middleware
    never looks (the caller got 401 or 403); this passes Django's request and turns a lockout into
    :class:`LockedOut`.
    """

    def authenticate_credentials(self, userid: str, password: str, request: Any = None) -> Any:
        django_request = getattr(request, "_request", request)
        user = authenticate(request=django_request, username=userid, password=password)
        if getattr(django_request, "axes_locked_out", False):
            raise LockedOut(lockout_retry_after(django_request))
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid username/password.")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (user, None)


class ThrottledBasicScheme(BasicScheme):
    """The OpenAPI security scheme of :class:`ThrottledBasicAuthentication`: HTTP basic, as DRF's own."""

    target_class = "project.authentication.ThrottledBasicAuthentication"
