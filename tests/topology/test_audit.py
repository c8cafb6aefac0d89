"""The audit history: every change is recorded with who, when, from where, before and after."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from core.audit import change_context
from core.models import AuditEntry
from inventory.models import Credential
from topology.models import Design, JailNic
from topology.services.designs import design_import_document

DOC = """\
format: jailnet-design/1
name: audited
hosts:
  - name: jailhost
    tools: [iocage, vm-bhyve]
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
"""

pytestmark = pytest.mark.django_db


def test_import_records_each_created_object_with_the_user_and_source(make_user):
    alice = make_user("alice", "designer")
    design, _ = design_import_document(document_text=DOC, user=alice)
    entries = AuditEntry.objects.filter(design_id=design.pk)
    kinds = sorted(e.object_type.model for e in entries)
    assert kinds == ["design", "host", "interface", "jail", "jailnic", "switch"]
    assert {(e.action, e.source, e.user_name) for e in entries} == {("create", "import", "alice")}
    assert len({e.request_id for e in entries}) == 1  # one import, one request id
    nic = entries.get(object_type__model="jailnic")
    assert (nic.after or {})["address"] == "10.1.1.2/24"
    assert nic.before is None


def test_reimporting_the_same_document_records_nothing_and_a_change_records_before_and_after(make_user):
    bob = make_user("bob", "designer")
    design_import_document(document_text=DOC, user=bob)
    count = AuditEntry.objects.count()
    design_import_document(document_text=DOC, user=bob)
    assert AuditEntry.objects.count() == count

    design_import_document(document_text=DOC.replace("10.1.1.2/24", "10.1.1.5/24"), user=bob)
    update = AuditEntry.objects.get(action="update")
    assert update.object_id == JailNic.objects.get().pk
    assert (update.before or {})["address"] == "10.1.1.2/24"
    assert (update.after or {})["address"] == "10.1.1.5/24"
    assert (update.after or {})["version"] == 2


def test_objects_removed_by_an_import_are_recorded_as_deleted(make_user):
    design_import_document(document_text=DOC)
    design_import_document(document_text=DOC.split("    jails:")[0])
    deleted = {e.object_type.model for e in AuditEntry.objects.filter(action="delete")}
    assert deleted == {"jail", "jailnic"}
    jail = AuditEntry.objects.get(action="delete", object_type__model="jail")
    assert (jail.before or {})["name"] == "vnetcage"
    assert jail.design_name == "audited"


def test_management_command_records_the_named_user(make_user, tmp_path):
    make_user("carol", "designer")
    path = tmp_path / "d.yaml"
    path.write_text(DOC)
    call_command("design", "--user", "carol", "import", str(path))
    design = AuditEntry.objects.get(object_type__model="design")
    assert design.user_name == "carol"
    assert design.source == "import"  # the import inside a command is an import, by carol


def test_plain_model_saves_are_recorded_in_the_current_context(make_user):
    dave = make_user("dave", "admin")
    with change_context(source="task", user=dave):
        d = Design.objects.create(name="by-task")
        d.description = "changed"
        d.save()
        pk = d.pk
        d.delete()
    actions = list(
        AuditEntry.objects.filter(object_type__model="design", object_id=pk)
        .order_by("id")
        .values_list("action", "source", "user_name")
    )
    assert [a for a, _, _ in actions] == ["create", "update", "delete"]
    assert {(s, u) for _, s, u in actions} == {("task", "dave")}


def test_secrets_are_redacted_in_audit_entries():
    cred = Credential(name="lab-key", username="root")
    cred.set_secret("-----BEGIN OPENSSH PRIVATE KEY----- super secret")
    cred.save()
    entry = AuditEntry.objects.get(object_type__model="credential")
    assert (entry.after or {})["encrypted_secret"] == "********"
    assert "super secret" not in str(entry.after)
    assert bytes(cred.encrypted_secret) not in str(entry.after).encode()


def test_audit_entries_cannot_be_changed_or_deleted():
    Design.objects.create(name="x")
    entry = AuditEntry.objects.get()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_database_refuses_update_and_delete_of_audit_entries():
    Design.objects.create(name="y")
    for sql in ("UPDATE topology_auditentry SET user_name = 'mallory'", "DELETE FROM topology_auditentry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.get().user_name == ""


def test_entries_name_the_host_an_object_belongs_to_for_per_host_history():
    design_import_document(document_text=DOC)
    nic = AuditEntry.objects.get(object_type__model="jailnic")
    assert (nic.host_name, nic.design_name) == ("jailhost", "audited")
    jail = JailNic.objects.get().jail
    jail.boot = True
    jail.save()
    assert AuditEntry.objects.get(action="update").host_name == "jailhost"


def test_admin_shows_history_but_cannot_change_it(make_user, client):
    admin_user = make_user("root-admin", "admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    Design.objects.create(name="seen")
    client.force_login(admin_user)
    listing = client.get("/admin/core/auditentry/")
    assert listing.status_code == 200
    assert b"seen" in listing.content
    entry = AuditEntry.objects.filter(object_type__model="design").latest("time", "id")
    assert client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
