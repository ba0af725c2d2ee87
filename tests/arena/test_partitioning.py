"""``partition_votes`` names, from PostgreSQL's catalog, what keeps the vote table from being
partitioned by arena and month (docs/deploying.md lists the same, with the path past them)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from arena.selectors.partitioning import vote_partitioning_blockers

pytestmark = pytest.mark.django_db


def test_the_blockers_are_the_partition_key_the_unique_rules_and_the_tag_foreign_key() -> None:
    found = {b.what for b in vote_partitioning_blockers()}
    uniques = {w for w in found if "unique index" in w or "primary key" in w}
    assert "arena_vote has no arena_id column" in found
    # id, one vote per battle, an import's keys, a judge's idempotency keys
    assert {w.split(" lacks ")[0].rsplit(" on ", 1)[1] for w in uniques} == {
        "(id)",
        "(battle_id)",
        "(import_key)",
        "(idempotency_key, judge_id)",
    }
    assert all(w.endswith("lacks arena_id, created_at") for w in uniques)
    references = [w for w in found if w.startswith("foreign key")]
    assert len(references) == 1
    assert "of arena_votetag references arena_vote(id)" in references[0]
    assert len(found) == 6


def test_a_partitioned_table_has_none() -> None:
    """The check is not a fixed list: a table partitioned by the key passes."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE arena_vote RENAME TO arena_vote_plain")
        cursor.execute(
            "CREATE TABLE arena_vote (id bigint, arena_id bigint, created_at timestamptz, "
            "PRIMARY KEY (id, arena_id, created_at)) PARTITION BY LIST (arena_id)"
        )
        try:
            assert vote_partitioning_blockers() == []
        finally:
            cursor.execute("DROP TABLE arena_vote")
            cursor.execute("ALTER TABLE arena_vote_plain RENAME TO arena_vote")


def test_the_command_lists_them_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CommandError, match="6 blockers"):
        call_command("partition_votes")
    out = capsys.readouterr().out
    assert "- foreign key" in out
    assert "PostgreSQL requires every unique constraint" in out
