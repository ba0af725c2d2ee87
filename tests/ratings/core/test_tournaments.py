"""Tournament formats: match counts, tie handling, determinism, idempotence, and the ranking."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ratings.core import bradley_terry
from ratings.core.pairing.tournaments import (
    FORMATS,
    bracket_comparisons,
    bracket_done,
    bracket_matches,
    bracket_pending,
    bracket_record,
    bracket_record_many,
    bracket_start,
)
from ratings.core.types import Outcome

NAMES = [f"c{k:02d}" for k in range(13)]  # not a power of two: byes in the bracket
STRENGTH = {name: -k for k, name in enumerate(NAMES)}  # c00 best


def stronger_wins(match) -> int:
    return int(Outcome.A if STRENGTH[match.a] > STRENGTH[match.b] else Outcome.B)


def play(state, judge=stronger_wins, reverse=False):
    while not bracket_done(state):
        pending = bracket_pending(state)
        for match in reversed(pending) if reverse else pending:
            state = bracket_record(state, match.id, judge(match))
    return state


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("single-elimination", 12), ("baseline", 12), ("swiss", math.ceil(math.log2(13)) * 6)],
)
def test_matches_per_prompt(fmt, expected):
    state = play(bracket_start(fmt, NAMES, ["p"], seed=1))
    assert len(bracket_matches(state)) == expected


def test_merge_sort_sorts_with_at_most_n_log_n_comparisons():
    state = play(bracket_start("merge-sort", NAMES, ["p"], seed=2))
    played = bracket_matches(state)
    assert len(played) <= len(NAMES) * math.ceil(math.log2(len(NAMES)))
    fit = bradley_terry(bracket_comparisons(state), l2=1e-3)
    # A consistent judge and a sort: every adjacent pair of the true order was compared or
    # implied, and the fit reproduces the order exactly.
    assert [NAMES[k] for k in np.argsort(-fit.scores)] == NAMES


def test_single_elimination_champion_is_the_strongest_and_every_match_is_decided_once():
    state = play(bracket_start("single-elimination", NAMES, ["p", "q"], seed=3))
    played = bracket_matches(state)
    assert len({m.id for m, _ in played}) == len(played) == 2 * 12
    winners = {m.id: m.a if outcome == Outcome.A else m.b for m, outcome in played}
    assert all(winners[m.id] == "c00" for m, _ in played if "c00" in (m.a, m.b))
    assert winners["0/se/4/0"] == winners["1/se/4/0"] == "c00"  # the finals


def test_baseline_plays_everyone_against_the_baseline_only():
    state = play(bracket_start("baseline", NAMES, ["p"], seed=0, baseline="c05"))
    played = bracket_matches(state)
    assert all(m.b == "c05" for m, _ in played)
    assert sorted(m.a for m, _ in played) == sorted(n for n in NAMES if n != "c05")


def test_swiss_never_repeats_a_pairing_and_pairs_by_score():
    state = play(bracket_start("swiss", NAMES, ["p"], seed=4))
    pairs = [frozenset((m.a, m.b)) for m, _ in bracket_matches(state)]
    assert len(set(pairs)) == len(pairs)


def test_a_tie_is_replayed_with_positions_swapped_then_settled_by_a_seeded_coin():
    state = bracket_start("single-elimination", ["x", "y"], ["p"], seed=5)
    (first,) = bracket_pending(state)
    state = bracket_record(state, first.id, Outcome.TIE)
    (swap,) = bracket_pending(state)
    assert (swap.a, swap.b) == (first.b, first.a)
    assert swap.id == f"{first.id}/swap"
    state = bracket_record(state, swap.id, Outcome.BOTH_BAD)
    assert bracket_done(state)
    again = bracket_record(
        bracket_record(bracket_start("single-elimination", ["x", "y"], ["p"], 5), first.id, 3),
        swap.id,
        4,
    )
    assert again == state  # the coin is a function of the seed and the match id


def test_recording_twice_changes_nothing_and_unknown_matches_are_refused():
    state = bracket_start("merge-sort", NAMES, ["p"], seed=6)
    match = bracket_pending(state)[0]
    once = bracket_record(state, match.id, Outcome.A)
    assert bracket_record(once, match.id, Outcome.A) is once
    assert bracket_record(once, match.id, Outcome.B) is once  # the first result stands
    with pytest.raises(ValueError, match="not pending"):
        bracket_record(state, "0/ms/5/0/0", Outcome.A)
    with pytest.raises(ValueError, match="not pending"):
        bracket_record(state, "nonsense", Outcome.A)
    with pytest.raises(ValueError, match="outcome"):
        bracket_record(state, match.id, 9)


@pytest.mark.parametrize("fmt", FORMATS)
def test_state_is_json_and_independent_of_the_order_results_arrive_in(fmt):
    forward = play(bracket_start(fmt, NAMES, ["p", "q"], seed=7))
    backward = play(bracket_start(fmt, NAMES, ["p", "q"], seed=7), reverse=True)
    assert forward == backward
    assert json.loads(json.dumps(forward)) == forward
    other = play(bracket_start(fmt, NAMES, ["p", "q"], seed=8))
    if fmt != "baseline":
        drawn = {(m.id, m.a, m.b) for m, _ in bracket_matches(forward)}
        assert drawn != {(m.id, m.a, m.b) for m, _ in bracket_matches(other)}  # seeded draw


def test_bad_starts_are_refused():
    with pytest.raises(ValueError, match="format"):
        bracket_start("round-robin", NAMES, ["p"], 0)
    with pytest.raises(ValueError, match="distinct"):
        bracket_start("swiss", ["a", "a"], ["p"], 0)
    with pytest.raises(ValueError, match="prompt"):
        bracket_start("swiss", NAMES, [], 0)
    with pytest.raises(ValueError, match="baseline"):
        bracket_start("baseline", NAMES, ["p"], 0, baseline="nobody")


def test_recording_a_batch_equals_recording_one_by_one():
    state = bracket_start("swiss", NAMES, ["p", "q"], seed=9)
    pending = bracket_pending(state)
    batch = {m.id: stronger_wins(m) for m in pending}
    one_by_one = state
    for match in pending:
        one_by_one = bracket_record(one_by_one, match.id, batch[match.id])
    assert bracket_record_many(state, batch) == one_by_one
    with pytest.raises(ValueError, match="not pending"):
        bracket_record_many(state, {**batch, "0/sw/2/0": 1})
