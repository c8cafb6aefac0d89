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


# The app's icon: a switch (a bar) joining three jails (boxes), in the designer's colours.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="6" fill="#24405f"/>'
    '<rect x="5" y="14" width="22" height="4" rx="2" fill="#9fc1e6"/>'
    '<rect x="4" y="4" width="7" height="7" rx="1" fill="#fff"/>'
    '<rect x="12.5" y="4" width="7" height="7" rx="1" fill="#fff"/>'
    '<rect x="21" y="4" width="7" height="7" rx="1" fill="#fff"/>'
    '<path d="M7.5 11v3M16 11v3M24.5 11v3M16 18v6" stroke="#fff" stroke-width="1.5"/>'
    '<rect x="12" y="23" width="8" height="5" rx="1" fill="#f0b54a"/>'
    "</svg>"
)


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``: browsers ask for it on every page whatever the HTML says (an SVG, cached for a day)."""
    response = HttpResponse(FAVICON_SVG, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
