"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis, in-process WSGI).

Every operation of /api/schema/ gets a few generated requests (deterministic, ``max-examples = 8``),
sent as an admin to the Django WSGI application in this process (no network). Each response must not
be a server error and must match the status codes and body schemas the schema documents.
"""

from __future__ import annotations

import base64
import time

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.db.models import Model
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from executors.lab.lifecycle import leftovers
from executors.models import Job
from executors.models.jobs import ACTIVE_JOB_STATES
from tests.executors.conftest import celery_worker, jobs_on_worker, live_events, redis_url  # noqa: F401 - fixtures
from tests.lab.documents import S10
from tests.lab.support import needs_lab, unique_name
from topology.services.designs import design_import_document

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
# The lab's actions (up, check, down) start jobs that a worker runs as root: they are fuzzed by
# test_lab_actions_conform_to_their_schema below, against a real lab, a real worker and the lab lock. Here every
# other endpoint; the lab's reads (list, detail, last check's report) only read the database.
LAB_ACTIONS = r"^/api/labs/(up/|\{id\}/(check|down)/)$"
lab_schema = schema.include(path_regex=LAB_ACTIONS)
schema = schema.exclude(path_regex=LAB_ACTIONS)


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


# --- the lab's root-only actions ------------------------------------------------------------------------------
LAB_NAME = unique_name("fuzz-lab")


@pytest.fixture
def lab_design(keep_test_database_connection):
    """The S10 lab brought up as root (a Lab row to aim ``{id}`` at); after the examples, every job they started
    is waited for (bounded) and the lab torn down, leaving nothing."""
    from executors.lab.services import lab_start

    design, _ = design_import_document(document_text=S10.replace("name: lab-s10-vxlan", f"name: {LAB_NAME}"))
    lab_start(design=design)
    yield design
    deadline = time.monotonic() + 180
    while Job.objects.filter(state__in=ACTIVE_JOB_STATES).exists() and time.monotonic() < deadline:
        time.sleep(0.25)
    jobs = list(Job.objects.values_list("kind", "state"))
    call_command("lab", "down", LAB_NAME)
    assert leftovers(LAB_NAME) == {"namespaces": [], "processes": []}
    print(f"lab actions fuzzed: jobs (kind, state) {jobs}")
    assert jobs, "no example reached the lab: aim more of them at it"
    assert not [j for j in jobs if j[1] in ACTIVE_JOB_STATES], f"jobs not finished by the worker in 180 s: {jobs}"


def _aim_at_the_lab(case, design) -> None:
    """Generated ids (path ``{id}``, body ``design``) at the running lab or its design, except 0 (kept: a lab or
    design that does not exist); the rest of the body stays as generated."""
    from executors.models import Lab

    generated = (case.path_parameters or {}).get("id")
    if isinstance(generated, int) and generated != 0:
        case.path_parameters["id"] = Lab.objects.get(design=design).pk
    if isinstance(case.body, dict) and isinstance(case.body.get("design"), int) and case.body["design"] != 0:
        case.body["design"] = design.pk


@pytest.mark.schema
@needs_lab
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("jobs_on_worker")
@lab_schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_lab_actions_conform_to_their_schema(case, admin_headers, lab_design):
    """Root, lab lock: ``flock /tmp/jailnet-lab.lock .venv/bin/python -m pytest tests/api/test_schema_fuzz.py -k lab``.

    Up, check and down of a running lab, with generated bodies and ids: the jobs they start run on a real worker
    as root while the examples go on (a second action on a busy design answers 409, as documented).
    """
    _aim_at_the_lab(case, lab_design)
    case.call_and_validate(
        headers=admin_headers, checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
    )
