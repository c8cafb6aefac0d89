"""API routes of the topology room."""

urlpatterns: list = []
