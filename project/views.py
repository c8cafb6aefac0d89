"""The page that hosts the single-page app (built by Vite into frontend/dist)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def spa_index(request: HttpRequest) -> HttpResponse:
    """Serve the built frontend's index.html, or a short page saying how to build it."""
    index = settings.BASE_DIR / "frontend" / "dist" / "index.html"
    if index.exists():
        return HttpResponse(index.read_text(), content_type="text/html")
    return HttpResponse(
        "<!doctype html><title>jailnet</title><h1>jailnet</h1>"
        "<p>The browser designer is not built yet. The API is at <a href='/api/docs/'>/api/docs/</a>, "
        "the admin at <a href='/admin/'>/admin/</a>.</p>",
        content_type="text/html",
    )
