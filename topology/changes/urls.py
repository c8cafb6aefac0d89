"""API routes of change requests, revisions and the audit history."""

from rest_framework.routers import DefaultRouter

from .api.views import AuditEntryViewSet, ChangeRequestViewSet, RevisionViewSet

router = DefaultRouter()
router.register("change-requests", ChangeRequestViewSet, basename="changerequest")
router.register("revisions", RevisionViewSet, basename="revision")
router.register("audit-entries", AuditEntryViewSet, basename="auditentry")

urlpatterns = router.urls
