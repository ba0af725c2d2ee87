"""Online Elo: closed forms for one game, and agreement with evalica's independent loop."""

from __future__ import annotations

import evalica
import numpy as np
import pandas as pd
import pytest

from ratings.core import Comparisons, Outcome, elo, elo_bootstrap, elo_orderings
from tests.ratings.core.factories import comparisons, random_comparisons


def test_one_win_from_equal_ratings_moves_each_side_by_half_k() -> None:
    result = elo(comparisons([0], [1], [Outcome.A]), k=4.0)
    np.testing.assert_allclose(result.ratings, [1002.0, 998.0])


def test_tie_between_equal_ratings_changes_nothing() -> None:
    for outcome in (Outcome.TIE, Outcome.BOTH_BAD):
        result = elo(comparisons([0], [1], [outcome]))
        np.testing.assert_allclose(result.ratings, [1000.0, 1000.0])


def test_second_game_uses_the_logistic_expectation_on_base_and_scale() -> None:
    base, scale, k = 10.0, 400.0, 32.0
    result = elo(comparisons([0, 1], [1, 0], [Outcome.A, Outcome.A]), base=base, scale=scale, k=k)
    r0, r1 = 1000.0 + k / 2, 1000.0 - k / 2
    expected_1 = 1.0 / (1.0 + base ** ((r0 - r1) / scale))
    r1 += k * (1.0 - expected_1)
    r0 -= k * (1.0 - expected_1)
    np.testing.assert_allclose(result.ratings, [r0, r1])


def test_weight_scales_the_step() -> None:
    heavy = elo(comparisons([0], [1], [Outcome.B], weight=[2.5]), k=4.0)
    np.testing.assert_allclose(heavy.ratings, [1000.0 - 5.0, 1000.0 + 5.0])


def test_initial_rating_is_a_parameter() -> None:
    result = elo(comparisons([0], [1], [Outcome.TIE], n_items=3), initial=1500.0)
    np.testing.assert_allclose(result.ratings, [1500.0, 1500.0, 1500.0])


def test_matches_evalica_naive_loop_on_random_votes() -> None:
    c = random_comparisons(np.random.default_rng(7), 12, 3000, ties=0.3)
    winners = {
        Outcome.A: evalica.Winner.X,
        Outcome.B: evalica.Winner.Y,
        Outcome.TIE: evalica.Winner.Draw,
    }
    reference = (
        evalica.elo(
            [c.names[i] for i in c.a],
            [c.names[j] for j in c.b],
            [winners[Outcome(o)] for o in c.outcome],
            index=pd.Index(list(c.names)),
            initial=1000.0,
            base=10.0,
            scale=400.0,
            k=4.0,
            solver="naive",
        )
        .scores.reindex(list(c.names))
        .to_numpy()
    )
    np.testing.assert_allclose(elo(c).ratings, reference, rtol=1e-12)


def test_order_argument_applies_rows_in_that_order() -> None:
    c = random_comparisons(np.random.default_rng(1), 5, 50)
    order = np.arange(c.n_comparisons)[::-1]
    reversed_rows = type(c)(
        names=c.names, a=c.a[order], b=c.b[order], outcome=c.outcome[order], weight=c.weight[order]
    )
    np.testing.assert_allclose(elo(c, order=order).ratings, elo(reversed_rows).ratings)


def test_rejects_a_base_not_above_one() -> None:
    with pytest.raises(ValueError, match="base"):
        elo(comparisons([0], [1], [Outcome.A]), base=1.0)


def test_elo_bootstrap_is_reproducible_and_contains_the_point() -> None:
    c = random_comparisons(np.random.default_rng(3), 6, 300)
    first = elo_bootstrap(c, n_resamples=20, rng=11)
    second = elo_bootstrap(c, n_resamples=20, rng=11)
    point = elo(c).ratings
    np.testing.assert_array_equal(first.low, second.low)
    np.testing.assert_array_equal(first.high, second.high)
    assert np.all(first.low <= point)
    assert np.all(point <= first.high)


def _plain_elo(
    a: list[int], b: list[int], points: list[float], n_items: int, *, k: float
) -> list[float]:
    """One Elo pass written out in plain Python, base 10 and scale 400 from 1000."""
    ratings = [1000.0] * n_items
    for i, j, s in zip(a, b, points, strict=True):
        expected = 1.0 / (1.0 + 10.0 ** ((ratings[j] - ratings[i]) / 400.0))
        ratings[i] += k * (s - expected)
        ratings[j] -= k * (s - expected)
    return ratings


def test_mean_over_orderings_equals_a_plain_loop_over_the_same_permutations() -> None:
    c = random_comparisons(np.random.default_rng(11), 8, 300, ties=0.2)
    n_orderings, seed = 1000, 5
    result = elo_orderings(c, n_orderings=n_orderings, rng=seed, k=4.0)
    gen = np.random.default_rng(seed)
    points = [1.0 if o == Outcome.A else 0.0 if o == Outcome.B else 0.5 for o in c.outcome]
    runs = []
    for _ in range(n_orderings):
        order = gen.permutation(c.n_comparisons).tolist()
        runs.append(
            _plain_elo(
                [int(c.a[t]) for t in order],
                [int(c.b[t]) for t in order],
                [points[t] for t in order],
                c.n_items,
                k=4.0,
            )
        )
    np.testing.assert_allclose(result.ratings, np.mean(runs, axis=0), atol=1e-9)
    np.testing.assert_allclose(result.samples, runs, atol=1e-9)
    np.testing.assert_allclose(result.low, np.percentile(runs, 2.5, axis=0), atol=1e-9)
    np.testing.assert_allclose(result.high, np.percentile(runs, 97.5, axis=0), atol=1e-9)


def test_each_ordering_is_one_elo_pass_in_that_order() -> None:
    c = random_comparisons(np.random.default_rng(12), 5, 200, ties=0.3)
    result = elo_orderings(c, n_orderings=7, rng=np.random.default_rng(3))
    gen = np.random.default_rng(3)
    for row in result.samples:
        np.testing.assert_allclose(
            row, elo(c, order=gen.permutation(c.n_comparisons)).ratings, atol=1e-9
        )


def test_orderings_do_not_depend_on_the_file_order_beyond_the_permutations() -> None:
    """Sorted by pair, one pass is an artefact of the order; the mean over orderings of the
    sorted and of the shuffled file agree to within the spread of the orderings."""
    c = random_comparisons(np.random.default_rng(13), 6, 600, ties=0.1)
    order = np.lexsort((c.b, c.a))
    sorted_c = Comparisons(
        names=c.names, a=c.a[order], b=c.b[order], outcome=c.outcome[order], weight=c.weight
    )
    one_pass = elo(sorted_c).ratings - elo(c).ratings
    mean_sorted = elo_orderings(sorted_c, n_orderings=400, rng=1).ratings
    mean_file = elo_orderings(c, n_orderings=400, rng=2).ratings
    gap = mean_sorted - mean_file
    assert np.max(np.abs(gap)) < np.max(np.abs(one_pass)) / 3


def test_orderings_need_at_least_one() -> None:
    with pytest.raises(ValueError, match="n_orderings"):
        elo_orderings(random_comparisons(np.random.default_rng(0), 3, 10), n_orderings=0)
