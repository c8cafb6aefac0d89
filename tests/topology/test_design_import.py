"""Importing design documents into the database: idempotent, in place, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from topology import models as m
from topology.design_io import document_from_snapshot, dump_document
from topology.selectors import design_snapshot
from topology.services.designs import design_delete, design_import_document

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


def export(design: m.Design) -> str:
    return dump_document(document_from_snapshot(design_snapshot(design=design)))


@pytest.mark.django_db
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_import_is_idempotent_and_export_round_trips(path: Path):
    design, changed = design_import_document(document_text=path.read_text())
    assert changed
    versions = dict(m.Jail.objects.values_list("id", "version"))
    first = export(design)

    design, changed = design_import_document(document_text=path.read_text())
    assert not changed
    assert dict(m.Jail.objects.values_list("id", "version")) == versions

    design, changed = design_import_document(document_text=first)
    assert not changed
    assert export(design) == first


def test_there_is_an_example_per_article_scenario():
    assert len(EXAMPLES) >= 11


S = """\
format: jailnet-design/1
name: small
hosts:
  - name: jailhost
    tools: [iocage, vm-bhyve, dnsmasq]
    interfaces:
      - name: em0
        address: 192.168.0.2/24
    switches:
      - name: services
        kind: vm-switch
        address: 10.1.1.1/24
    jails:
      - name: vnetcage
        type: vnet
        default_router: 10.1.1.1
        nics:
          - name: vnet0
            switch: services
            address: 10.1.1.2/24
    dhcp:
      - switch: services
        range_start: 10.1.1.10
        range_end: 10.1.1.20
