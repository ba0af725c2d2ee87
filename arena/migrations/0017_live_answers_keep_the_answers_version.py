"""Answers to voters' own prompts (origin ``live``) no longer move the answers' version.

The pairing keeps who answered what in a per-process cache that a database trigger invalidates
on any write to ``arena_completion``. Live answers are never served for pairing (their prompts
are in no prompt set), yet each live battle wrote three of them (the two empty rows, then each
answer as its stream ended): every process rebuilt its view of the arena's answers after every
live answer, a rebuild that reads every answer of the arena. The trigger on ``arena_completion``
now looks at the rows the statement wrote and moves the version only when one of them is not
live; the other tables' triggers are unchanged.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "DROP TRIGGER IF EXISTS arena_completion_answers_version ON arena_completion",
    """
    CREATE FUNCTION arena_answers_version_bump_served() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NOT EXISTS (SELECT 1 FROM arena_completion_new WHERE origin <> 'live') THEN
                RETURN NULL;
            END IF;
        ELSIF TG_OP = 'DELETE' THEN
            IF NOT EXISTS (SELECT 1 FROM arena_completion_old WHERE origin <> 'live') THEN
                RETURN NULL;
            END IF;
        ELSIF NOT EXISTS (SELECT 1 FROM arena_completion_new WHERE origin <> 'live')
              AND NOT EXISTS (SELECT 1 FROM arena_completion_old WHERE origin <> 'live') THEN
            RETURN NULL;
        END IF;
        UPDATE arena_answersversion SET n = nextval('arena_answers_version_seq') WHERE id = 1;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER arena_completion_answers_version_insert AFTER INSERT ON arena_completion "
    "REFERENCING NEW TABLE AS arena_completion_new FOR EACH STATEMENT "
    "EXECUTE FUNCTION arena_answers_version_bump_served()",
    "CREATE TRIGGER arena_completion_answers_version_update AFTER UPDATE ON arena_completion "
    "REFERENCING OLD TABLE AS arena_completion_old NEW TABLE AS arena_completion_new "
    "FOR EACH STATEMENT EXECUTE FUNCTION arena_answers_version_bump_served()",
    "CREATE TRIGGER arena_completion_answers_version_delete AFTER DELETE ON arena_completion "
    "REFERENCING OLD TABLE AS arena_completion_old FOR EACH STATEMENT "
    "EXECUTE FUNCTION arena_answers_version_bump_served()",
    "CREATE TRIGGER arena_completion_answers_version_truncate AFTER TRUNCATE "
    "ON arena_completion FOR EACH STATEMENT EXECUTE FUNCTION arena_answers_version_bump()",
]
POSTGRES_BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS arena_completion_answers_version_{event} ON arena_completion"
        for event in ("insert", "update", "delete", "truncate")
    ),
    "DROP FUNCTION IF EXISTS arena_answers_version_bump_served()",
    "CREATE TRIGGER arena_completion_answers_version AFTER INSERT OR UPDATE OR DELETE "
    "OR TRUNCATE ON arena_completion FOR EACH STATEMENT "
    "EXECUTE FUNCTION arena_answers_version_bump()",
]

#: SQLite's triggers are per row: each event's condition on the row it wrote.
SQLITE_WHEN = {
    "insert": "NEW.origin <> 'live'",
    "update": "OLD.origin <> 'live' OR NEW.origin <> 'live'",
    "delete": "OLD.origin <> 'live'",
}


def _sqlite(schema_editor, *, served_only: bool) -> None:
    for event, when in SQLITE_WHEN.items():
        name = f"arena_completion_answers_version_{event}"
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        condition = f" WHEN {when}" if served_only else ""
        schema_editor.execute(
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON arena_completion{condition} "
            "BEGIN UPDATE arena_answersversion SET n = n + 1 WHERE id = 1; END"
        )


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in POSTGRES_FORWARD:
            schema_editor.execute(sql)
    elif vendor == "sqlite":
        _sqlite(schema_editor, served_only=True)
    else:
        raise NotImplementedError(f"no answers-version triggers for {vendor}")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in POSTGRES_BACKWARD:
            schema_editor.execute(sql)
    elif vendor == "sqlite":
        _sqlite(schema_editor, served_only=False)


class Migration(migrations.Migration):
    dependencies = [
        ("arena", "0016_scope_vote_counts_maintained"),
    ]

    operations = [migrations.RunPython(forward, backward)]
