"""The bracket of each tournament format, replayed from recorded outcomes.

Internal to :mod:`ratings.core.pairing.tournaments`: :func:`replay_prompt` rebuilds one prompt's
tournament from the state and returns the matches pending on it; the formats are plain
functions of the replay and a seeded initial order.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ratings.core.types import Outcome

_DECISIVE = {int(Outcome.A), int(Outcome.B)}


@dataclass(frozen=True, slots=True)
class Match:
    """One judge call: competitor ``a`` (shown as A) against ``b`` on ``prompt``."""

    id: str
    a: str
    b: str
    prompt: str


class Replay:
    """One prompt's tournament replayed from the recorded results."""

    def __init__(self, state: dict[str, Any], k: int, played: list[Match] | None) -> None:
        self.state, self.k = state, k
        self.prompt = state["prompts"][k]
        self.results: dict[str, int] = state["results"]
        self.pending: list[Match] = []
        self.played = played
        self.rng = np.random.default_rng([state["seed"], k])

    def result(self, match_id: str, a: str, b: str) -> int | None:
        """The recorded outcome (as seen by ``a``), or None after queueing the match."""
        match = Match(match_id, a, b, self.prompt)
        if match_id not in self.results:
            self.pending.append(match)
            return None
        if self.played is not None:
            self.played.append(match)
        return self.results[match_id]

    def winner(self, match_id: str, a: str, b: str) -> str | None:
        """The winner of a match that needs one: a replay with positions swapped, then a coin."""
        first = self.result(match_id, a, b)
        if first is None or first in _DECISIVE:
            return None if first is None else (a if first == Outcome.A else b)
        second = self.result(f"{match_id}/swap", b, a)
        if second is None or second in _DECISIVE:
            return None if second is None else (b if second == Outcome.A else a)
        coin = zlib.crc32(f"{self.state['seed']}/{match_id}".encode()) & 1
        return a if coin == 0 else b


def replay_prompt(state: dict[str, Any], k: int, played: list[Match] | None = None) -> list[Match]:
    """The matches pending on prompt ``k``; the recorded ones are appended to ``played``."""
    run = Replay(state, k, played)
    order = [state["competitors"][i] for i in run.rng.permutation(len(state["competitors"]))]
    _FORMAT[state["format"]](run, order)
    return run.pending


def _single_elimination(run: Replay, order: list[str]) -> None:
    size = 1 << math.ceil(math.log2(len(order)))
    byes = size - len(order)
    # The first ``byes`` entrants go straight to round 2; the rest pair off in round 1.
    field: list[str | None] = [*order[:byes], *_round(run, order[byes:], 1)]
    level = 2
    while len(field) > 1:
        field = _round(run, field, level)
        level += 1


def _round(run: Replay, field: Sequence[str | None], level: int) -> list[str | None]:
    out: list[str | None] = []
    for slot in range(0, len(field) - 1, 2):
        a, b = field[slot], field[slot + 1]
        out.append(
            None if a is None or b is None else run.winner(f"{run.k}/se/{level}/{slot // 2}", a, b)
        )
    return out


def _merge_sort(run: Replay, order: list[str]) -> None:
    runs: list[list[str] | None] = [[name] for name in order]
    level = 0
    while len(runs) > 1:
        merged: list[list[str] | None] = []
        for slot in range(0, len(runs), 2):
            if slot + 1 == len(runs):
                merged.append(runs[slot])
                continue
            left, right = runs[slot], runs[slot + 1]
            prefix = f"{run.k}/ms/{level}/{slot // 2}"
            merged.append(
                None if left is None or right is None else _merge(run, left, right, prefix)
            )
        runs, level = merged, level + 1


def _merge(run: Replay, left: list[str], right: list[str], prefix: str) -> list[str] | None:
    """Merge two lists ordered best first; None while a comparison is pending."""
    out: list[str] = []
    i = j = 0
    while i < len(left) and j < len(right):
        winner = run.winner(f"{prefix}/{i + j}", left[i], right[j])
        if winner is None:
            return None
        if winner == left[i]:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def _swiss(run: Replay, order: list[str]) -> None:
    points = dict.fromkeys(order, 0.0)
    met: set[frozenset[str]] = set()
    for level in range(1, math.ceil(math.log2(len(order))) + 1):
        standing = sorted(order, key=lambda name: -points[name])  # stable: seeded order breaks ties
        if len(standing) % 2:
            points[standing.pop()] += 1.0  # a bye: the last in the standings
        complete = True
        for slot, (a, b) in enumerate(_swiss_pairs(standing, met)):
            met.add(frozenset((a, b)))
            outcome = run.result(f"{run.k}/sw/{level}/{slot}", a, b)
            if outcome is None:
                complete = False
                continue
            share = 1.0 if outcome == Outcome.A else 0.0 if outcome == Outcome.B else 0.5
            points[a] += share
            points[b] += 1.0 - share
        if not complete:
            return


def _swiss_pairs(standing: list[str], met: set[frozenset[str]]) -> list[tuple[str, str]]:
    """Pair down the standings, each with the next one not yet met (or the next at all)."""
    left, pairs = list(standing), []
    while left:
        a = left.pop(0)
        partner = next((b for b in left if frozenset((a, b)) not in met), left[0])
        left.remove(partner)
        pairs.append((a, partner))
    return pairs


def _baseline(run: Replay, order: list[str]) -> None:
    base = run.state["baseline"]
    for slot, name in enumerate(n for n in order if n != base):
        run.result(f"{run.k}/bl/0/{slot}", name, base)


_FORMAT = {
    "single-elimination": _single_elimination,
    "merge-sort": _merge_sort,
    "swiss": _swiss,
    "baseline": _baseline,
}
