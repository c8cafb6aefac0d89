"""The audit model moved from topology to core without touching its table: old entries stay readable."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.models import AuditEntry

PREVIOUS_SCHEMA = ("topology", "0006_restrict_references")
BEFORE_MOVE: list[tuple[str, str | None]] = [PREVIOUS_SCHEMA, ("core", None)]


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_entries_written_before_the_move_are_core_entries_after_it():
    executor = _migrate(BEFORE_MOVE)
    old_apps = executor.loader.project_state(PREVIOUS_SCHEMA).apps
    OldEntry = old_apps.get_model("topology", "AuditEntry")
    OldContentType = old_apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="core", model="auditentry").delete()
    old_type, _ = OldContentType.objects.get_or_create(app_label="topology", model="auditentry")
    design_type, _ = OldContentType.objects.get_or_create(app_label="topology", model="design")
    OldEntry.objects.create(
        time=timezone.now(), source="shell", action="create", object_type=design_type, object_id=7,
        object_repr="before the move", design_id=7, design_name="old",
    )  # fmt: skip

    executor = _migrate(executor.loader.graph.leaf_nodes())

    ContentType.objects.clear_cache()
    entry = AuditEntry.objects.get(object_repr="before the move")
    assert (entry.design_id, entry.design_name, entry.object_type.model) == (7, "old", "design")
    # The admin's content type (and the permissions on it) moved with the model.
    assert ContentType.objects.get_for_model(AuditEntry).pk == old_type.pk
    assert not ContentType.objects.filter(app_label="topology", model="auditentry").exists()
    assert executor.loader.detect_conflicts() == {}
