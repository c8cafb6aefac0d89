"""The live snapshot and validation of a stored design equal a full read and a full validation after any
sequence of edits made through the API.

Hypothesis draws sequences of edits as the designer makes them (POST, PATCH, DELETE on the object endpoints)
of every kind: hosts (added, changed, renamed, deleted), interfaces, switches, VNET jails and their NICs (a
NIC's address changed, a NIC moved to a jail on another host), plain jail addresses, VXLAN segments and
members, NAT, firewall rules, static routes and the design's own fields. An edit the API refuses changes
nothing. After each edit: ``design_live_snapshot`` equals ``design_snapshot``, ``design_live_validation``
equals ``validate`` of it, and every host's configuration rendered from the live snapshot equals the one
rendered from the full read — also through the API endpoints the designer calls.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from topology import models as m
from topology import snapshot as s
from topology.render.freebsd import UnsafeValueError, render_host
from topology.selectors import design_snapshot
from topology.services.designs import design_import_document
from topology.services.live_design import design_live_snapshot, design_live_validation
from topology.validation import validate

pytestmark = pytest.mark.django_db

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "s10-vxlan-multicast.yaml").read_text()
_names = itertools.count()

ADDRESSES = ["10.0.111.20/24", "10.0.111.21/24", "10.0.222.30/24", "192.168.0.10/24", "192.168.0.99/24", ""]
HOSTS = ["jailhost-a", "jailhost-b", "gateway", "newhost", "other"]


def _pick(data: st.DataObject, items: list[Any]) -> Any:
    return data.draw(st.sampled_from(items)) if items else None


def _edit(client: APIClient, data: st.DataObject, design: m.Design) -> None:
    """One edit through the API (refused edits change nothing)."""
    hosts = list(m.Host.objects.filter(design=design).order_by("pk"))
    host = _pick(data, hosts)
    what = data.draw(
        st.sampled_from(
            [
                "host-add",
                "host-change",
                "host-rename",
                "host-delete",
                "interface",
                "switch",
                "jail-add",
                "nic-address",
                "nic-move",
                "jail-delete",
                "segment",
                "member",
                "nat",
                "firewall-rule",
                "route",
                "design",
            ]
        )
    )
    if what == "host-add" or host is None:
        client.post("/api/hosts/", {"design": design.pk, "name": _pick(data, HOSTS)}, format="json")
    elif what == "host-change":
        client.patch(
            f"/api/hosts/{host.pk}/",
            {
                "default_router": _pick(data, ["", "192.168.0.1", "10.9.9.9"]),
                "gateway_enable": data.draw(st.booleans()),
            },
            format="json",
        )
    elif what == "host-rename":
        client.patch(f"/api/hosts/{host.pk}/", {"name": _pick(data, HOSTS)}, format="json")
    elif what == "host-delete":
        client.delete(f"/api/hosts/{host.pk}/")
    elif what == "interface":
        interface = _pick(data, list(m.Interface.objects.filter(host=host)))
        if interface is None or data.draw(st.booleans()):
            client.post(
                "/api/interfaces/",
                {"host": host.pk, "name": _pick(data, ["em1", "igb1", "lo1"]), "address": _pick(data, ADDRESSES)},
                format="json",
            )
        else:
            client.patch(f"/api/interfaces/{interface.pk}/", {"address": _pick(data, ADDRESSES)}, format="json")
    elif what == "switch":
        switch = _pick(data, list(m.Switch.objects.filter(host=host)))
        if switch is None or data.draw(st.booleans()):
            client.post(
                "/api/switches/",
                {"host": host.pk, "name": _pick(data, ["switch9", "public"]), "address": _pick(data, ADDRESSES)},
                format="json",
            )
        elif data.draw(st.booleans()):
            client.patch(f"/api/switches/{switch.pk}/", {"name": _pick(data, ["switch9", "sw-x"])}, format="json")
        else:
            client.delete(f"/api/switches/{switch.pk}/")
    elif what == "jail-add":
        switch = _pick(data, list(m.Switch.objects.filter(host=host)))
        answer = client.post(
            "/api/jails/", {"host": host.pk, "name": _pick(data, ["www", "db"]), "type": "vnet"}, format="json"
        )
        if answer.status_code == 201 and switch is not None:
            client.post(
                "/api/jail-nics/",
                {"jail": answer.json()["id"], "switch": switch.pk, "address": _pick(data, ADDRESSES)},
                format="json",
            )
    elif what in ("nic-address", "nic-move"):
        nic = _pick(data, list(m.JailNic.objects.filter(jail__host__design=design).order_by("pk")))
        if nic is None:
            return
        if what == "nic-address":
            client.patch(f"/api/jail-nics/{nic.pk}/", {"address": _pick(data, ADDRESSES)}, format="json")
            return
        jail = _pick(data, list(m.Jail.objects.filter(host__design=design, type="vnet").order_by("pk")))
        switch = _pick(data, list(m.Switch.objects.filter(host=jail.host))) if jail else None
        if jail is not None and switch is not None:
            client.patch(f"/api/jail-nics/{nic.pk}/", {"jail": jail.pk, "switch": switch.pk}, format="json")
    elif what == "jail-delete":
        jail = _pick(data, list(m.Jail.objects.filter(host__design=design).order_by("pk")))
        if jail is not None:
            client.delete(f"/api/jails/{jail.pk}/")
    elif what == "segment":
        segment = _pick(data, list(m.VxlanSegment.objects.filter(design=design).order_by("pk")))
        if segment is None or data.draw(st.booleans()):
            client.post(
                "/api/vxlan-segments/",
                {"design": design.pk, "name": _pick(data, ["vx9", "vx10"]), "vni": _pick(data, [111, 999, 1000])},
                format="json",
            )
        elif data.draw(st.integers(0, 4)) == 0:
            client.delete(f"/api/vxlan-segments/{segment.pk}/")
        else:
            change = {"vni": _pick(data, [111, 222, 999]), "multicast_group": _pick(data, ["239.1.1.1", "239.9.9.9"])}
            if data.draw(st.booleans()):
                change["name"] = _pick(data, ["vx9", "aa-first", "zz-last"])  # a rename moves it in the name order
            client.patch(f"/api/vxlan-segments/{segment.pk}/", change, format="json")
    elif what == "member":
        member = _pick(data, list(m.VxlanMember.objects.filter(segment__design=design).order_by("pk")))
        segment = _pick(data, list(m.VxlanSegment.objects.filter(design=design).order_by("pk")))
        underlay = _pick(data, list(m.Interface.objects.filter(host=host)))
        if member is not None and segment is not None and data.draw(st.booleans()):
            client.patch(f"/api/vxlan-members/{member.pk}/", {"segment": segment.pk}, format="json")  # moved
        elif member is not None and data.draw(st.booleans()):
            client.delete(f"/api/vxlan-members/{member.pk}/")
        elif segment is not None and underlay is not None:
            client.post(
                "/api/vxlan-members/",
                {
                    "segment": segment.pk,
                    "host": host.pk,
                    "interface_name": _pick(data, ["vxlan9", "vxlan111"]),
                    "underlay_interface": underlay.pk,
                    "address": _pick(data, ADDRESSES),
                },
                format="json",
            )
    elif what == "nat":
        client.post(
            "/api/nat-rules/",
            {"host": host.pk, "interface": "em0", "source": _pick(data, ["10.0.111.0/24", "10.77.0.0/16"])},
            format="json",
        )
    elif what == "firewall-rule":
        policy = m.FirewallPolicy.objects.filter(host=host).first()
        if policy is None:
            answer = client.post("/api/firewall-policies/", {"host": host.pk, "engine": "pf"}, format="json")
            policy_id = answer.json().get("id") if answer.status_code == 201 else None
        else:
            policy_id = policy.pk
        if policy_id is not None:
            client.post(
                "/api/firewall-rules/",
                {"policy": policy_id, "action": _pick(data, ["pass", "block"]), "protocol": "tcp", "port": 22},
                format="json",
            )
    elif what == "route":
        client.post(
            "/api/static-routes/",
            {
                "host": host.pk,
                "name": _pick(data, ["r1", "r2"]),
                "destination": "10.9.0.0/16",
                "gateway": "192.168.0.1",
            },
            format="json",
        )
    else:
        design.refresh_from_db()
        client.patch(
            f"/api/designs/{design.pk}/",
            {"underlay_mtu": _pick(data, [1500, 9000]), "version": design.version},
            format="json",
        )


def _check(client: APIClient, design: m.Design) -> None:
    design.refresh_from_db()
    full = design_snapshot(design=design)
    live = design_live_snapshot(design=design)
    assert live == full
    assert design_live_validation(design=design).as_dict() == validate(full).as_dict()
    for host in full.hosts:
        assert _rendered(live, host.name) == _rendered(full, host.name)


def _rendered(snapshot: s.DesignSnapshot, host: str) -> Any:
    """The host's configuration, or the renderer's refusal (a value JN117 reports)."""
    try:
        return render_host(snapshot, host)
    except UnsafeValueError as exc:
        return f"refused: {exc}"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_live_design_equals_a_full_read_after_every_edit(make_user, data: st.DataObject) -> None:
    client = APIClient()
    client.force_authenticate(make_user(f"designer{next(_names)}", "designer"))
    document = EXAMPLE.replace("name: s10-vxlan-multicast", f"name: live-{next(_names)}", 1)
    design, _ = design_import_document(document_text=document)
    _check(client, design)
    for _ in range(data.draw(st.integers(1, 8))):
        _edit(client, data, design)
        _check(client, design)
    answer = client.get(f"/api/designs/{design.pk}/validation/")
    assert answer.status_code == 200
    assert answer.json() == validate(design_snapshot(design=design)).as_dict()


def test_an_edit_reads_only_the_edited_host(make_user, django_assert_max_num_queries) -> None:
    client = APIClient()
    client.force_authenticate(make_user("designer-q", "designer"))
    document = EXAMPLE.replace("name: s10-vxlan-multicast", "name: live-queries", 1)
    design, _ = design_import_document(document_text=document)
    design_live_validation(design=design)
    nic = m.JailNic.objects.filter(jail__host__design=design).first()
    assert nic is not None
    assert client.patch(f"/api/jail-nics/{nic.pk}/", {"address": "10.0.111.77/24"}, format="json").status_code == 200
    # The audit entries since the last look, and the jail NICs of the NIC's host.
    with django_assert_max_num_queries(2):
        report = design_live_validation(design=design)
    assert report.as_dict() == validate(design_snapshot(design=design)).as_dict()
    # Deleting a jail (and its NIC by cascade) reads its host again, not the design.
    reads = _full_reads(design)
    jail = m.Jail.objects.filter(host__design=design, type="vnet").first()
    assert jail is not None
    assert client.delete(f"/api/jails/{jail.pk}/").status_code == 204
    assert design_live_snapshot(design=design) == design_snapshot(design=design)
    assert _full_reads(design) == reads
    # A change of the design's own fields reads it whole.
    design.refresh_from_db()
    assert client.patch(f"/api/designs/{design.pk}/", {"underlay_mtu": 9000}, format="json").status_code == 200
    assert design_live_snapshot(design=design).underlay_mtu == 9000
    assert _full_reads(design) == reads + 1


def _full_reads(design: m.Design) -> int:
    from topology.services.live_design import _designs

    return _designs[design.pk].full_reads


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_live_design_reads_one_moment(make_user) -> None:
    """Outside a transaction (as in a request) the reads run in one REPEATABLE READ transaction."""
    client = APIClient()
    client.force_authenticate(make_user("designer-t", "designer"))
    document = EXAMPLE.replace("name: s10-vxlan-multicast", "name: live-moment", 1)
    design, _ = design_import_document(document_text=document)
    assert design_live_validation(design=design).as_dict() == validate(design_snapshot(design=design)).as_dict()
    nic = m.JailNic.objects.filter(jail__host__design=design).first()
    assert nic is not None
    assert client.patch(f"/api/jail-nics/{nic.pk}/", {"address": "10.0.111.78/24"}, format="json").status_code == 200
    assert design_live_snapshot(design=design) == design_snapshot(design=design)
    answer = client.get(f"/api/designs/{design.pk}/validation/")
    assert answer.json() == validate(design_snapshot(design=design)).as_dict()


def test_a_nic_moved_to_a_jail_on_another_host_leaves_its_old_host(make_user) -> None:
    client = APIClient()
    client.force_authenticate(make_user("designer-m", "designer"))
    document = EXAMPLE.replace("name: s10-vxlan-multicast", "name: live-move", 1)
    design, _ = design_import_document(document_text=document)
    design_live_validation(design=design)
    nic = m.JailNic.objects.filter(jail__host__design=design).select_related("jail__host").first()
    assert nic is not None
    jail = m.Jail.objects.filter(host__design=design, type="vnet").exclude(host=nic.jail.host).first()
    assert jail is not None
    switch = m.Switch.objects.filter(host=jail.host).first()
    assert switch is not None
    answer = client.patch(
        f"/api/jail-nics/{nic.pk}/", {"jail": jail.pk, "switch": switch.pk, "name": "vnet7"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert design_live_snapshot(design=design) == design_snapshot(design=design)
    assert design_live_validation(design=design).as_dict() == validate(design_snapshot(design=design)).as_dict()
