# The reviewers' list counts its tabs from StateCount on PostgreSQL (guichet.review.counts):
# triggers on dossiers_dossier write +1 / -1 there, in the transaction of each change. The
# existing dossiers are counted once here, after the triggers exist (CREATE TRIGGER holds
# writers back until this migration commits). Other databases (SQLite) get the table but no
# trigger, and the list counts its dossiers there.

from django.db import migrations, models

POSTGRESQL = [
    """
    CREATE FUNCTION review_statecount_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.submitted_at IS NOT NULL THEN
            INSERT INTO review_statecount (call_id, arrondissement_code, state, n, compacted)
            VALUES (OLD.call_id, OLD.arrondissement_code, OLD.state, -1, false);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.submitted_at IS NOT NULL THEN
            INSERT INTO review_statecount (call_id, arrondissement_code, state, n, compacted)
            VALUES (NEW.call_id, NEW.arrondissement_code, NEW.state, 1, false);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER review_statecount_insert AFTER INSERT ON dossiers_dossier
    FOR EACH ROW WHEN (NEW.submitted_at IS NOT NULL)
    EXECUTE FUNCTION review_statecount_track()
    """,
    """
    CREATE TRIGGER review_statecount_delete AFTER DELETE ON dossiers_dossier
    FOR EACH ROW WHEN (OLD.submitted_at IS NOT NULL)
    EXECUTE FUNCTION review_statecount_track()
    """,
    """
    CREATE TRIGGER review_statecount_update AFTER UPDATE ON dossiers_dossier
    FOR EACH ROW WHEN (
        (OLD.submitted_at IS NULL) IS DISTINCT FROM (NEW.submitted_at IS NULL)
        OR (NEW.submitted_at IS NOT NULL AND (
            OLD.state IS DISTINCT FROM NEW.state
            OR OLD.call_id IS DISTINCT FROM NEW.call_id
            OR OLD.arrondissement_code IS DISTINCT FROM NEW.arrondissement_code))
    )
    EXECUTE FUNCTION review_statecount_track()
    """,
    # TRUNCATE writes no row: emptying the dossiers empties their counts.
    """
    CREATE FUNCTION review_statecount_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM review_statecount;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER review_statecount_truncate AFTER TRUNCATE ON dossiers_dossier
    FOR EACH STATEMENT EXECUTE FUNCTION review_statecount_forget()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS review_statecount_truncate ON dossiers_dossier",
    "DROP FUNCTION IF EXISTS review_statecount_forget()",
    "DROP TRIGGER IF EXISTS review_statecount_insert ON dossiers_dossier",
    "DROP TRIGGER IF EXISTS review_statecount_delete ON dossiers_dossier",
    "DROP TRIGGER IF EXISTS review_statecount_update ON dossiers_dossier",
    "DROP FUNCTION IF EXISTS review_statecount_track()",
]
FILL = """
    INSERT INTO review_statecount (call_id, arrondissement_code, state, n, compacted)
    SELECT call_id, arrondissement_code, state, COUNT(*), %s FROM dossiers_dossier
    WHERE submitted_at IS NOT NULL
    GROUP BY call_id, arrondissement_code, state
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in POSTGRESQL:
        schema_editor.execute(sql)
    schema_editor.execute(FILL, [True])


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in POSTGRESQL_REVERSE:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0006_committee_history"),
        ("review", "0006_role_event_chair"),
    ]

    operations = [
        migrations.CreateModel(
            name="StateCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("call_id", models.BigIntegerField(verbose_name="appel")),
                (
                    "arrondissement_code",
                    models.CharField(blank=True, max_length=4, verbose_name="arrondissement"),
                ),
                ("state", models.CharField(max_length=32, verbose_name="état")),
                ("n", models.IntegerField(verbose_name="nombre")),
                ("compacted", models.BooleanField(default=False, verbose_name="regroupé")),
            ],
            options={
                "verbose_name": "décompte des dossiers déposés",
                "verbose_name_plural": "décomptes des dossiers déposés",
                "indexes": [models.Index(fields=["call_id"], name="statecount_call")],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
