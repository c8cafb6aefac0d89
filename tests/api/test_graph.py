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


def _synthetic(hosts: int):
    from tests.perf.synthetic import synthetic_design
    from topology.services.designs import design_import_snapshot

    snapshot = synthetic_design(hosts=hosts, jails_per_host=4, vms_per_host=1, segments=3, name=f"synthetic-{hosts}")
    return design_import_snapshot(snapshot=snapshot)[0]


@pytest.mark.django_db
def test_overview_has_hosts_switches_segments_members_and_counts(viewer_client, s10) -> None:
    body = viewer_client.get(f"/api/designs/{s10.pk}/graph/", {"scope": "overview"}).json()
    assert body["design"]["name"] == s10.name
    assert set(body["objects"]) == set(GRAPH_KINDS)
    for key in ("hosts", "switches", "vxlan-segments", "vxlan-members"):
        assert body["objects"][key] == list_endpoint(viewer_client, key, s10.pk), key
    assert body["objects"]["jails"] == [] and body["objects"]["interfaces"] == []
    assert set(body["counts"]) == {str(h.pk) for h in s10.hosts.all()}
    for host in s10.hosts.all():
        assert body["counts"][str(host.pk)] == {
            "jails": host.jails.count(),
            "vms": host.vms.count(),
            "switches": host.switches.count(),
            "interfaces": host.interfaces.count(),
        }


@pytest.mark.django_db
def test_host_filter_returns_only_that_hosts_objects(viewer_client, s10) -> None:
    whole = viewer_client.get(f"/api/designs/{s10.pk}/graph/").json()["objects"]
    hosts = list(s10.hosts.order_by("pk"))
    assert len(hosts) >= 2
    first = hosts[0]
    part = viewer_client.get(f"/api/designs/{s10.pk}/graph/", {"host": first.pk}).json()["objects"]
    assert set(part) == set(GRAPH_KINDS)
    assert [h["id"] for h in part["hosts"]] == [first.pk]
    assert part["vxlan-segments"] == []
    jails = {j["id"] for j in whole["jails"] if j["host"]["id"] == first.pk}
    assert {j["id"] for j in part["jails"]} == jails
    assert {i["id"] for i in part["interfaces"]} == {i.pk for i in first.interfaces.all()}
    assert {n["id"] for n in part["jail-nics"]} == {n["id"] for n in whole["jail-nics"] if n["jail"]["id"] in jails}
    for key, objects in part.items():  # each object exactly as in the whole design
        by_id = {o["id"]: o for o in whole[key]}
        assert all(by_id[o["id"]] == o for o in objects), key
    # Every host, repeated or comma-separated, gives back the whole design.
    ids = [h.pk for h in hosts]
    for params in ({"host": ids}, {"host": ",".join(map(str, ids))}):
        every = viewer_client.get(f"/api/designs/{s10.pk}/graph/", params).json()["objects"]
        for key in GRAPH_KINDS:
            if key != "vxlan-segments":
                assert sorted(o["id"] for o in every[key]) == sorted(o["id"] for o in whole[key]), key


@pytest.mark.django_db
def test_host_filter_leaves_out_other_designs_and_checks_its_input(viewer_client, s10) -> None:
    other = design_import_document(document_text=(EXAMPLES / "s06-vnet-iocage.yaml").read_text())[0]
    foreign = other.hosts.earliest("pk")
    part = viewer_client.get(f"/api/designs/{s10.pk}/graph/", {"host": foreign.pk}).json()["objects"]
    assert all(objects == [] for objects in part.values())
    assert viewer_client.get(f"/api/designs/{s10.pk}/graph/", {"host": "x"}).status_code == 400
    # an id no database key can hold, and digits that are not ASCII, are refused, not a 500
    for hostile in ("297536586743613554688", str(2**63), "\u00b2", "\u0663"):
        assert viewer_client.get(f"/api/designs/{s10.pk}/graph/", {"host": hostile}).status_code == 400, hostile
    assert viewer_client.get(f"/api/designs/{s10.pk}/graph/", {"scope": "bogus"}).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"scope": "overview"}, "hosts", {}])
def test_queries_do_not_grow_with_the_hosts(viewer_client, params) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (3, 30):
        design = _synthetic(size)
        query = {"host": ",".join(str(h.pk) for h in design.hosts.all())} if params == "hosts" else params
        viewer_client.get(f"/api/designs/{design.pk}/graph/", query)  # warm caches
        with CaptureQueriesContext(connection) as ctx:
            assert viewer_client.get(f"/api/designs/{design.pk}/graph/", query).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_overview_and_host_filter_need_a_role(client_for, make_user, s10) -> None:
    host = s10.hosts.first().pk
    for params in ({"scope": "overview"}, {"host": host}):
        assert client_for("anonymous").get(f"/api/designs/{s10.pk}/graph/", params).status_code in (401, 403)
        no_role = APIClient()
        no_role.force_authenticate(make_user("nobody-" + "-".join(params)))
        assert no_role.get(f"/api/designs/{s10.pk}/graph/", params).status_code == 403
    assert client_for("anonymous").get("/api/designs/999999/graph/", {"scope": "overview"}).status_code in (401, 403)
