"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis, in-process WSGI).

Every operation of /api/schema/ gets a few generated requests (deterministic, ``max-examples = 8``),
sent as an admin to the Django WSGI application in this process (no network). Each response must not
be a server error and must match the status codes and body schemas the schema documents.
"""

from __future__ import annotations

import base64

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.db.models import Model
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

ADMIN, PASSWORD = "fuzz-admin", "fuzz-admin-password"
CONFIG = {
    "seed": 20261127,
    "generation": {"max-examples": 8, "deterministic": True, "database": "none", "no-shrink": False},
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
}


@pytest.fixture
def keep_test_database_connection():
    """Keep Django from closing the test database connection at the end of each WSGI request.

    Django's own test client does the same; without it the per-test transaction (and an in-memory
    SQLite test database) would be lost after the first request.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(env, django_user_model, settings) -> dict[str, str]:
    """Basic-auth headers of an admin; ``env`` gives the generated ids a design to hit."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    django_user_model.objects.create_superuser(ADMIN, password=PASSWORD)
    token = base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# Loaded when the module is collected: generating the schema needs the app, not the database.
schema: BaseSchema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", get_wsgi_application(), config=SchemathesisConfig.from_dict(CONFIG)
)
# Every endpoint except the lab's, whose actions create namespaces and processes as root (tests/lab covers them);
# the lab's last check (report) only reads the database.
schema = schema.exclude(path_regex=r"^/api/labs/(?!\{id\}/report/$)")


def _models_by_prefix() -> dict[str, type[Model]]:
    from inventory.api.urls import router as inventory_router
    from topology.api.urls import router as topology_router

    models: dict[str, type[Model]] = {}
    for prefix, viewset, _ in (*topology_router.registry, *inventory_router.registry):
        queryset = getattr(viewset, "queryset", None)  # the router's registry types viewsets as ViewSetMixin
        if queryset is not None:
            models[prefix] = queryset.model
    return models


def _aim_at_existing_object(case) -> None:
    """Point every other generated ``{id}`` at an object that exists, so updates and deletes get exercised."""
    generated = (case.path_parameters or {}).get("id")
    if not isinstance(generated, int) or generated % 2 == 0:
        return
    model = _models_by_prefix().get(case.path.split("/")[2])
    existing = model._default_manager.order_by("pk").values_list("pk", flat=True).first() if model else None
    if existing is not None:
        case.path_parameters["id"] = existing


@pytest.mark.schema
@pytest.mark.django_db
@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, admin_headers, keep_test_database_connection):
    _aim_at_existing_object(case)
    case.call_and_validate(
        headers=admin_headers, checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
    )
