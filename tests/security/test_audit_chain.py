"""The audit history is append-only in the database on both engines and tamper-evident as a hash chain."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, close_old_connections, connection, transaction

from core.audit import change_context
from core.audit_chain import GENESIS, verify_chain
from core.models import AuditChainHead, AuditEntry
from topology.models import Design, Host
from topology.services.designs import design_import_document

from ..topology.changes.test_change_requests import DOC

pytestmark = pytest.mark.django_db


def _three_entries() -> list[int]:
    for name in ("a", "b", "c"):
        Design.objects.create(name=name)
    return list(AuditEntry.objects.order_by("id").values_list("id", flat=True))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE topology_auditentry SET user_name = 'mallory'",
        "DELETE FROM topology_auditentry",
    ],
)
def test_database_refuses_raw_update_and_delete(sql):
    _three_entries()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEntry.objects.count() == 3


def test_queryset_update_and_delete_are_refused():
    _three_entries()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.update(user_name="mallory")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(action="create")._raw_delete(connection.alias)
    assert AuditEntry.objects.exclude(user_name="mallory").count() == 3


def test_truncate_is_refused_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (its DELETE is refused above)")
    _three_entries()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on the table
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE topology_auditentry CASCADE")
    assert AuditEntry.objects.count() == 3


def test_each_entry_links_to_the_one_before_and_the_chain_verifies(capsys):
    with change_context(source="api"):
        design_import_document(document_text=DOC)  # bulk entries
    host = Host.objects.get()
    host.default_router = "192.168.0.254"
    host.save()  # a single entry
    entries = list(AuditEntry.objects.order_by("id"))
    assert len(entries) > 5
    assert entries[0].previous_hash == GENESIS
    for before, entry in itertools.pairwise(entries):
        assert entry.previous_hash == before.entry_hash and len(entry.entry_hash) == 64
    head = AuditChainHead.objects.get()
    assert (head.last_hash, head.length) == (entries[-1].entry_hash, len(entries))
    assert verify_chain().intact
    call_command("audit", "verify")
    assert f"intact: {len(entries)} entries" in capsys.readouterr().out


def _without_triggers(*statements: str) -> None:
    """Tamper as the database's owner would: drop the triggers, change rows (rolled back with the test)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on the table
            cursor.execute("ALTER TABLE topology_auditentry DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER jailnet_audit_no_update")
            cursor.execute("DROP TRIGGER jailnet_audit_no_delete")
        for sql in statements:
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE topology_auditentry ENABLE TRIGGER USER")


def test_verify_reports_a_changed_entry():
    ids = _three_entries()
    _without_triggers(f"UPDATE topology_auditentry SET user_name = 'mallory' WHERE id = {ids[1]}")
    report = verify_chain()
    assert (report.broken_entry_id, report.checked) == (ids[1], 1)
    assert "changed" in report.reason
    with pytest.raises(CommandError, match=f"broken at entry {ids[1]}"):
        call_command("audit", "verify")


def test_verify_reports_a_removed_entry_at_the_next_link():
    ids = _three_entries()
    _without_triggers(f"DELETE FROM topology_auditentry WHERE id = {ids[1]}")
    report = verify_chain()
    assert report.broken_entry_id == ids[2]
    assert "does not link" in report.reason


def test_verify_reports_entries_removed_at_the_end():
    ids = _three_entries()
    _without_triggers(f"DELETE FROM topology_auditentry WHERE id = {ids[2]}")
    report = verify_chain()
    assert not report.intact and "head records 3" in report.reason


def test_verify_reports_a_rehashed_entry_that_no_longer_links():
    """Changing an entry and recomputing its own hash still breaks the next link."""
    ids = _three_entries()
    _without_triggers(
        f"UPDATE topology_auditentry SET user_name = 'mallory', entry_hash = '{'f' * 64}' WHERE id = {ids[1]}"
    )
    report = verify_chain()
    assert report.broken_entry_id == ids[1]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers as a whole; the race needs row locks (DATABASE_URL)")
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def write(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            for j in range(5):
                with transaction.atomic():
                    Design.objects.create(name=f"race-{i}-{j}")
        except BaseException as exc:  # the test reports it
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    report = verify_chain()
    assert report.intact and report.checked == 20, report
