"""Websockets from the app's own pages only: the ``Origin`` must be the origin the socket was opened on.

Channels' ``AllowedHostsOriginValidator`` only checks the origin's host name against ``ALLOWED_HOSTS``, so a page
served from ``http://localhost:1`` (any local port, any scheme) could open a socket with the user's cookies. Here
scheme, host and port of ``Origin`` must equal those of the socket itself (``Host`` header; ``ws`` pairs with
``http`` and ``wss`` with ``https``), and the host must be allowed. A socket without ``Origin`` (not a browser)
is refused too: every client of ``/ws/`` is the single-page app.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_tuple(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    host, port = split_domain_port(netloc.lower())
    if not host or scheme not in DEFAULT_PORTS:
        return None
    try:
        number = int(port) if port else DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, host, number


def same_origin(scope: dict[str, Any]) -> bool:
    """Whether the websocket ``scope`` was opened by a page of the origin it connects to."""
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin", b"").decode("latin-1")
    host_header = headers.get(b"host", b"").decode("latin-1")
    if not origin or not host_header or origin == "null":
        return False
    parsed = urlsplit(origin)
    if parsed.path not in ("", "/") or parsed.query or parsed.fragment or parsed.username or parsed.password:
        return False
    socket_scheme = "https" if scope.get("scheme") == "wss" else "http"
    theirs = _origin_tuple(parsed.scheme.lower(), parsed.netloc)
    ours = _origin_tuple(socket_scheme, host_header)
    if theirs is None or ours is None or theirs != ours:
        return False
    return validate_host(ours[1], settings.ALLOWED_HOSTS)


class SameOriginValidator:
    """ASGI middleware refusing websockets whose ``Origin`` is not the socket's own origin (close code 4403)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not same_origin(scope):
            # Read the connect event, then refuse: an HTTP 403 to the browser before the socket opens.
            await receive()
            await send({"type": "websocket.close", "code": 4403})
            return None
        return await self.application(scope, receive, send)
