"""The battle and vote tables carry no index that no query uses (#21, arena migration 0018).

Each index of these two tables is one more entry written per imported vote. Four served nothing:
``arena_battle.arena_id``'s own index (the ``(arena_id, competitor_a_id, competitor_b_id)``
index leads with it) and the ``varchar_pattern_ops`` copies beside ``public_id``,
``session_key`` and ``import_key``, which serve only ``LIKE 'prefix%'``.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from arena.models import Battle, Vote

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the indexes in question are PostgreSQL's"
)

BEFORE = [("arena", "0017_live_answers_keep_the_answers_version")]
AFTER = [("arena", "0018_battle_and_vote_indexes_no_query_uses")]


def _indexes(table: str) -> dict[str, str]:
    """Each index of ``table``: its name → its definition."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def _unused() -> list[str]:
    """The four indexes' definitions that are present."""
    found = []
    for table in ("arena_battle", "arena_vote"):
        for definition in _indexes(table).values():
            columns = definition.split(" USING btree ", 1)[1]
            if "varchar_pattern_ops" in columns or columns == "(arena_id)":
                found.append(definition)
    return found


def _plan(sql: str, params: list[object]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row for (row,) in cursor.fetchall())


@pytest.mark.django_db
def test_the_indexes_no_query_uses_are_gone_and_the_lookups_keep_theirs() -> None:
    assert _unused() == []
    # the equality lookups the platform makes still have an index each
    lookups = {
        "by arena": Battle.objects.filter(arena_id=1).values("id"),
        "by public id": Battle.objects.filter(public_id="x").values("id"),
        "by session": Battle.objects.filter(session_key="x").values("id"),
        "by import key": Vote.objects.filter(import_key="x").values("id"),
    }
    for name, query in lookups.items():
        sql, params = query.query.sql_with_params()
        plan = _plan(sql, list(params))
        assert "Index" in plan, (name, plan)
        assert "Seq Scan" not in plan, (name, plan)


@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_and_forth() -> None:
    try:
        MigrationExecutor(connection).migrate(BEFORE)
        back = sorted(d.split(" USING btree ", 1)[1] for d in _unused())
        assert back == [
            "(arena_id)",
            "(import_key varchar_pattern_ops)",
            "(public_id varchar_pattern_ops)",
            "(session_key varchar_pattern_ops)",
        ]
    finally:
        MigrationExecutor(connection).migrate(AFTER)
    assert _unused() == []
