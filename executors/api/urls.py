"""API routes of the executors room (include under /api/)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import deployments, diagnostics, hosts, jobs, plans, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("labs", views.LabViewSet, basename="lab")
router.register("jobs", jobs.JobViewSet, basename="job")
router.register("deployments", deployments.DeploymentViewSet, basename="deployment")
router.register("diagnostic-runs", diagnostics.DiagnosticRunViewSet, basename="diagnosticrun")
router.register("deploy-plans", plans.DeployPlanViewSet, basename="deploy-plan")

urlpatterns = [
    path(
        "managed-hosts/<int:pk>/test-connection/",
        hosts.ManagedHostTestConnectionView.as_view(),
        name="managedhost-test-connection",
    ),
    path("designs/<int:pk>/host-mapping/", hosts.DesignHostMappingView.as_view(), name="design-host-mapping"),
    *router.urls,
]
