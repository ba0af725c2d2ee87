"""Simultaneous intervals, rank intervals and the leader's group: coverage and the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.special import expit

from ratings.core import bradley_terry, covariance, normal_intervals
from ratings.core.separation import (
    leader_group,
    simultaneous_intervals,
    simultaneous_ranks,
    votes_to_separate,
    win_probability_intervals,
)
from ratings.core.types import Comparisons, Outcome
from ratings.engine.votefile import read_comparisons


def simulate(truth: np.ndarray, m: int, rng: np.random.Generator) -> Comparisons:
    n = truth.size
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    a_wins = rng.random(m) < expit(truth[a] - truth[b])
    return Comparisons(
        names=tuple(f"m{k}" for k in range(n)),
        a=a,
        b=b,
        outcome=np.where(a_wins, Outcome.A, Outcome.B).astype(np.int8),
        weight=np.ones(m),
    )


def test_simultaneous_intervals_cover_every_true_rating_in_95_percent_of_200_runs():
    rng = np.random.default_rng(2024)
    truth = np.linspace(-1.5, 1.5, 12)  # about 520 Elo from first to last
    centred = truth - truth.mean()
    together = one_at_a_time = 0
    for _ in range(200):
        c = simulate(truth, 3000, rng)
        fit = bradley_terry(c, l2=0.0)
        joint = simultaneous_intervals(c, fit)
        single = normal_intervals(c, fit)
        together += bool(np.all((joint.low <= centred) & (centred <= joint.high)))
        one_at_a_time += bool(np.all((single.low <= centred) & (centred <= single.high)))
    print(f"all 12 covered: simultaneous {together}/200, one-at-a-time {one_at_a_time}/200")
    assert together >= 190
    assert one_at_a_time < together  # why the simultaneous set is needed


def test_ranks_bracket_the_point_rank_and_the_leader_group_is_those_with_best_rank_one():
    rng = np.random.default_rng(5)
    truth = np.array([1.0, 0.95, 0.9, 0.0, -0.5, -1.0, -1.5])
    c = simulate(truth, 1500, rng)
    fit = bradley_terry(c, l2=0.0)
    ranks = simultaneous_ranks(simultaneous_intervals(c, fit))
    point = np.argsort(np.argsort(-fit.scores)) + 1
    assert np.all(ranks.upper <= point)
    assert np.all(point <= ranks.lower)
    group = leader_group(ranks)
    assert c.names[int(np.argmax(fit.scores))] in group
    assert set(group) >= {"m0", "m1", "m2"}  # the three near-equal leaders
    assert "m6" not in group


def test_win_probability_intervals_contain_the_point_and_are_symmetric():
    rng = np.random.default_rng(8)
    c = simulate(np.array([0.5, 0.0, -0.5, -1.0]), 800, rng)
    fit = bradley_terry(c, l2=0.0)
    found = win_probability_intervals(fit, covariance(c, fit))
    assert np.all(found.low <= found.probability)
    assert np.all(found.probability <= found.high)
    np.testing.assert_allclose(found.probability + found.probability.T, 1.0)
    np.testing.assert_allclose(found.low, 1.0 - found.high.T)


def test_votes_to_separate_is_zero_once_separated_and_enough_when_the_votes_repeat():
    rng = np.random.default_rng(9)
    truth = np.array([0.0, -0.15, -2.0])
    c = simulate(truth, 2000, rng)
    fit = bradley_terry(c, l2=0.0)
    (top, second, close), (_, _, far) = votes_to_separate(fit, covariance(c, fit), 2000)
    assert far == 0  # 2 log units apart: separated long ago
    assert close > 0
    i, j = c.names.index(top), c.names.index(second)

    def z_of_difference(copies: int) -> float:
        # The same votes repeated: the same fit, an interval shrinking like 1/sqrt(copies).
        rows = np.tile(np.arange(c.n_comparisons), copies)
        more = Comparisons(c.names, c.a[rows], c.b[rows], c.outcome[rows], c.weight[rows])
        cov = covariance(more, bradley_terry(more, l2=0.0))
        return abs(fit.scores[i] - fit.scores[j]) / np.sqrt(cov[i, i] + cov[j, j] - 2 * cov[i, j])

    enough = int(np.ceil((2000 + close) / 2000))
    assert z_of_difference(enough) >= 1.959
    assert z_of_difference(enough - 1) < 1.96  # fewer copies than predicted do not suffice


def test_ko_arena_rank_intervals_and_leader_group(shared_data: Path):
    c = read_comparisons(shared_data / "ko_arena_hard" / "votes.jsonl.gz", weight_field="weight")
    fit = bradley_terry(c)
    ranks = simultaneous_ranks(simultaneous_intervals(c, fit))
    group = leader_group(ranks)
    leader = c.names[int(np.argmax(fit.scores))]
    widths = ranks.lower - ranks.upper
    print(
        f"ko-arena: {len(c.names)} models, leader {leader}, group {group}, "
        f"median rank-interval width {np.median(widths)}"
    )
    assert leader in group
    assert 1 <= len(group) < len(c.names)
    assert np.all(ranks.upper >= 1)
    assert np.all(ranks.lower <= len(c.names))
    assert np.all(ranks.upper <= ranks.lower)


def test_pairs_out_of_reach_have_no_figure_rather_than_an_astronomical_one():
    from ratings.core.separation import OUT_OF_REACH
    from ratings.core.types import BradleyTerryResult

    fit = BradleyTerryResult(
        names=("x", "y", "z"), scores=np.array([1e-9, 0.0, -1.0]), n_iter=1, converged=True
    )
    cov = np.eye(3) * 0.5
    (_, _, tiny), (_, _, clear) = votes_to_separate(fit, cov, 2)
    assert tiny is None  # 1e-9 apart: about 1e18 votes, out of reach
    assert clear is not None
    assert clear < OUT_OF_REACH
