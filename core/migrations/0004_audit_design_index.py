"""A design's audit entries are found by (design_id, id): the live design reads the entries after the last
one it saw on every request after an edit; an index on design_id alone made PostgreSQL read all of the
design's entries to keep the few newer ones."""

from django.db import migrations, models

# The index Django made for design_id's db_index (the same name on every backend).
OLD_INDEX = "topology_auditentry_design_id_99259d14"


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_audit_hash_chain"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["design_id", "id"], name="audit_design_idx"),
        ),
        # The new index serves every lookup by design_id alone as well, so that one goes. Dropped by name, not
        # by AlterField: on SQLite that remakes the table, and the append-only triggers with it.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="design_id",
                    field=models.BigIntegerField(blank=True, null=True),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {OLD_INDEX}",
                    reverse_sql=f"CREATE INDEX {OLD_INDEX} ON topology_auditentry (design_id)",
                ),
            ],
        ),
    ]
