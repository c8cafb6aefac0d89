"""On PostgreSQL, refuse UPDATE and DELETE of audit entries in the database itself.

TRUNCATE stays possible for the table owner (test databases are flushed that way).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION jailnet_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS jailnet_audit_append_only ON topology_auditentry;
CREATE TRIGGER jailnet_audit_append_only BEFORE UPDATE OR DELETE ON topology_auditentry
    FOR EACH ROW EXECUTE FUNCTION jailnet_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS jailnet_audit_append_only ON topology_auditentry;
DROP FUNCTION IF EXISTS jailnet_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("topology", "0003_audit_and_change_requests")]

    operations = [migrations.RunPython(forwards, backwards)]
