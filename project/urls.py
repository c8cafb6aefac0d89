"""URL routes: the REST API under /api/, its schema and docs, the admin, and the single-page app."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from project.auth_api import MeView, SessionView
from project.views import favicon, spa_index

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file of its own, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("topology.api.urls")),
    path("api/", include("inventory.api.urls")),
    path("api/", include("topology.changes.urls")),
    path("api/", include("topology.api.graph_urls")),
    path("api/", include("executors.api.urls")),
    path("api/auth/", include("rest_framework.urls")),
    path("api/session/", SessionView.as_view(), name="session"),
    path("api/me/", MeView.as_view(), name="me"),
    path("favicon.ico", favicon, name="favicon"),
    path("", spa_index, name="spa"),
]
