# ruff: noqa: S608
"""Votes per arena, source and prompt category, kept by database triggers (#21).

The rating check asked the votes every few seconds for each board's newest vote, the arena's
categories and whether a scope had answer-less battles: scans that grew with the votes (146 s
for the categories at a million votes). The triggers keep ``arena_scopevotecount`` equal to
``GROUP BY arena, source, category`` of the votes (count, highest id, votes on battles
without both answers) in the transaction of every write to the votes, as the pair counts of
``0013_pair_vote_counts_maintained`` are; a change of a prompt's category recounts it. The
highest id only grows: a delete lowers the count, which the check reads as "look again".
"""


import django.db.models.deletion
from django.db import migrations, models


# Static SQL only (no input reaches it), so S608 does not apply to this file.
KEY_OF = "b.arena_id, v.source, p.category"
FROM_VOTES = (
    "{votes} v JOIN arena_battle b ON b.id = v.battle_id JOIN arena_prompt p ON p.id = b.prompt_id"
)
UNANSWERED = "(b.completion_a_id IS NULL OR b.completion_b_id IS NULL)"
RECOUNT = [
    "DELETE FROM arena_scopevotecount",
    "INSERT INTO arena_scopevotecount (arena_id, source, category, n, top_id, n_unanswered) "
    f"SELECT {KEY_OF}, count(*), max(v.id), "
    f"sum(CASE WHEN {UNANSWERED} THEN 1 ELSE 0 END) "
    f"FROM {FROM_VOTES.format(votes='arena_vote')} GROUP BY 1, 2, 3",
]

