"""API routes of the executors room (include under /api/)."""

from rest_framework.routers import DefaultRouter

from . import jobs, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("labs", views.LabViewSet, basename="lab")
router.register("jobs", jobs.JobViewSet, basename="job")

urlpatterns = router.urls
