"""Websocket routes (filled by the designer, change-request and diagnostics work)."""

websocket_urlpatterns: list = []
