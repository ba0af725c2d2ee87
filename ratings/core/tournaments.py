"""Tournament formats for judges: a pure, deterministic state machine per prompt.

Formats, each played independently on every prompt:

- ``single-elimination``: random seeding, byes to the first entrants when the field is not a
  power of two, N − 1 matches per prompt (Varco Arena);
- ``merge-sort``: a bottom-up merge sort of a random initial order, about N log₂ N matches per
  prompt (PairS);
- ``swiss``: ⌈log₂ N⌉ rounds, each pairing neighbours in the standings (wins, a tie ½) who have
  not met yet; an odd one out gets a bye worth a win;
- ``baseline``: every competitor against one baseline (the first competitor unless named), N − 1
  matches per prompt, as in arena-hard.

A match an elimination or a sort needs a winner of (single-elimination, merge-sort) that ends in
a tie (or both bad) is replayed once with the positions swapped; a second tie is settled by a
coin seeded from the tournament's seed and the match id. Swiss and baseline record ties as they
are.

API (the web app drives a tournament with it; every function is pure)::

    state = bracket_start("single-elimination", competitors, prompts, seed)
    while not bracket_done(state):
        for match in bracket_pending(state):      # Match(id, a, b, prompt), a shown as A
            state = bracket_record(state, match.id, outcome)   # outcome: an Outcome value
        # or, for a batch of pending matches: bracket_record_many(state, {id: outcome, ...})
    comparisons = bracket_comparisons(state)      # every recorded match, one vote each
    ranking = bradley_terry(comparisons)          # the final ranking

``state`` is a plain dict of JSON types (``json.dumps`` it to store it): the format, the
competitors, the prompts, the seed, the baseline and the recorded outcomes by match id. Every
other fact (the bracket, who plays next) is replayed from those, so the pending matches of a
state never depend on the order in which results came in. Match ids are deterministic strings
(``"<prompt index>/<format>/<round or level>/<slot>[/swap]"``). Recording a match that is not
pending raises ValueError; recording a match already recorded returns the state unchanged (the
first result stands), so a retried judge call cannot play a match twice.

The final ranking is the usual Bradley–Terry fit over all the recorded matches, ties as half a
win each, replays included (:func:`bracket_comparisons`), not a placement by rounds survived.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ratings.core.types import Comparisons, Outcome

FORMATS = ("single-elimination", "merge-sort", "swiss", "baseline")
_DECISIVE = {int(Outcome.A), int(Outcome.B)}
_OUTCOMES = {int(o) for o in Outcome}


@dataclass(frozen=True, slots=True)
class Match:
    """One judge call: competitor ``a`` (shown as A) against ``b`` on ``prompt``."""

    id: str
    a: str
    b: str
    prompt: str


def bracket_start(
    format: str,
    competitors: Sequence[str],
    prompts: Sequence[str],
    seed: int,
    *,
    baseline: str | None = None,
) -> dict[str, Any]:
    """A new tournament: a JSON-ready state with nothing recorded.

    Parameters
    ----------
    format : {"single-elimination", "merge-sort", "swiss", "baseline"}
        The format, played on every prompt.
    competitors : sequence of str
        At least two distinct names.
    prompts : sequence of str
        At least one prompt key.
    seed : int
        Seeds the draws (seeding, initial order, coins); the same seed replays the same bracket.
    baseline : str, optional
        The baseline of ``format="baseline"``; by default the first competitor.

    Returns
    -------
    dict
        The state.

    Raises
    ------
    ValueError
        For an unknown format, fewer than two or repeated competitors, no prompts, or a
        baseline that is not a competitor.

    References
    ----------
    S. Son et al., "Varco Arena: a tournament approach to reference-free benchmarking large
    language models", 2024, arXiv:2411.01281. Y. Liu et al., "Aligning with human judgement:
    the role of pairwise preference in large language model evaluators" (PairS), COLM 2024,
    arXiv:2403.16950. T. Li et al., "From crowdsourced data to high-quality benchmarks:
    Arena-Hard and BenchBuilder pipeline", 2024, arXiv:2406.11939.
    """
    names = [str(c) for c in competitors]
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    if len(names) < 2 or len(set(names)) != len(names):  # noqa: PLR2004
        raise ValueError("need at least two distinct competitors")
    if not prompts:
        raise ValueError("need at least one prompt")
    if baseline is not None and baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not a competitor")
    return {
        "format": format,
        "competitors": names,
        "prompts": [str(p) for p in prompts],
        "seed": int(seed),
        "baseline": names[0] if baseline is None else baseline,
        "results": {},
    }


def bracket_pending(state: dict[str, Any]) -> list[Match]:
    """The matches that can be played now, over all prompts, in a deterministic order."""
    pending: list[Match] = []
    for k in range(len(state["prompts"])):
        pending.extend(_replay(state, k))
    return pending


def bracket_record(state: dict[str, Any], match_id: str, outcome: int) -> dict[str, Any]:
    """The state with one more result; unchanged if ``match_id`` was recorded already.

    Raises
    ------
    ValueError
        If the outcome is not an :class:`Outcome` value or the match is not pending.
    """
    if int(outcome) not in _OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    if match_id in state["results"]:
        return state
    if match_id not in {m.id for m in _replay(state, _prompt_index(state, match_id))}:
        raise ValueError(f"match {match_id!r} is not pending")
    return {**state, "results": {**state["results"], match_id: int(outcome)}}


def bracket_record_many(state: dict[str, Any], outcomes: dict[str, int]) -> dict[str, Any]:
    """:func:`bracket_record` for several matches pending together (one replay per prompt).

    Raises
    ------
    ValueError
        If an outcome is not an :class:`Outcome` value or a match is neither pending nor
        recorded; then nothing is recorded.
    """
    new = {m: int(o) for m, o in outcomes.items() if m not in state["results"]}
    if any(o not in _OUTCOMES for o in new.values()):
        raise ValueError("unknown outcome")
    prompts = {_prompt_index(state, m) for m in new}
    pending = {m.id for k in prompts for m in _replay(state, k)}
    if not set(new) <= pending:
        raise ValueError(f"match {sorted(set(new) - pending)[0]!r} is not pending")
    return {**state, "results": {**state["results"], **new}} if new else state


def bracket_done(state: dict[str, Any]) -> bool:
    """Whether every prompt's tournament is over."""
    return not bracket_pending(state)


