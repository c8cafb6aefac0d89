"""Every API operation for every role, generated from the URL configuration (through the schema generator).

``EXPECTED`` says which role action each operation needs. An operation without a row fails
``test_every_operation_has_an_expected_row``: a new route must say who may use it before it lands. Then
each operation is called by each role (the five roles, a user without a role, anonymous): refused roles
must get 401/403; allowed roles must get past the permission check (anything but 401/403). Operations with
effects outside the database (a lab brought up or down, namespaces and processes as root) are called by
refused roles only; tests/lab covers them for allowed roles.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from project.roles import ACTIONS, ROLES

PUBLIC = "public"  # anyone, logged in or not
LOGGED_IN = "logged-in"  # any authenticated user, even without a role

DESIGN_OBJECTS = (
    "designs", "hosts", "interfaces", "static-routes", "switches", "switch-ports", "vxlan-segments", "vxlan-members",
    "jails", "jail-addresses", "jail-nics", "vms", "vm-nics", "nat-rules", "port-redirects", "dhcp-services",
    "dhcp-static-leases", "firewall-policies", "firewall-rules",
)  # fmt: skip
INVENTORY_OBJECTS = ("credentials", "managed-hosts")


def _crud(prefix: str, write: str) -> dict[tuple[str, str], str]:
    return {
        ("GET", f"/api/{prefix}/"): "read",
        ("POST", f"/api/{prefix}/"): write,
        ("GET", f"/api/{prefix}/{{id}}/"): "read",
        ("PUT", f"/api/{prefix}/{{id}}/"): write,
        ("PATCH", f"/api/{prefix}/{{id}}/"): write,
        ("DELETE", f"/api/{prefix}/{{id}}/"): write,
    }


EXPECTED: dict[tuple[str, str], str] = {
    **{k: v for prefix in DESIGN_OBJECTS for k, v in _crud(prefix, "edit_design").items()},
    **{k: v for prefix in INVENTORY_OBJECTS for k, v in _crud(prefix, "edit_inventory").items()},
    ("GET", "/api/designs/{id}/export/"): "read",
    ("GET", "/api/designs/{id}/graph/"): "read",
    ("GET", "/api/designs/{id}/render/"): "read",
    ("GET", "/api/designs/{id}/validation/"): "read",
    ("POST", "/api/designs/import/"): "edit_design",
    ("GET", "/api/validation-rules/"): "read",
    ("GET", "/api/audit-entries/"): "read",
    ("GET", "/api/audit-entries/{id}/"): "read",
    ("GET", "/api/audit-entries/export/"): "read",
    ("GET", "/api/change-requests/"): "read",
    ("POST", "/api/change-requests/"): "edit_design",
    ("GET", "/api/change-requests/{id}/"): "read",
    ("GET", "/api/change-requests/{id}/comments/"): "read",
    ("POST", "/api/change-requests/{id}/comments/"): "read",
    ("POST", "/api/change-requests/{id}/deploy/"): "deploy",
    ("GET", "/api/change-requests/{id}/hosts/{host_name}/"): "read",
    ("POST", "/api/change-requests/{id}/refresh/"): "edit_design",
    ("POST", "/api/change-requests/{id}/review/"): "approve",
    ("POST", "/api/change-requests/{id}/submit/"): "edit_design",
    ("GET", "/api/revisions/"): "read",
    ("GET", "/api/revisions/{id}/"): "read",
    ("GET", "/api/revisions/{id}/diff/"): "read",
    ("POST", "/api/revisions/{id}/restore/"): "edit_design",
    ("GET", "/api/labs/"): "read",
    ("GET", "/api/labs/{id}/"): "read",
    ("GET", "/api/labs/{id}/report/"): "read",
    ("POST", "/api/labs/up/"): "deploy",
    ("POST", "/api/labs/{id}/check/"): "deploy",
    ("POST", "/api/labs/{id}/down/"): "deploy",
    ("POST", "/api/managed-hosts/{id}/pin-key/"): "edit_inventory",
    ("POST", "/api/managed-hosts/{id}/test-connection/"): "edit_inventory",
    ("GET", "/api/deployments/"): "read",
    ("GET", "/api/deployments/{id}/"): "read",
    ("POST", "/api/deployments/"): "deploy",
    ("POST", "/api/deployments/{id}/retry/"): "deploy",
    ("GET", "/api/designs/{id}/host-mapping/"): "read",
    ("PUT", "/api/designs/{id}/host-mapping/"): "edit_inventory",
    ("GET", "/api/deploy-plans/"): "read",
    ("POST", "/api/deploy-plans/"): "plan_deploy",
    ("GET", "/api/jobs/"): "read",
    ("GET", "/api/jobs/{id}/"): "read",
    ("GET", "/api/jobs/{id}/output/"): "read",
    ("GET", "/api/jobs/{id}/log/"): "read",
    ("GET", "/api/jobs/availability/"): "read",
    ("POST", "/api/jobs/{id}/cancel/"): "deploy",
    # Reading diagnostics need read access; the service refuses mutating ones to non-operators (403), and only
    # whoever started a run or an operator may stop it (tests/executors/diagnostics/test_api.py).
    ("GET", "/api/diagnostic-runs/"): "read",
    ("POST", "/api/diagnostic-runs/"): "read",
    ("GET", "/api/diagnostic-runs/{id}/"): "read",
    ("GET", "/api/diagnostic-runs/{id}/pcap/"): "read",
    ("POST", "/api/diagnostic-runs/{id}/stop/"): "read",
    ("GET", "/api/diagnostic-runs/catalogue/"): "read",
    ("POST", "/api/diagnostic-runs/drift/"): "read",
    ("POST", "/api/designs/import-preview/"): "edit_design",
    ("POST", "/api/designs/{id}/clone/"): "edit_design",
    ("GET", "/api/me/"): LOGGED_IN,
    ("GET", "/api/session/"): PUBLIC,
    ("POST", "/api/session/"): PUBLIC,
    ("DELETE", "/api/session/"): PUBLIC,
}
# Effects outside the database: only refused roles call these here.
# (a lab brought up or down as root; an SSH connection to a registered host's address).
OUTSIDE_EFFECTS = {
    ("POST", "/api/labs/up/"),
    ("POST", "/api/labs/{id}/check/"),
    ("POST", "/api/labs/{id}/down/"),
    ("POST", "/api/managed-hosts/{id}/pin-key/"),
    ("POST", "/api/managed-hosts/{id}/test-connection/"),
    ("POST", "/api/deployments/"),  # SSH to the design's hosts
    ("POST", "/api/deployments/{id}/retry/"),
    ("POST", "/api/deploy-plans/"),  # SSH to the design's hosts (read-only there, but a connection all the same)
}
CALLERS = (*ROLES, "no-role", "anonymous")


def _operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods = ("get", "post", "put", "patch", "delete")
    return sorted((m.upper(), path) for path, ops in schema["paths"].items() for m in ops if m in methods)


OPERATIONS = _operations()


def _models_by_prefix() -> dict[str, Any]:
    from django.urls import get_resolver

    models: dict[str, Any] = {}
    for pattern in get_resolver().url_patterns:
        urlconf = getattr(pattern, "urlconf_module", None)
        router = getattr(urlconf, "router", None)
        for prefix, viewset, _ in getattr(router, "registry", ()):
            queryset = getattr(viewset, "queryset", None)
            if queryset is not None:
                models[prefix] = queryset.model
    return models


_MODELS = _models_by_prefix()


def test_every_operation_has_an_expected_row():
    missing = [op for op in OPERATIONS if op not in EXPECTED]
    assert not missing, f"operations without a row in EXPECTED (say who may use them): {missing}"
    gone = [op for op in EXPECTED if op not in OPERATIONS]
    assert not gone, f"rows for operations that no longer exist: {gone}"


def _allowed(rule: str, caller: str) -> bool:
    if rule == PUBLIC:
        return True
    if rule == LOGGED_IN:
        return caller != "anonymous"
    return caller in ACTIONS[rule]


def _client(caller: str, make_user) -> APIClient:
    client = APIClient()
    if caller == "no-role":
        client.force_authenticate(make_user("no-role-user"))
    elif caller != "anonymous":
        client.force_authenticate(make_user(f"{caller}-user", caller))
    return client


def _url(path: str, env) -> str:
    """The path with ``{id}`` of an object that exists where the collection has one (else 1)."""
    prefix = path.split("/")[2]
    model = _MODELS.get(prefix)
    existing = model.objects.order_by("pk").values_list("pk", flat=True).first() if model else None
    return path.replace("{id}", str(existing or 1)).replace("{host_name}", "jailhost-a")


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_each_role_gets_what_its_row_says(operation, env, make_user):
    method, path = operation
    rule = EXPECTED.get(operation)
    if rule is None:
        pytest.fail(f"{method} {path} has no row in EXPECTED")
    for caller in CALLERS:
        allowed = _allowed(rule, caller)
        if allowed and operation in OUTSIDE_EFFECTS:
            continue
        client = _client(caller, make_user)
        response = client.generic(method, _url(path, env), "{}", content_type="application/json")
        refused = response.status_code in (401, 403) and not re.search(rb"CSRF", response.content)
        if allowed:
            assert not refused, f"{caller} was refused {method} {path}: {response.status_code} {response.content[:200]}"
        else:
            assert response.status_code in (401, 403), (
                f"{caller} was let through {method} {path}: {response.status_code} {response.content[:200]}"
            )
