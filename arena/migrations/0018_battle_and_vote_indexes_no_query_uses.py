"""Four indexes of the two largest tables that no query uses are dropped (#21).

Every vote is two rows (its battle and itself), and every index of those tables is one more
entry written, and logged, per vote: at a million imported votes PostgreSQL's own work is most
of the import's time. Four of those entries served nothing:

- ``arena_battle.arena_id``'s own index, which the ``(arena_id, competitor_a_id,
  competitor_b_id)`` index covers (it leads with the arena: every lookup by arena, and the
  foreign key's checks, use it);
- the ``varchar_pattern_ops`` copies PostgreSQL's backend of Django adds beside the indexes of
  ``Battle.public_id``, ``Battle.session_key`` and ``Vote.import_key``: they serve only
  ``LIKE 'prefix%'``, and those columns are only ever compared whole (``=``, ``= ANY``).

Django names the copies itself (``<table>_<column>_<hash>_like``), so they are found by table,
column and operator class rather than by name. Django drops them with ``IF EXISTS`` when it
alters such a field, so a later migration of these fields still runs. SQLite has none of them.

The foreign key's index goes by a plain ``DROP INDEX`` too, the field changed in Django's state
only: on SQLite, ``AlterField`` rebuilds the whole table, and the rebuild's rename breaks the
vote table's triggers, which name ``arena_battle``.
"""

from django.db import migrations, models

#: (table, column) of the ``varchar_pattern_ops`` copies dropped here.
PATTERN_COPIES = [
    ("arena_battle", "public_id"),
    ("arena_battle", "session_key"),
    ("arena_vote", "import_key"),
]


def _copies(cursor, table: str, column: str) -> list[str]:
    cursor.execute(
        "SELECT i.relname FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_class t ON t.oid = x.indrelid"
        " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]"
        " JOIN pg_opclass o ON o.oid = x.indclass[0]"
        " WHERE t.relname = %s AND a.attname = %s AND x.indnatts = 1"
        " AND o.opcname = 'varchar_pattern_ops'",
        [table, column],
    )
    return [name for (name,) in cursor.fetchall()]


def _arena_index(schema_editor) -> list[str]:
    """The names of the indexes of ``arena_battle`` on ``arena_id`` alone."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.relname FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_class t ON t.oid = x.indrelid"
                " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]"
                " WHERE t.relname = 'arena_battle' AND a.attname = 'arena_id'"
                " AND x.indnatts = 1 AND NOT x.indisunique"
            )
            return [name for (name,) in cursor.fetchall()]
        constraints = connection.introspection.get_constraints(cursor, "arena_battle")
    return [
        name
        for name, c in constraints.items()
        if c["index"] and not c["unique"] and c["columns"] == ["arena_id"]
    ]


def arena_index_drop(apps, schema_editor) -> None:
    for name in _arena_index(schema_editor):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def arena_index_create(apps, schema_editor) -> None:
    if not _arena_index(schema_editor):
        schema_editor.execute("CREATE INDEX arena_battle_arena_id ON arena_battle (arena_id)")


def pattern_copies_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        for table, column in PATTERN_COPIES:
            for name in _copies(cursor, table, column):
                schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")


def pattern_copies_create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        for table, column in PATTERN_COPIES:
            if _copies(cursor, table, column):
                continue
            schema_editor.execute(
                f"CREATE INDEX {quote(f'{table}_{column}_like')} ON {quote(table)} "
                f"({quote(column)} varchar_pattern_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("arena", "0017_live_answers_keep_the_answers_version"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="battle",
                    name="arena",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="battles",
                        to="arena.arena",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(arena_index_drop, arena_index_create)],
        ),
        migrations.RunPython(pattern_copies_drop, pattern_copies_create),
    ]
