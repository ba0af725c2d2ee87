"""Votes per pair for the pairing: read whole once per process, then only what is new.

``PairVoteCount`` (kept by triggers, migration ``pair_vote_counts_maintained``) holds a row per
pair that met, so reading it costs as many rows as pairs: 9 ms a battle at 10M votes, where
nearly all 19,900 pairs of 200 competitors have met, against 5 ms at 10k votes (7,700 pairs):
serving slowed as the arena grew (#21). Each process now keeps the counts it read with the
arena's vote total and newest vote id (``ScopeVoteCount``, kept by the same triggers), and at
each battle asks, in one statement and so one snapshot, for the totals and the votes past that
id, grouped by pair: a few rows. When the votes it adds do not make up the new total (a vote
deleted, or one that committed after a later id was seen), or when too many are new, it reads
the counts whole again. One case passes that check: a vote deleted while another, which took
a lower id, commits late, between two battles of a process. So each process also reads the
counts whole once a minute (``WHOLE_EVERY``), which bounds how long such an offset can last;
the counts only balance which pair is served next, never a vote or a rating.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

import numpy as np
from django.db import connection
from numpy.typing import NDArray

from arena.models import Arena, PairVoteCount

#: Arenas whose counts a process keeps (a 19,900-pair arena's take about 3 MB).
CACHE_SIZE = 32
#: New votes beyond which the counts are read whole again rather than added up vote by vote.
DELTA_LIMIT = 20_000
#: Vote ids past the kept one that the read of new votes may walk (other arenas' votes among
#: them): its bounds are constants, so PostgreSQL plans a short range scan of the primary key.
#: Every vote visible to the statement is in the totals of the same snapshot, so no vote past
#: the newest id counted there is missed.
SCAN_LIMIT = 200_000
#: Seconds after which a process reads the counts whole again, whatever the totals say.
WHOLE_EVERY = 60.0


class PairVoteCounts(Mapping[tuple[int, int], int]):
    """Votes per unordered pair ``(smaller id, larger id)``, held as arrays (``low``, ``high``,
    ``n``, one entry a pair) so that the pairing reads them without a Python step per pair.

    Shared between the requests of a process, never changed: :meth:`plus` makes a new one.
    """

    def __init__(self, rows: Iterable[tuple[int, int, int]] = ()) -> None:
        table = np.array(list(rows), dtype=np.int64).reshape(-1, 3)
        self.low, self.high = table[:, 0].copy(), table[:, 1].copy()
        self.n: NDArray[np.int64] = table[:, 2].copy()
        self._index = {
            (lo, hi): k
            for k, (lo, hi) in enumerate(zip(self.low.tolist(), self.high.tolist(), strict=True))
        }

    def plus(self, rows: Iterable[tuple[int, int, int]]) -> PairVoteCounts:
        """These counts with ``rows`` (pair, votes) added."""
        added = PairVoteCounts.__new__(PairVoteCounts)
        n, index, low, high = self.n.copy(), self._index, self.low, self.high
        new = []
        for lo, hi, count in rows:
            k = index.get((lo, hi))
            if k is None:
                new.append((lo, hi, count))
            else:
                n[k] += count
        if new:
            index = dict(index)
            for lo, hi, _ in new:
                index[(lo, hi)] = len(index)
            extra = np.array(new, dtype=np.int64).reshape(-1, 3)
            low, high = np.concatenate([low, extra[:, 0]]), np.concatenate([high, extra[:, 1]])
            n = np.concatenate([n, extra[:, 2]])
        added.low, added.high, added.n, added._index = low, high, n, index
        return added

    def __getitem__(self, pair: tuple[int, int]) -> int:
        return int(self.n[self._index[pair]])

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


#: Per arena: when the counts were last read whole (monotonic seconds), and the kept entry.
_cache: OrderedDict[int, tuple[float, tuple[int, int, PairVoteCounts]]] = OrderedDict()
_lock = threading.Lock()

_TOTALS = (
    "SELECT COALESCE(SUM(n), 0), COALESCE(MAX(top_id), 0) FROM arena_scopevotecount"
    " WHERE arena_id = %s"
)


def pair_vote_counts(arena: Arena) -> PairVoteCounts:
    """Votes so far per unordered pair of competitors in the arena, keyed (smaller, larger).

    Every vote of the arena counts (flags and held-back competitors do not matter here): the
    counts equal a ``GROUP BY`` over the arena's votes at the moment of the read."""
    if connection.vendor != "postgresql":  # the demo's SQLite: small, read whole
        return _read_whole(arena)[2]
    with _lock:
        cached = _cache.get(arena.pk)
    now = time.monotonic()
    if cached is not None and now - cached[0] < WHOLE_EVERY:
        read_at, (total, newest, counts) = cached
        found = _read_new(arena, total, newest, counts)
        if found is not None:
            if found[2] is not counts:
                _keep(arena.pk, read_at, found)
            return found[2]
    found = _read_whole(arena)
    _keep(arena.pk, now, found)
    return found[2]


