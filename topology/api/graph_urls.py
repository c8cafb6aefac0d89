"""Route of the design graph endpoint; included under ``api/`` in project/urls.py."""

from django.urls import path

from .graph import DesignGraphView

urlpatterns = [
    path("designs/<int:pk>/graph/", DesignGraphView.as_view(), name="design-graph"),
]
