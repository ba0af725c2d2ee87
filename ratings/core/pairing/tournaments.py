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

from collections.abc import Sequence
from typing import Any

import numpy as np

from ratings.core.pairing.brackets import Match, replay_prompt
from ratings.core.types import Comparisons, Outcome

FORMATS = ("single-elimination", "merge-sort", "swiss", "baseline")
_OUTCOMES = {int(o) for o in Outcome}


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
    """The matches that can be played now, over all prompts, in a deterministic order.

    Parameters
    ----------
    state : dict
        A state from :func:`bracket_start`, :func:`bracket_record` or :func:`bracket_record_many`.

    Returns
    -------
    list of Match
        Every match whose two sides are known and whose result is not recorded yet; empty when
        the tournament is over.
    """
    pending: list[Match] = []
    for k in range(len(state["prompts"])):
        pending.extend(replay_prompt(state, k))
    return pending


def bracket_record(state: dict[str, Any], match_id: str, outcome: int) -> dict[str, Any]:
    """The state with one more result; unchanged if ``match_id`` was recorded already.

    Parameters
    ----------
    state : dict
        The current state (not modified).
    match_id : str
        The id of a pending match.
    outcome : int
        An :class:`Outcome` value, as seen by the match's ``a`` (shown as A).

    Returns
    -------
    dict
        A new state; the same object when the match was recorded before (the first result
        stands).

    Raises
    ------
    ValueError
        If the outcome is not an :class:`Outcome` value or the match is not pending.
    """
    if int(outcome) not in _OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    if match_id in state["results"]:
        return state
    if match_id not in {m.id for m in replay_prompt(state, _prompt_index(state, match_id))}:
        raise ValueError(f"match {match_id!r} is not pending")
    return {**state, "results": {**state["results"], match_id: int(outcome)}}


def bracket_record_many(state: dict[str, Any], outcomes: dict[str, int]) -> dict[str, Any]:
    """:func:`bracket_record` for several matches pending together (one replay per prompt).

    Parameters
    ----------
    state : dict
        The current state (not modified).
    outcomes : dict of str to int
        Outcome by match id; ids already recorded are ignored (their first result stands).

    Returns
    -------
    dict
        The new state, or ``state`` itself when nothing new was recorded.

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
    pending = {m.id for k in prompts for m in replay_prompt(state, k)}
    if not set(new) <= pending:
        raise ValueError(f"match {sorted(set(new) - pending)[0]!r} is not pending")
    return {**state, "results": {**state["results"], **new}} if new else state


def bracket_done(state: dict[str, Any]) -> bool:
    """Whether every prompt's tournament is over (no match is pending).

    Parameters
    ----------
    state : dict
        The current state.

    Returns
    -------
    bool
    """
    return not bracket_pending(state)


def bracket_matches(state: dict[str, Any]) -> list[tuple[Match, int]]:
    """Every recorded match with its outcome, in the order of the bracket.

    Parameters
    ----------
    state : dict
        The current state.

    Returns
    -------
    list of (Match, int)
        The matches played so far, replays of ties included, each with its outcome.
    """
    out: list[tuple[Match, int]] = []
    for k in range(len(state["prompts"])):
        played: list[Match] = []
        replay_prompt(state, k, played)
        out.extend((m, state["results"][m.id]) for m in played)
    return out


def bracket_comparisons(state: dict[str, Any]) -> Comparisons:
    """The recorded matches as votes (one each, prompt column set), for Bradley–Terry.

    Parameters
    ----------
    state : dict
        The current state.

    Returns
    -------
    Comparisons
        One row per recorded match, weight 1, ``prompt`` indexing ``state["prompts"]``; fit
        them with :func:`ratings.core.bradley_terry` for the tournament's final ranking.
    """
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


__all__ = [
    "FORMATS",
    "Match",
    "bracket_comparisons",
    "bracket_done",
    "bracket_matches",
    "bracket_pending",
    "bracket_record",
    "bracket_record_many",
    "bracket_start",
]
