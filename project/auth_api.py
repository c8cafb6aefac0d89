"""Session login/logout and "who am I" for the single-page app (JSON, CSRF-protected)."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import CSRFCheck
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from project.authentication import LOCKOUT_DETAIL, lockout_retry_after
from project.roles import ACTIONS, user_roles


def _enforce_csrf(request: Request) -> None:
    """Refuse a login without the CSRF token (DRF only checks CSRF for already-authenticated sessions)."""
    check = CSRFCheck(lambda req: None)  # type: ignore[arg-type, return-value]
    check.process_request(request._request)
    reason = check.process_view(request._request, None, (), {})  # type: ignore[arg-type]
    if reason:
        raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")


def _me(user) -> dict:  # type: ignore[no-untyped-def]
    roles = user_roles(user)
    # What the roles allow, decided here once (project/roles.py): the UI offers exactly what the API will accept.
    actions = sorted(action for action, allowed in ACTIONS.items() if roles & allowed)
    return {"id": user.pk, "username": user.get_username(), "roles": sorted(roles), "actions": actions}


class MeSerializer(serializers.Serializer):
    """The logged-in user (schema component ``Me``)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(ACTIONS)),
        help_text="What the roles allow: read, edit_design, edit_inventory, approve, deploy, diagnose",
    )


class MeView(APIView):
    """The logged-in user and the roles they hold (the UI hides what a role may not do)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(_me(request.user))


class SessionView(APIView):
    """``GET`` sets the CSRF cookie and says who is logged in (``me``: null before login, so the app asks
    without an error answer the browser would log); ``POST {username, password}`` logs in; ``DELETE`` logs out.
    """

    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "Session",
            {"csrf_token": serializers.CharField(), "me": MeSerializer(allow_null=True)},
        )
    )
    def get(self, request: Request) -> Response:
        me = _me(request.user) if request.user.is_authenticated else None
        return Response({"csrf_token": get_token(request), "me": me})

    @extend_schema(
        request=inline_serializer("Login", {"username": serializers.CharField(), "password": serializers.CharField()}),
        responses={
            200: MeSerializer,
            400: inline_serializer("LoginError", {"detail": serializers.CharField()}),
            403: inline_serializer("CsrfError", {"detail": serializers.CharField()}),
            429: inline_serializer("LoginLockedOut", {"detail": serializers.CharField()}),
        },
    )
    def post(self, request: Request) -> Response:
        _enforce_csrf(request)
        username = request.data.get("username")
        password = request.data.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return Response({"detail": "username and password are required"}, status=status.HTTP_400_BAD_REQUEST)
        user = authenticate(request._request, username=username, password=password)
        if getattr(request._request, "axes_locked_out", False):
            return Response(
                {"detail": LOCKOUT_DETAIL},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(lockout_retry_after(request._request))},
            )
        if user is None:
            return Response({"detail": "wrong user name or password"}, status=status.HTTP_400_BAD_REQUEST)
        login(request._request, user)
        return Response(_me(user))

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