POSTGRES_FORWARD = [
    f"""
    CREATE FUNCTION arena_scope_vote_count_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO arena_scopevotecount (arena_id, source, category, n, top_id, n_unanswered)
        SELECT {KEY_OF}, count(*), max(v.id), count(*) FILTER (WHERE {UNANSWERED})
        FROM {FROM_VOTES.format(votes="arena_vote_new")}
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (arena_id, source, category) DO UPDATE SET
            n = arena_scopevotecount.n + EXCLUDED.n,
            top_id = GREATEST(arena_scopevotecount.top_id, EXCLUDED.top_id),
            n_unanswered = arena_scopevotecount.n_unanswered + EXCLUDED.n_unanswered;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION arena_scope_vote_count_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE arena_scopevotecount c SET n = c.n - d.n, n_unanswered = c.n_unanswered - d.u
        FROM (
            SELECT {KEY_OF}, count(*), count(*) FILTER (WHERE {UNANSWERED})
            FROM {FROM_VOTES.format(votes="arena_vote_old")} GROUP BY 1, 2, 3
        ) d (arena_id, source, category, n, u)
        WHERE c.arena_id = d.arena_id AND c.source = d.source AND c.category = d.category;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION arena_scope_vote_count_recount() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' OR EXISTS (
            SELECT 1 FROM arena_prompt_old o JOIN arena_prompt_new n ON n.id = o.id
            WHERE n.category IS DISTINCT FROM o.category
        ) THEN
            {RECOUNT[0]};
            {RECOUNT[1]};
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER arena_vote_scope_counted AFTER INSERT ON arena_vote REFERENCING NEW TABLE "
    "AS arena_vote_new FOR EACH STATEMENT EXECUTE FUNCTION arena_scope_vote_count_add()",
    "CREATE TRIGGER arena_vote_scope_uncounted AFTER DELETE ON arena_vote REFERENCING OLD TABLE "
    "AS arena_vote_old FOR EACH STATEMENT EXECUTE FUNCTION arena_scope_vote_count_remove()",
    "CREATE TRIGGER arena_prompt_scope_recounted AFTER UPDATE ON arena_prompt REFERENCING "
    "OLD TABLE AS arena_prompt_old NEW TABLE AS arena_prompt_new FOR EACH STATEMENT "
    "EXECUTE FUNCTION arena_scope_vote_count_recount()",
    "CREATE FUNCTION arena_scope_vote_count_clear() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN DELETE FROM arena_scopevotecount; RETURN NULL; END $$",
    "CREATE TRIGGER arena_vote_scope_cleared AFTER TRUNCATE ON arena_vote "
    "FOR EACH STATEMENT EXECUTE FUNCTION arena_scope_vote_count_clear()",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS arena_vote_scope_counted ON arena_vote",
    "DROP TRIGGER IF EXISTS arena_vote_scope_uncounted ON arena_vote",
    "DROP TRIGGER IF EXISTS arena_vote_scope_cleared ON arena_vote",
    "DROP TRIGGER IF EXISTS arena_prompt_scope_recounted ON arena_prompt",
    "DROP FUNCTION IF EXISTS arena_scope_vote_count_add()",
    "DROP FUNCTION IF EXISTS arena_scope_vote_count_remove()",
    "DROP FUNCTION IF EXISTS arena_scope_vote_count_recount()",
    "DROP FUNCTION IF EXISTS arena_scope_vote_count_clear()",
]

SQLITE_KEY = (
    "SELECT b.arena_id, {vote}.source, p.category FROM arena_battle b "
    "JOIN arena_prompt p ON p.id = b.prompt_id WHERE b.id = {vote}.battle_id"
)
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER arena_vote_scope_counted AFTER INSERT ON arena_vote BEGIN
        INSERT INTO arena_scopevotecount (arena_id, source, category, n, top_id, n_unanswered)
        SELECT b.arena_id, NEW.source, p.category, 1, NEW.id,
            CASE WHEN {UNANSWERED} THEN 1 ELSE 0 END
        FROM arena_battle b JOIN arena_prompt p ON p.id = b.prompt_id WHERE b.id = NEW.battle_id
        ON CONFLICT (arena_id, source, category) DO UPDATE SET n = n + 1,
            top_id = max(top_id, excluded.top_id), n_unanswered = n_unanswered + excluded.n_unanswered;
    END
    """,
    f"""
    CREATE TRIGGER arena_vote_scope_uncounted AFTER DELETE ON arena_vote BEGIN
        UPDATE arena_scopevotecount SET n = n - 1, n_unanswered = n_unanswered - (
            SELECT CASE WHEN {UNANSWERED} THEN 1 ELSE 0 END FROM arena_battle b
            WHERE b.id = OLD.battle_id
        )
        WHERE (arena_id, source, category) = ({SQLITE_KEY.format(vote="OLD")});
    END
    """,
    f"""
    CREATE TRIGGER arena_prompt_scope_recounted AFTER UPDATE OF category ON arena_prompt
    WHEN OLD.category IS NOT NEW.category BEGIN
        {RECOUNT[0]};
        {RECOUNT[1]};
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS arena_vote_scope_counted",
    "DROP TRIGGER IF EXISTS arena_vote_scope_uncounted",
    "DROP TRIGGER IF EXISTS arena_prompt_scope_recounted",
]


def triggers_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = POSTGRES_FORWARD
    elif vendor == "sqlite":
        statements = SQLITE_FORWARD
    else:
        raise NotImplementedError(f"no scope-count triggers for {vendor}")
    for sql in statements:
        schema_editor.execute(sql)
    for sql in RECOUNT:  # the votes already cast, counted once
        schema_editor.execute(sql)


def triggers_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in POSTGRES_BACKWARD if vendor == "postgresql" else SQLITE_BACKWARD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('arena', '0015_live_battles'),
    ]

    operations = [
        migrations.CreateModel(
            name='ScopeVoteCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(max_length=10)),
                ('category', models.CharField(max_length=100)),
                ('n', models.BigIntegerField(default=0)),
                ('top_id', models.BigIntegerField(default=0)),
                ('n_unanswered', models.BigIntegerField(default=0)),
                ('arena', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='arena.arena')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('arena', 'source', 'category'), name='scope_vote_count_once')],
            },
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
