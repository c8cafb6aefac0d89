"""Who may do what: every endpoint and every role, for reading (GET) and writing (POST)."""

from __future__ import annotations

import pytest

from project.roles import ACTIONS, ROLES

DESIGN_ENDPOINTS = (
    "designs", "hosts", "interfaces", "static-routes", "switches", "switch-ports", "vxlan-segments", "vxlan-members",
    "jails", "jail-addresses", "jail-nics", "vms", "vm-nics", "nat-rules", "port-redirects", "dhcp-services",
    "dhcp-static-leases", "firewall-policies", "firewall-rules",
)  # fmt: skip
INVENTORY_ENDPOINTS = ("credentials", "managed-hosts")
ALL_ROLES = (*ROLES, "no-role", "anonymous")


def _client(client_for, make_user, role):
    if role == "no-role":
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(make_user("nobody"))
        return client
    return client_for(role)


def _write_action(endpoint: str) -> str:
    return "edit_inventory" if endpoint in INVENTORY_ENDPOINTS else "edit_design"


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("endpoint", DESIGN_ENDPOINTS + INVENTORY_ENDPOINTS)
def test_permission_matrix(db, client_for, make_user, endpoint, role):
    client = _client(client_for, make_user, role)
    url = f"/api/{endpoint}/"

    read = client.get(url)
    if role in ROLES:
        assert read.status_code == 200
    else:
        assert read.status_code in (401, 403)

    # An empty body: a user allowed to write gets past the permission check and is told what is missing.
    write = client.post(url, {}, format="json")
    if role in ACTIONS[_write_action(endpoint)]:
        assert write.status_code == 400, write.content
    elif role in ROLES or role == "no-role":
        assert write.status_code == 403
    else:
        assert write.status_code in (401, 403)


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/designs/1/validation/"),
        ("get", "/api/designs/1/render/"),
        ("get", "/api/designs/1/export/"),
        ("post", "/api/designs/import/"),
        ("get", "/api/validation-rules/"),
        ("get", "/api/hosts/1/"),
        ("patch", "/api/hosts/1/"),
        ("delete", "/api/hosts/1/"),
        ("get", "/api/labs/1/report/"),
    ],
)
def test_anonymous_is_refused_everywhere(db, client_for, method, path):
    response = getattr(client_for("anonymous"), method)(path)
    assert response.status_code in (401, 403)


def test_viewer_cannot_import_a_design(db, viewer_client):
    assert viewer_client.post("/api/designs/import/", {"document": "name: x"}, format="json").status_code == 403


def test_schema_and_docs_are_public(db, client_for):
    anonymous = client_for("anonymous")
    assert anonymous.get("/api/schema/").status_code == 200
    assert anonymous.get("/api/docs/").status_code == 200
