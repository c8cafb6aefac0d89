"""API routes of the inventory room: kebab-case plural names under /api/."""

from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("credentials", views.CredentialViewSet, basename="credential")
router.register("managed-hosts", views.ManagedHostViewSet, basename="managedhost")

urlpatterns = router.urls
