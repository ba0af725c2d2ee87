# ruff: noqa: S608
"""Per-pair vote counts and a version of who-answered-what, both kept by database triggers.

Serving read every vote of the arena (``GROUP BY`` pair) and every answer (``DISTINCT``) per
battle; at a million votes that was over a second a request. The triggers keep
``arena_pairvotecount`` equal to that ``GROUP BY`` in the transaction of every write to the
votes, whichever path wrote it (the vote service, an import's COPY, a delete), and bump
``arena_answersversion`` on any write that can change what pairing sees of the answers.
PostgreSQL uses statement-level triggers with transition tables (one upsert per statement,
so a bulk import pays once per statement, not per row); SQLite (the demo) row-level ones.
"""

import django.db.models.deletion
from django.db import migrations, models

# Static SQL only (no input reaches it), so S608 does not apply to this file.
PAIR_OF = (
    "b.arena_id, LEAST(b.competitor_a_id, b.competitor_b_id), "
    "GREATEST(b.competitor_a_id, b.competitor_b_id)"
)
SQLITE_PAIR_OF = PAIR_OF.replace("LEAST", "MIN").replace("GREATEST", "MAX")

POSTGRES_FORWARD = [
    "CREATE SEQUENCE arena_answers_version_seq",
    f"""
    CREATE FUNCTION arena_pair_vote_count_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO arena_pairvotecount (arena_id, competitor_low_id, competitor_high_id, n)
        SELECT {PAIR_OF}, count(*) FROM arena_vote_new v JOIN arena_battle b ON b.id = v.battle_id
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (arena_id, competitor_low_id, competitor_high_id)
        DO UPDATE SET n = arena_pairvotecount.n + EXCLUDED.n;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION arena_pair_vote_count_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE arena_pairvotecount c SET n = c.n - d.n
        FROM (
            SELECT {PAIR_OF}, count(*) AS n
            FROM arena_vote_old v JOIN arena_battle b ON b.id = v.battle_id GROUP BY 1, 2, 3
        ) d (arena_id, low, high, n)
        WHERE c.arena_id = d.arena_id AND c.competitor_low_id = d.low
            AND c.competitor_high_id = d.high;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION arena_pair_vote_count_clear() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM arena_pairvotecount;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER arena_vote_counted AFTER INSERT ON arena_vote REFERENCING NEW TABLE AS "
    "arena_vote_new FOR EACH STATEMENT EXECUTE FUNCTION arena_pair_vote_count_add()",
    "CREATE TRIGGER arena_vote_uncounted AFTER DELETE ON arena_vote REFERENCING OLD TABLE AS "
    "arena_vote_old FOR EACH STATEMENT EXECUTE FUNCTION arena_pair_vote_count_remove()",
    "CREATE TRIGGER arena_vote_cleared AFTER TRUNCATE ON arena_vote "
    "FOR EACH STATEMENT EXECUTE FUNCTION arena_pair_vote_count_clear()",
    """
    CREATE FUNCTION arena_answers_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- From a sequence, not n + 1: a rolled-back write never hands its number on.
        UPDATE arena_answersversion SET n = nextval('arena_answers_version_seq') WHERE id = 1;
        RETURN NULL;
    END $$
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS arena_vote_counted ON arena_vote",
    "DROP TRIGGER IF EXISTS arena_vote_uncounted ON arena_vote",
    "DROP TRIGGER IF EXISTS arena_vote_cleared ON arena_vote",
    "DROP FUNCTION IF EXISTS arena_pair_vote_count_add()",
    "DROP FUNCTION IF EXISTS arena_pair_vote_count_remove()",
    "DROP FUNCTION IF EXISTS arena_pair_vote_count_clear()",
]

SQLITE_FORWARD = [
    """
    CREATE TRIGGER arena_vote_counted AFTER INSERT ON arena_vote BEGIN
        INSERT INTO arena_pairvotecount (arena_id, competitor_low_id, competitor_high_id, n)
        SELECT arena_id, min(competitor_a_id, competitor_b_id),
            max(competitor_a_id, competitor_b_id), 1
        FROM arena_battle WHERE id = NEW.battle_id
        ON CONFLICT (arena_id, competitor_low_id, competitor_high_id) DO UPDATE SET n = n + 1;
    END
    """,
    """
    CREATE TRIGGER arena_vote_uncounted AFTER DELETE ON arena_vote BEGIN
        UPDATE arena_pairvotecount SET n = n - 1
        WHERE (arena_id, competitor_low_id, competitor_high_id) = (
            SELECT arena_id, min(competitor_a_id, competitor_b_id),
                max(competitor_a_id, competitor_b_id)
            FROM arena_battle WHERE id = OLD.battle_id
        );
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS arena_vote_counted",
    "DROP TRIGGER IF EXISTS arena_vote_uncounted",
]

#: The tables whose writes can change what the pairing sees of who answered what.
ANSWER_TABLES = (
    "arena_completion",
    "arena_competitor",
    "arena_arena_competitors",
    "arena_arena_prompt_sets",
    "arena_promptset_prompts",
)


def triggers_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "postgresql":
        for sql in POSTGRES_FORWARD:
            run(sql)
        for table in ANSWER_TABLES:
            run(
                f"CREATE TRIGGER {table}_answers_version AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION arena_answers_version_bump()"
            )
    elif vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            run(sql)
        for table in ANSWER_TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                run(
                    f"CREATE TRIGGER {table}_answers_version_{event.lower()} AFTER {event} "
                    f"ON {table} BEGIN UPDATE arena_answersversion SET n = n + 1 WHERE id = 1; END"
                )
    else:
        raise NotImplementedError(f"no pair-count triggers for {vendor}")
    run("INSERT INTO arena_answersversion (id, n) VALUES (1, 0)")
    # The votes already cast, counted once.
    pair_of = SQLITE_PAIR_OF if vendor == "sqlite" else PAIR_OF
    run(
        "INSERT INTO arena_pairvotecount (arena_id, competitor_low_id, competitor_high_id, n) "
        f"SELECT {pair_of}, count(*) "
        "FROM arena_vote v JOIN arena_battle b ON b.id = v.battle_id GROUP BY 1, 2, 3"
    )


def triggers_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in ANSWER_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_answers_version ON {table}")
        for sql in POSTGRES_BACKWARD:
            schema_editor.execute(sql)
        schema_editor.execute("DROP FUNCTION IF EXISTS arena_answers_version_bump()")
        schema_editor.execute("DROP SEQUENCE IF EXISTS arena_answers_version_seq")
    elif vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql)
        for table in ANSWER_TABLES:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_answers_version_{event}")


class Migration(migrations.Migration):
    dependencies = [
        ("arena", "0012_endpoints_and_platform_judges"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnswersVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("n", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="PairVoteCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("n", models.BigIntegerField(default=0)),
                (
                    "arena",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="arena.arena",
                    ),
                ),
                (
                    "competitor_high",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="arena.competitor",
                    ),
                ),
                (
                    "competitor_low",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="arena.competitor",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("arena", "competitor_low", "competitor_high"),
                        name="pair_vote_count_once",
                    )
                ],
            },
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