def _keep(arena_id: int, read_at: float, entry: tuple[int, int, PairVoteCounts]) -> None:
    with _lock:
        _cache[arena_id] = (read_at, entry)
        _cache.move_to_end(arena_id)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _read_whole(arena: Arena) -> tuple[int, int, PairVoteCounts]:
    """Every pair's count, with the totals of the same snapshot (one statement)."""
    if connection.vendor != "postgresql":
        rows = PairVoteCount.objects.filter(arena=arena, n__gt=0).values_list(
            "competitor_low_id", "competitor_high_id", "n"
        )
        return 0, 0, PairVoteCounts(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH totals (total, newest) AS ({_TOTALS})"  # noqa: S608 (constant SQL)
            " SELECT -1, -1, total, newest FROM totals"
            " UNION ALL SELECT competitor_low_id, competitor_high_id, n, 0"
            " FROM arena_pairvotecount WHERE arena_id = %s AND n > 0",
            [arena.pk, arena.pk],
        )
        rows = cursor.fetchall()
    head, pairs = _split(rows)
    return int(head[2]), int(head[3]), PairVoteCounts((lo, hi, n) for lo, hi, n, _ in pairs)


def _read_new(
    arena: Arena, total: int, newest: int, counts: PairVoteCounts
) -> tuple[int, int, PairVoteCounts] | None:
    """The cached counts brought up to date with the votes past ``newest``; None when they
    cannot be (a vote deleted, one committed late, or more than ``DELTA_LIMIT`` new)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH totals (total, newest) AS ({_TOTALS}),"  # noqa: S608 (constant SQL)
            " fresh AS ("
            "  SELECT LEAST(b.competitor_a_id, b.competitor_b_id) AS low,"
            "   GREATEST(b.competitor_a_id, b.competitor_b_id) AS high, COUNT(*) AS n"
            "  FROM arena_vote v JOIN arena_battle b ON b.id = v.battle_id"
            "  WHERE b.arena_id = %s AND v.id > %s AND v.id <= %s"
            "   AND (SELECT total FROM totals) - %s <= %s"
            "  GROUP BY 1, 2)"
            " SELECT -1, -1, total, newest FROM totals"
            " UNION ALL SELECT low, high, n, 0 FROM fresh",
            [arena.pk, arena.pk, newest, newest + SCAN_LIMIT, total, DELTA_LIMIT],
        )
        rows = cursor.fetchall()
    head, fresh = _split(rows)
    now_total, now_newest = int(head[2]), int(head[3])
    if now_total == total and now_newest == newest:
        return total, newest, counts
    added = now_total - total
    if added > DELTA_LIMIT or now_newest > newest + SCAN_LIMIT:
        return None
    if added != sum(int(r[2]) for r in fresh):
        return None
    return now_total, now_newest, counts.plus((lo, hi, n) for lo, hi, n, _ in fresh)


def _split(rows: list[tuple[int, ...]]) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
    """The totals row (marked by competitor id -1) and the pair rows, in whatever order the
    ``UNION ALL`` gave them."""
    heads = [row for row in rows if row[0] == -1]
    return heads[0], [row for row in rows if row[0] != -1]