"""


@pytest.mark.django_db
def test_modified_document_updates_objects_in_place():
    design_import_document(document_text=S)
    nic = m.JailNic.objects.get()
    _, changed = design_import_document(document_text=S.replace("10.1.1.2/24", "10.1.1.3/24"))
    assert changed
    nic_after = m.JailNic.objects.get()
    assert nic_after.pk == nic.pk
    assert nic_after.address == "10.1.1.3/24"
    assert nic_after.version == nic.version + 1
    assert m.Switch.objects.get().version == 1  # untouched objects keep their version


@pytest.mark.django_db
def test_objects_left_out_of_the_document_are_deleted():
    design_import_document(document_text=S)
    without_dhcp = S.split("    dhcp:")[0]
    design_import_document(document_text=without_dhcp)
    assert not m.DhcpService.objects.exists()
    assert m.Switch.objects.count() == 1


@pytest.mark.django_db
def test_dangling_reference_is_refused_and_nothing_is_saved():
    with pytest.raises(ValidationError) as info:
        design_import_document(
            document_text=S.replace("switch: services\n            address", "switch: nowhere\n            address")
        )
    assert info.value.message_dict == {
        "hosts[jailhost].jails[vnetcage].nics[vnet0].switch": ["no switch 'nowhere' on host 'jailhost'"]
    }
    assert not m.Design.objects.exists()
    assert not m.Host.objects.exists()


@pytest.mark.django_db
def test_bad_field_values_are_reported_with_their_document_path():
    with pytest.raises(ValidationError) as info:
        design_import_document(document_text=S.replace("10.1.1.2/24", "10.1.1.300/24"))
    assert "hosts[jailhost].jails[vnetcage].nics[vnet0].address" in info.value.message_dict
    assert not m.Design.objects.exists()


@pytest.mark.django_db
def test_duplicate_jail_names_are_refused():
    dup = S.replace(
        "    dhcp:",
        "      - name: vnetcage\n        type: vnet\n        nics:\n"
        "          - name: vnet0\n            switch: services\n    dhcp:",
    )
    with pytest.raises(ValidationError) as info:
        design_import_document(document_text=dup)
    assert "vnetcage" in str(info.value)
    assert not m.Jail.objects.exists()


@pytest.mark.django_db
def test_design_delete_removes_everything():
    design, _ = design_import_document(document_text=S)
    design_delete(design=design)
    assert not m.Host.objects.exists() and not m.Switch.objects.exists() and not m.JailNic.objects.exists()


@pytest.mark.django_db
def test_snapshot_query_count_does_not_grow_with_the_design(django_assert_max_num_queries):
    design, _ = design_import_document(document_text=S)
    with django_assert_max_num_queries(20):
        design_snapshot(design=design)
    bigger = S.replace(
        "  - name: jailhost\n", "  - name: jailhost2\n    interfaces:\n      - name: em0\n  - name: jailhost\n"
    )
    design, _ = design_import_document(document_text=bigger)
    with django_assert_max_num_queries(20):
        snap = design_snapshot(design=design)
    assert [h.name for h in snap.hosts] == ["jailhost", "jailhost2"]


@pytest.mark.django_db
def test_management_command_import_export_round_trip(tmp_path, capsys):
    src = tmp_path / "small.yaml"
    src.write_text(S)
    call_command("design", "import", str(src))
    assert "design 'small' imported" in capsys.readouterr().out
    call_command("design", "import", str(src))
    assert "design 'small' unchanged" in capsys.readouterr().out
    out = tmp_path / "out.yaml"
    call_command("design", "export", "small", "--out", str(out))
    call_command("design", "import", str(out))
    assert "unchanged" in capsys.readouterr().out


@pytest.mark.django_db
def test_management_command_import_records_the_user_given_after_the_action(tmp_path, capsys):
    from django.contrib.auth.models import User

    from core.models import AuditEntry

    User.objects.create_user(username="alice")
    src = tmp_path / "small.yaml"
    src.write_text(S)
    call_command("design", "import", "--user", "alice", str(src))
    entries = AuditEntry.objects.filter(design_name="small")
    assert entries.exists()
    assert set(entries.values_list("user_name", flat=True)) == {"alice"}
    with pytest.raises(Exception, match="no user named 'bob'"):
        call_command("design", "import", "--user", "bob", str(src))


@pytest.mark.django_db
def test_layout_section_keeps_node_positions_through_export_and_import():
    from topology.layout import design_layout, document_with_layout

    design, _ = design_import_document(document_text=S)
    host = m.Host.objects.get(design=design)
    host.position_x, host.position_y = 40.0, 80.5
    host.save()
    switch = m.Switch.objects.filter(host=host).first()
    if switch is not None:
        switch.position_x, switch.position_y = 12.0, 34.0
        switch.save()
    text = dump_document(document_with_layout(design=design))
    assert "layout:" in text
    copy_text = text.replace(f"name: {design.name}", "name: layout-copy", 1)
    copy, changed = design_import_document(document_text=copy_text)
    assert changed
    assert design_layout(design=copy) == design_layout(design=design)
    assert design_layout(design=copy)["hosts"] == {host.name: [40.0, 80.5]}
    # Moving nodes is not a content change; a bad layout is reported like any document error.
    moved = copy_text.replace("- 40.0", "- 400.0", 1)
    assert design_import_document(document_text=moved) == (copy, False)
    assert m.Host.objects.get(design=copy).position_x == 400.0
    with pytest.raises(ValidationError, match="expected"):
        design_import_document(document_text=copy_text + "\n  vms: {x/y: [1]}\n")


@pytest.mark.django_db
def test_a_design_without_positions_exports_no_layout():
    from topology.layout import document_with_layout

    design, _ = design_import_document(document_text=S)
    assert "layout" not in document_with_layout(design=design)


@pytest.mark.django_db
def test_keep_existing_leaves_a_changed_example_as_its_users_left_it(capsys):
    # `make run` imports the examples on every start: a second start once reverted an approved, deployed change
    # (smoke test finding). With --keep-existing an existing design is left alone; a missing one is imported.
    s06, s10 = (p for p in EXAMPLES if p.stem.startswith(("s06", "s10")))
    design, _ = design_import_document(document_text=s06.read_text())
    m.Design.objects.filter(pk=design.pk).update(description="changed by a user")
    call_command("design", "import", "--keep-existing", str(s06), str(s10))
    out = capsys.readouterr().out
    assert "design 's06-vnet-iocage' exists, kept as it is" in out
    assert "design 's10-vxlan-multicast' imported" in out
    assert m.Design.objects.get(pk=design.pk).description == "changed by a user"
    call_command("design", "import", str(s06))  # without it, the file wins (idempotent design as code)
    assert m.Design.objects.get(pk=design.pk).description != "changed by a user"
