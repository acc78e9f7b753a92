"""The database refuses to change a ledger line (and, on PostgreSQL, to delete one).

On SQLite the test runner empties tables with DELETE (a flush), so only UPDATE is refused there;
the model refuses ``delete()`` on both, and the envelope's PROTECT keeps lines from cascading.
"""

from django.db import migrations

from guichet.grants.migrations import _ledger_trigger

PG_FORWARD = """
CREATE OR REPLACE FUNCTION grants_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'grants_ledgerentry is append-only: write a new line';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER grants_ledger_no_update BEFORE UPDATE OR DELETE ON grants_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION grants_ledger_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS grants_ledger_no_update ON grants_ledgerentry;
DROP FUNCTION IF EXISTS grants_ledger_append_only();
"""
SQLITE_FORWARD = _ledger_trigger.SQLITE
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS grants_ledger_no_update;"


def forward(apps, schema_editor):
    sql = PG_FORWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    schema_editor.execute(sql)


def backward(apps, schema_editor):
    sql = PG_BACKWARD if schema_editor.connection.vendor == "postgresql" else SQLITE_BACKWARD
    for statement in filter(None, (s.strip() for s in sql.split(";"))):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("grants", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
