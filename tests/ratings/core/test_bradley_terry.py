"""Bradley–Terry: closed forms, choix as an independent solver, and the documented edge cases."""

from __future__ import annotations

import math

import choix
import numpy as np
import pytest

from ratings.core import (
    AUTO_L2,
    ELO_PER_LOG_UNIT,
    DisconnectedComparisonsError,
    Outcome,
    aggregate,
    bradley_terry,
    bradley_terry_mm,
    to_ratings,
)
from tests.ratings.core.factories import choix_scores, comparisons, random_comparisons


def test_two_competitors_match_the_log_odds_closed_form() -> None:
    wins, losses, ties = 7, 3, 4
    c = comparisons(
        [0] * (wins + losses + ties),
        [1] * (wins + losses + ties),
        [Outcome.A] * wins + [Outcome.B] * losses + [Outcome.TIE] * ties,
    )
    result = bradley_terry(c)
    points = wins + ties / 2
    expected = math.log(points / (wins + losses + ties - points))
    assert result.converged
    assert result.scores[0] - result.scores[1] == pytest.approx(expected, rel=1e-12)
    assert result.scores.sum() == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("weights", [False, True])
def test_agrees_with_choix_on_random_votes_with_ties(weights: bool) -> None:
    c = random_comparisons(np.random.default_rng(5), 15, 2000, ties=0.25, weights=weights)
    result = bradley_terry(c)
    assert result.converged
    assert result.l2 == 0.0
    np.testing.assert_allclose(result.scores, choix_scores(c), atol=1e-9)


def test_agrees_with_choix_optimiser_on_sparse_votes() -> None:
    c = random_comparisons(np.random.default_rng(8), 30, 150, ties=0.0)
    data = [
        (int(i), int(j)) if o == Outcome.A else (int(j), int(i))
        for i, j, o in zip(c.a, c.b, c.outcome, strict=True)
    ]
    reference = choix.opt_pairwise(c.n_items, data, alpha=0.0, method="BFGS", tol=1e-12)
    np.testing.assert_allclose(bradley_terry(c).scores, reference - reference.mean(), atol=1e-5)


def test_weight_counts_like_repeating_the_vote() -> None:
    a, b, o = [0, 1, 2, 0, 2], [1, 2, 0, 2, 1], [1, 1, 1, 2, 3]
    weighted = bradley_terry(comparisons(a, b, o, weight=[3, 1, 1, 2, 1]))
    repeated = bradley_terry(
        comparisons([0, 0, 0, 1, 2, 0, 0, 2], [1, 1, 1, 2, 0, 2, 2, 1], [1, 1, 1, 1, 1, 2, 2, 3])
    )
    np.testing.assert_allclose(weighted.scores, repeated.scores, atol=1e-12)


def test_tie_and_both_bad_count_half_a_win_each() -> None:
    tie = bradley_terry(comparisons([0, 0, 1, 2], [1, 2, 2, 0], [3, 4, 1, 1]))
    halves = bradley_terry(
        comparisons(
            [0, 1, 0, 2, 1, 2, 1, 2],
            [1, 0, 2, 0, 2, 0, 2, 0],
            [1, 1, 1, 1, 1, 1, 1, 1],
            weight=[0.5, 0.5, 0.5, 0.5, 1, 1, 0, 0],
        )
    )
    np.testing.assert_allclose(tie.scores, halves.scores, atol=1e-12)


def test_aggregate_keeps_games_and_points_per_pair() -> None:
    c = random_comparisons(np.random.default_rng(2), 8, 500, weights=True)
    table = aggregate(c)
    games, points = table.totals()
    for p in range(table.n_pairs):
        i, j = table.pair_i[p], table.pair_j[p]
        forward, backward = (c.a == i) & (c.b == j), (c.a == j) & (c.b == i)
        sa = c.score_a() * c.weight
        assert games[p] == pytest.approx(c.weight[forward | backward].sum())
        assert points[p] == pytest.approx(sa[forward].sum() + (c.weight - sa)[backward].sum())
    assert table.cell_count.sum() == c.n_comparisons


def test_disconnected_graph_raises_naming_the_groups() -> None:
    c = comparisons([0, 1, 2, 3], [1, 0, 3, 2], [1, 1, 1, 1], names=["a", "b", "x", "y"])
    with pytest.raises(DisconnectedComparisonsError) as info:
        bradley_terry(c)
    assert sorted(map(sorted, info.value.components)) == [["a", "b"], ["x", "y"]]
    assert "a, b" in str(info.value)


def test_disconnected_graph_is_fitted_when_a_ridge_is_asked_for() -> None:
    c = comparisons([0, 1, 2, 3], [1, 0, 3, 2], [1, 1, 1, 1])
    result = bradley_terry(c, l2=0.1)
    assert result.converged
    np.testing.assert_allclose(result.scores, 0.0, atol=1e-12)


def test_undefeated_competitor_gets_the_automatic_ridge_and_finite_top_score() -> None:
    c = comparisons([0, 0, 1, 2, 1], [1, 2, 2, 1, 0], [1, 1, 1, 1, 2])
    result = bradley_terry(c)
    assert result.l2 == AUTO_L2
    assert result.converged
    assert np.all(np.isfinite(result.scores))
    assert np.argmax(result.scores) == 0
    explicit = bradley_terry(c, l2=AUTO_L2)
    np.testing.assert_allclose(result.scores, explicit.scores)


def test_undefeated_competitor_without_ridge_does_not_converge() -> None:
    c = comparisons([0, 0, 1, 2], [1, 2, 2, 1], [1, 1, 1, 1])
    result = bradley_terry(c, l2=0.0, max_iter=30)
    assert not result.converged


def test_to_ratings_centres_or_anchors_on_the_elo_scale() -> None:
    scores = np.array([0.3, -0.1, -0.2])
    centred = to_ratings(scores)
    assert centred.mean() == pytest.approx(1000.0)
    assert centred[0] - centred[1] == pytest.approx(0.4 * 400.0 / math.log(10.0))
    anchored = to_ratings(scores, anchor=2, rating=1200.0)
    assert anchored[2] == pytest.approx(1200.0)
    np.testing.assert_allclose(anchored - anchored[2], ELO_PER_LOG_UNIT * (scores - scores[2]))


def test_mm_iteration_converges_to_the_maximum_likelihood_estimate() -> None:
    c = random_comparisons(np.random.default_rng(4), 10, 1500)
    mm = bradley_terry_mm(c, tol=1e-12, max_iter=10_000)
    assert mm.converged
    np.testing.assert_allclose(mm.scores, choix_scores(c), atol=1e-8)


def test_mm_reports_non_convergence_within_its_sweep_limit() -> None:
    c = random_comparisons(np.random.default_rng(4), 10, 1500)
    assert not bradley_terry_mm(c, tol=1e-15, max_iter=2).converged
