"""The pairing state as data: what a published Bradley–Terry run leaves for the battle service."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from arena import selectors as arena_selectors
from arena.models import Competitor, CompetitorStrength, Completion
from arena.selectors import UNRATED_SD, pairing_state_for_arena
from arena.services.battles import BattleFilter, battles_serve
from arena.services.pairing_state import pairing_state_replace
from arena.voters import Voter
from leaderboards import services
from leaderboards.models import Leaderboard, RatingRun
from leaderboards.selectors import comparisons_for_leaderboard
from ratings.core import bradley_terry, covariance
from ratings.core.pairing.policies import POLICY, PairingState, pairs_of

pytestmark = pytest.mark.django_db

_Z95 = 1.959963984540054


def _run_bt(slug: str = "all") -> RatingRun:
    services.leaderboards_check(enqueue=False)
    run = RatingRun.objects.get(leaderboard__slug=slug, method="bt")
    assert services.rating_run_execute(run_id=run.id, task_id=f"t-{slug}") == "done"
    run.refresh_from_db()
    return run


def _stored(arena) -> dict[int, tuple[float, float]]:
    return arena_selectors.competitor_strengths_for_arena(arena)


def _served(arena, policy: str, seed: int, judge) -> dict[tuple[int, int], float]:
    battles = battles_serve(
        arena=arena,
        voter=Voter(judge=judge),
        count=60,
        restrict=BattleFilter(policy=policy),
        rng=random.Random(seed),
    )
    assert len(battles) == 60
    return {
        tuple(sorted((b.competitor_a_id, b.competitor_b_id))): b.pair_probability for b in battles
    }


def _by_hand(ids: list[int], scores, variances, counts, policy: str) -> dict:
    """The core policy on a state built by hand: scores centred over ``ids``."""
    n = len(ids)
    votes = np.zeros((n, n))
    for (a, b), count in counts.items():
        votes[ids.index(a), ids.index(b)] = votes[ids.index(b), ids.index(a)] = count
    scores = np.asarray(scores, dtype=np.float64)
    state = PairingState(
        scores=scores - scores.mean(), covariance=np.diag(variances), pair_votes=votes
    )
    first, second = pairs_of(n)
    return {
        (ids[i], ids[j]): float(p)
        for i, j, p in zip(first, second, POLICY[policy](state), strict=True)
    }


def test_a_bt_run_of_the_all_board_stores_the_fits_scores_and_sandwich_variances(
    cast_votes, arena_setup
):
    arena = arena_setup["arena"]
    cast_votes(40)
    run = _run_bt()

    comparisons = comparisons_for_leaderboard(run.leaderboard, run.watermark)
    fit = bradley_terry(comparisons)
    sandwich = np.diag(covariance(comparisons, fit))
    ids = {c.name: c.pk for c in arena_setup["competitors"]}
    stored = _stored(arena)
    assert set(stored) == set(ids.values())
    for k, name in enumerate(fit.names):
        score, variance = stored[ids[name]]
        assert abs(score - fit.scores[k]) < 1e-9
        assert abs(variance - sandwich[k]) < 1e-9
    assert abs(sum(score for score, _ in stored.values())) < 1e-9  # centred log-strengths
    rows = CompetitorStrength.objects.filter(arena=arena)
    assert {(r.watermark, r.run_id) for r in rows} == {(run.watermark, run.pk)}

    # Not the variances the board's (bootstrap) intervals imply: those were the old state.
    per_point = math.log(10) / 400
    for row in run.result["competitors"]:
        from_ci = ((row["ci_high"] - row["ci_low"]) / (2 * _Z95) * per_point) ** 2
        assert stored[ids[row["name"]]][1] != pytest.approx(from_ci, rel=1e-3)


def test_other_runs_leave_the_pairing_state_alone(cast_votes, arena_setup):
    arena = arena_setup["arena"]
    cast_votes(30)
    services.leaderboards_check(enqueue=False)
    others = RatingRun.objects.filter(method__in=["elo", "bt"]).exclude(
        leaderboard__slug="all", method="bt"
    )
    assert others.filter(leaderboard__slug="all").exists()  # elo on the all board
    assert others.filter(method="bt").exists()  # bt on the crowd board
    for run in others:
        services.rating_run_execute(run_id=run.id, task_id=f"t-{run.pk}")
    assert RatingRun.objects.filter(status="done").exists()
    assert _stored(arena) == {}
    run = _run_bt()
    assert set(CompetitorStrength.objects.values_list("run_id", flat=True)) == {run.pk}


def test_an_older_run_does_not_replace_a_newer_state(arena_setup):
    arena = arena_setup["arena"]
    a, b, _ = arena_setup["competitors"]
    assert pairing_state_replace(arena=arena, strengths={a.pk: (0.5, 0.1)}, watermark=9, run_id=2)
    assert not pairing_state_replace(
        arena=arena, strengths={b.pk: (0.2, 0.3)}, watermark=8, run_id=5
    )
    assert _stored(arena) == {a.pk: (0.5, 0.1)}
    assert pairing_state_replace(arena=arena, strengths={b.pk: (0.2, 0.3)}, watermark=9, run_id=3)
    assert _stored(arena) == {b.pk: (0.2, 0.3)}


@pytest.mark.parametrize("policy", ["information", "ci-reduction"])
def test_served_probabilities_come_from_the_stored_state(cast_votes, arena_setup, judge, policy):
    arena = arena_setup["arena"]
    cast_votes(40)
    _run_bt()
    stored = _stored(arena)
    ids = sorted(c.pk for c in arena_setup["competitors"])
    counts = arena_selectors.pair_vote_counts(arena)
    expected = _by_hand(
        ids, [stored[c][0] for c in ids], [stored[c][1] for c in ids], counts, policy
    )
    served = _served(arena, policy, seed=11, judge=judge)
    assert set(served) <= set(expected)
    for pair, probability in served.items():
        assert probability == pytest.approx(expected[pair], rel=1e-9, abs=1e-12)


def test_a_competitor_without_stored_state_counts_as_unrated(cast_votes, arena_setup, judge):
    arena = arena_setup["arena"]
    cast_votes(40)
    _run_bt()
    newcomer = Competitor.objects.create(name="Newcomer")
    for prompt in arena_setup["prompts"]:
        Completion.objects.create(prompt=prompt, competitor=newcomer, text=f"new {prompt.pk}")
    arena.competitors.add(newcomer)
    stored = _stored(arena)
    assert newcomer.pk not in stored

    ids = sorted([c.pk for c in arena_setup["competitors"]] + [newcomer.pk])
    counts = arena_selectors.pair_vote_counts(arena)
    state = pairing_state_for_arena(arena, ids, counts)
    k = ids.index(newcomer.pk)
    assert state.covariance is not None
    assert state.covariance[k, k] == UNRATED_SD**2
    raw = [stored.get(c, (0.0, 0.0))[0] for c in ids]
    assert state.scores[k] == pytest.approx(-np.mean(raw), abs=1e-12)  # average, then centred

    variances = [stored[c][1] if c in stored else UNRATED_SD**2 for c in ids]
    expected = _by_hand(ids, raw, variances, counts, "information")
    served = _served(arena, "information", seed=3, judge=judge)
    assert any(newcomer.pk in pair for pair in served)
    for pair, probability in served.items():
        assert probability == pytest.approx(expected[pair], rel=1e-9)


def test_before_any_run_the_policies_see_no_covariance(arena_setup):
    arena = arena_setup["arena"]
    ids = sorted(c.pk for c in arena_setup["competitors"])
    state = pairing_state_for_arena(arena, ids, {})
    assert state.covariance is None
    assert state.scores.tolist() == [0.0, 0.0, 0.0]
    assert Leaderboard.objects.filter(arena=arena).count() == 0
