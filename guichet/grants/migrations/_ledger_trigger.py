"""The SQLite trigger of 0002, for migrations that make SQLite rebuild the ledger's table."""

SQLITE = """
CREATE TRIGGER grants_ledger_no_update BEFORE UPDATE ON grants_ledgerentry
BEGIN
    SELECT RAISE(ABORT, 'grants_ledgerentry is append-only: write a new line');
END;
"""


def recreate_on_sqlite(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS grants_ledger_no_update")
        schema_editor.execute(SQLITE)
