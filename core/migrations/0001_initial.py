"""The audit history moves from topology to core, without touching the database.

The table ``topology_auditentry`` (with its data, indexes and, on PostgreSQL, its append-only trigger) is
created by topology's migrations 0003 and 0004 and stays where it is: this migration only hands the model
over in Django's state (``topology.0007`` lets go of it), and renames the admin's content type so the
permissions granted on audit entries follow the model.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def rename_content_type(apps, schema_editor):
    """topology.auditentry -> core.auditentry (absent on a new database: contenttypes creates it later)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="core", model="auditentry").exists():
        ContentType.objects.filter(app_label="topology", model="auditentry").update(app_label="core")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="topology", model="auditentry").exists():
        ContentType.objects.filter(app_label="core", model="auditentry").update(app_label="topology")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The table and its trigger exist from here on.
        ("topology", "0004_audit_append_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("time", models.DateTimeField(db_index=True)),
                        ("user_name", models.CharField(blank=True, max_length=150)),
                        ("request_id", models.UUIDField(blank=True, db_index=True, null=True)),
                        ("source", models.CharField(choices=[("api", "API or web app"), ("admin", "Django admin"), ("import", "Design import"), ("task", "Background task"), ("command", "Management command"), ("shell", "Other (shell, script)")], max_length=16)),
                        ("action", models.CharField(choices=[("create", "Created"), ("update", "Updated"), ("delete", "Deleted")], max_length=8)),
                        ("object_id", models.BigIntegerField()),
                        ("object_repr", models.CharField(max_length=200)),
                        ("design_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ("design_name", models.CharField(blank=True, max_length=100)),
                        ("host_name", models.CharField(blank=True, db_index=True, max_length=63)),
                        ("before", models.JSONField(blank=True, null=True)),
                        ("after", models.JSONField(blank=True, null=True)),
                        ("object_type", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="contenttypes.contenttype")),
                        ("user", models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name_plural": "audit entries",
                        "db_table": "topology_auditentry",
                        "ordering": ["-time", "-id"],
                        "indexes": [models.Index(fields=["object_type", "object_id", "-time"], name="audit_object_idx"), models.Index(fields=["user", "-time"], name="audit_user_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, restore_content_type),
    ]
