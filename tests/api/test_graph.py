"""The design graph endpoint: every object of a design in one answer, exactly as the list endpoints give them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import include, path
from rest_framework.test import APIClient

from topology.api.graph import GRAPH_KINDS
from topology.services.designs import design_import_document

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# project/urls.py plus the graph route, until the project's routes include it.
urlpatterns = [
    path("api/", include("topology.api.graph_urls")),
    path("", include("project.urls")),
]


@pytest.fixture(autouse=True)
def graph_routes(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def s10():
    return design_import_document(document_text=(EXAMPLES / "s10-vxlan-multicast.yaml").read_text())[0]


def list_endpoint(client, key: str, design_id: int) -> list[dict]:
    response = client.get(f"/api/{key}/", {"design_id": design_id, "limit": 1000})
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.django_db
def test_graph_returns_every_object_as_the_list_endpoints_do(viewer_client, s10) -> None:
    response = viewer_client.get(f"/api/designs/{s10.pk}/graph/")
    assert response.status_code == 200
    body = response.json()
    assert body["design"]["name"] == s10.name
    assert set(body["objects"]) == set(GRAPH_KINDS)
    assert body["objects"]["hosts"], "S10 has hosts"
    for key in GRAPH_KINDS:
        assert body["objects"][key] == list_endpoint(viewer_client, key, s10.pk), key


@pytest.mark.django_db
def test_graph_leaves_out_other_designs(viewer_client, s10) -> None:
    other = design_import_document(document_text=(EXAMPLES / "s06-vnet-iocage.yaml").read_text())[0]
    hosts = viewer_client.get(f"/api/designs/{other.pk}/graph/").json()["objects"]["hosts"]
    assert {h["name"] for h in hosts} == {h["name"] for h in list_endpoint(viewer_client, "hosts", other.pk)}
    assert not {h["id"] for h in hosts} & {h.pk for h in s10.hosts.all()}


@pytest.mark.django_db
def test_graph_runs_a_constant_number_of_queries(viewer_client, s10, django_assert_max_num_queries) -> None:
    viewer_client.get(f"/api/designs/{s10.pk}/graph/")  # warm caches (content types, roles)
    with django_assert_max_num_queries(40):
        assert viewer_client.get(f"/api/designs/{s10.pk}/graph/").status_code == 200


@pytest.mark.django_db
def test_graph_of_a_missing_design_is_404(viewer_client) -> None:
    assert viewer_client.get("/api/designs/999999/graph/").status_code == 404


@pytest.mark.django_db
def test_graph_needs_a_role(client_for, make_user, s10) -> None:
    assert client_for("anonymous").get(f"/api/designs/{s10.pk}/graph/").status_code in (401, 403)
    no_role = APIClient()
    no_role.force_authenticate(make_user("nobody"))
    assert no_role.get(f"/api/designs/{s10.pk}/graph/").status_code == 403