def bracket_matches(state: dict[str, Any]) -> list[tuple[Match, int]]:
    """Every recorded match with its outcome, in the order of the bracket."""
    out: list[tuple[Match, int]] = []
    for k in range(len(state["prompts"])):
        played: list[Match] = []
        _replay(state, k, played)
        out.extend((m, state["results"][m.id]) for m in played)
    return out


def bracket_comparisons(state: dict[str, Any]) -> Comparisons:
    """The recorded matches as votes (one each, prompt column set), for Bradley–Terry."""
    names = tuple(state["competitors"])
    index = {name: k for k, name in enumerate(names)}
    played = bracket_matches(state)
    prompts = {p: k for k, p in enumerate(state["prompts"])}
    return Comparisons(
        names=names,
        a=np.array([index[m.a] for m, _ in played], dtype=np.intp),
        b=np.array([index[m.b] for m, _ in played], dtype=np.intp),
        outcome=np.array([o for _, o in played], dtype=np.int8),
        weight=np.ones(len(played)),
        prompt=np.array([prompts[m.prompt] for m, _ in played], dtype=np.intp),
        prompt_names=tuple(state["prompts"]),
    )


def _prompt_index(state: dict[str, Any], match_id: str) -> int:
    head = match_id.split("/", 1)[0]
    if not head.isdigit() or int(head) >= len(state["prompts"]):
        raise ValueError(f"match {match_id!r} is not pending")
    return int(head)


class _Replay:
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


def _replay(state: dict[str, Any], k: int, played: list[Match] | None = None) -> list[Match]:
    run = _Replay(state, k, played)
    order = [state["competitors"][i] for i in run.rng.permutation(len(state["competitors"]))]
    _FORMAT[state["format"]](run, order)
    return run.pending


def _single_elimination(run: _Replay, order: list[str]) -> None:
    size = 1 << math.ceil(math.log2(len(order)))
    byes = size - len(order)
    # The first ``byes`` entrants go straight to round 2; the rest pair off in round 1.
    field: list[str | None] = [*order[:byes], *_round(run, order[byes:], 1)]
    level = 2
    while len(field) > 1:
        field = _round(run, field, level)
        level += 1


def _round(run: _Replay, field: Sequence[str | None], level: int) -> list[str | None]:
    out: list[str | None] = []
    for slot in range(0, len(field) - 1, 2):
        a, b = field[slot], field[slot + 1]
        out.append(
            None if a is None or b is None else run.winner(f"{run.k}/se/{level}/{slot // 2}", a, b)
        )
    return out


def _merge_sort(run: _Replay, order: list[str]) -> None:
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


def _merge(run: _Replay, left: list[str], right: list[str], prefix: str) -> list[str] | None:
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


def _swiss(run: _Replay, order: list[str]) -> None:
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


def _baseline(run: _Replay, order: list[str]) -> None:
    base = run.state["baseline"]
    for slot, name in enumerate(n for n in order if n != base):
        run.result(f"{run.k}/bl/0/{slot}", name, base)


_FORMAT = {
    "single-elimination": _single_elimination,
    "merge-sort": _merge_sort,
    "swiss": _swiss,
    "baseline": _baseline,
}
