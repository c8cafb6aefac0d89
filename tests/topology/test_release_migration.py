"""Migration 0008: existing designs keep their releases when hosts and jails start inheriting them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("topology", "0011_merge_20261129_1840")]
AFTER = [("topology", "0012_design_default_release")]


def _migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets[0]).apps


@pytest.mark.django_db(transaction=True)
def test_existing_releases_become_inherited_without_changing_what_hosts_run():
    apps = _migrate(BEFORE)
    Design, Host, Jail = (apps.get_model("topology", n) for n in ("Design", "Host", "Jail"))
    d = Design.objects.create(name="old")
    a = Host.objects.create(design=d, name="a", release="12.1-RELEASE")
    Host.objects.create(design=d, name="b", release="12.1-RELEASE")
    c = Host.objects.create(design=d, name="c", release="13.2-RELEASE")
    Jail.objects.create(host=a, name="same", release="12.1-RELEASE")
    Jail.objects.create(host=a, name="older", release="11.4-RELEASE")
    Jail.objects.create(host=c, name="onc", release="13.2-RELEASE")
    empty = Design.objects.create(name="empty")

    apps = _migrate(AFTER)
    Design, Host, Jail = (apps.get_model("topology", n) for n in ("Design", "Host", "Jail"))
    assert Design.objects.get(name="old").default_release == "12.1-RELEASE"
    assert Design.objects.get(pk=empty.pk).default_release == "15.1-RELEASE"
    assert dict(Host.objects.filter(design__name="old").values_list("name", "release")) == {
        "a": "",
        "b": "",
        "c": "13.2-RELEASE",
    }
    assert dict(Jail.objects.values_list("name", "release")) == {"same": "", "older": "11.4-RELEASE", "onc": ""}

    # And back: every release spelled out again.
    apps = _migrate(BEFORE)
    Host, Jail = (apps.get_model("topology", n) for n in ("Host", "Jail"))
    assert set(Host.objects.values_list("release", flat=True)) == {"12.1-RELEASE", "13.2-RELEASE"}
    assert dict(Jail.objects.values_list("name", "release")) == {
        "same": "12.1-RELEASE",
        "older": "11.4-RELEASE",
        "onc": "13.2-RELEASE",
    }
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
