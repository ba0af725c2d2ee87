# ruff: noqa: S608
"""An import's battles and votes written without per-row triggers, their work done per batch.

PostgreSQL checks a foreign key with one query per inserted row (an internal trigger, queued
until commit since Django declares them deferred): a vote and its battle bring five, and at a
million votes those checks cost as much as the rows themselves. ``session_replication_role =
replica`` (``SET LOCAL``, so for this transaction only: what ``pg_restore --disable-triggers``
uses) skips them, and skips the statement trigger that adds inserted votes to
``arena_pairvotecount`` too. What they did is then done here, once per batch or import:

- the rows a batch refers to (competitors, prompts, answers, judges, the arena) are locked
  ``FOR KEY SHARE``, as the checks would, and counted: a missing one fails the import;
- the votes per pair are added to ``arena_pairvotecount`` in the same transaction, and each
  batch's votes per arena, source and category to ``arena_scopevotecount`` (what the triggers
  of migration ``0016_scope_vote_counts_maintained`` do), by one set-based statement a batch.

Only taken when the database role may set the parameter and the two tables carry no trigger
beyond the pair counts' (a trigger added later would otherwise be skipped silently); else the
import writes with every trigger firing, slower and the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import DatabaseError, connection, transaction

from arena.exceptions import ImportReferenceMissing

#: The triggers on arena_battle and arena_vote whose work :func:`pair_counts_add` and
#: :func:`scope_counts_add` do (migrations ``0013_pair_vote_counts_maintained`` and
#: ``0016_scope_vote_counts_maintained``); an insert fires only the ``…counted`` ones.
KNOWN_TRIGGERS = frozenset(
    {
        "arena_vote_counted",
        "arena_vote_uncounted",
        "arena_vote_cleared",
        "arena_vote_scope_counted",
        "arena_vote_scope_uncounted",
        "arena_vote_scope_cleared",
    }
)


def triggers_skippable() -> bool:
    """Whether this import may write its battles and votes with triggers skipped."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
            "AND tgrelid IN ('arena_battle'::regclass, 'arena_vote'::regclass)"
        )
        if {name for (name,) in cursor.fetchall()} - KNOWN_TRIGGERS:
            return False
        try:
            with transaction.atomic():  # a savepoint: a refused SET leaves the import usable
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            return False
        cursor.execute("SET LOCAL session_replication_role = origin")
    return True


def triggers_skip(skip: bool) -> None:
    """Skip (or fire again) the triggers for the rest of this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL session_replication_role = {'replica' if skip else 'origin'}")


class References:
    """The rows the import's battles and votes point to, each locked once per import."""

    TABLES = ("arena_arena", "arena_competitor", "arena_prompt", "arena_completion", "arena_judge")

    def __init__(self) -> None:
        self.locked: dict[str, set[int]] = {table: set() for table in self.TABLES}

    def lock(self, table: str, ids: Iterable[int | None]) -> None:
        """``FOR KEY SHARE`` on the rows not yet locked; ImportReferenceMissing if one is gone."""
        if table not in self.locked:
            raise ValueError(f"not a table battles or votes refer to: {table}")
        new = {i for i in ids if i is not None} - self.locked[table]
        if not new:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {table} "
                "WHERE id = ANY(string_to_array(%s, ',')::bigint[]) ORDER BY id FOR KEY SHARE) l",
                [",".join(map(str, sorted(new)))],
            )
            found = cursor.fetchone()[0]
        if found != len(new):
            raise ImportReferenceMissing(
                f"{len(new) - found} rows of {table} the import refers to were deleted while it "
                "ran: nothing was imported; import the file again"
            )
        self.locked[table] |= new


def pair_counts_add(arena_id: int, pairs: Counter[tuple[int, int]]) -> None:
    """Add the votes written per (low, high) pair to the arena's counts, as the trigger would."""
    if not pairs:
        return
    keys = sorted(pairs)  # a fixed order: two imports never wait on each other's rows in turn
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO arena_pairvotecount (arena_id, competitor_low_id, competitor_high_id, n) "
            "SELECT %s, low, high, n FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) "
            "AS t (low, high, n) "
            "ON CONFLICT (arena_id, competitor_low_id, competitor_high_id) "
            "DO UPDATE SET n = arena_pairvotecount.n + EXCLUDED.n",
            [arena_id, [k[0] for k in keys], [k[1] for k in keys], [pairs[k] for k in keys]],
        )


def scope_counts_add(battle_ids: list[int]) -> None:
    """Add the votes of these (just written) battles to the counts per arena, source and
    category, as the insert trigger ``arena_vote_scope_counted`` would."""
    if not battle_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO arena_scopevotecount (arena_id, source, category, n, top_id, "
            "n_unanswered) SELECT b.arena_id, v.source, p.category, count(*), max(v.id), "
            "count(*) FILTER (WHERE b.completion_a_id IS NULL OR b.completion_b_id IS NULL) "
            "FROM arena_vote v JOIN arena_battle b ON b.id = v.battle_id "
            "JOIN arena_prompt p ON p.id = b.prompt_id "
            "WHERE v.battle_id = ANY(string_to_array(%s, ',')::bigint[]) "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 "
            "ON CONFLICT (arena_id, source, category) DO UPDATE SET "
            "n = arena_scopevotecount.n + EXCLUDED.n, "
            "top_id = GREATEST(arena_scopevotecount.top_id, EXCLUDED.top_id), "
            "n_unanswered = arena_scopevotecount.n_unanswered + EXCLUDED.n_unanswered",
            [",".join(map(str, battle_ids))],
        )
