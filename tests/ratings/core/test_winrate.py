"""Win rates: the logistic closed form on the Elo scale and head-to-head counts by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ratings.core import Outcome, predicted_win_rates, win_rate_vs
from tests.ratings.core.factories import comparisons


def test_a_lead_of_one_scale_means_odds_of_base_to_one() -> None:
    rates = predicted_win_rates(("a", "b", "c"), np.array([1400.0, 1000.0, 1000.0]))
    assert rates.matrix[0, 1] == pytest.approx(10 / 11)
    assert rates.matrix[1, 2] == pytest.approx(0.5)
    np.testing.assert_allclose(rates.matrix + rates.matrix.T, 1.0)
    np.testing.assert_allclose(np.diag(rates.matrix), 0.5)


def test_other_base_and_scale() -> None:
    rates = predicted_win_rates(("a", "b"), np.array([0.0, -1.0]), base=np.e, scale=1.0)
    assert rates.matrix[0, 1] == pytest.approx(1 / (1 + np.exp(-1.0)))


def test_win_rate_vs_baseline_predicted_and_observed() -> None:
    c = comparisons(
        [0, 1, 0, 2, 1, 0],
        [1, 0, 1, 0, 2, 2],
        [Outcome.A, Outcome.A, Outcome.TIE, Outcome.B, Outcome.A, Outcome.B],
        weight=[1, 1, 1, 1, 1, 3],
        names=["base", "x", "y"],
    )
    ratings = np.array([1000.0, 1100.0, 900.0])
    rates = win_rate_vs(c, ratings, "base")
    np.testing.assert_allclose(rates.predicted, 1 / (1 + 10 ** ((1000.0 - ratings) / 400.0)))
    # x v base: lost once as B, won once as A, tied once as B: 1.5 points of 3 games
    # y v base: lost once as A, won once as B with weight 3: 3 points of 4 games
    np.testing.assert_allclose(rates.n_games, [0, 3, 4])
    np.testing.assert_allclose(rates.observed[1:], [1.5 / 3, 3 / 4])
    assert np.isnan(rates.observed[0])
    assert rates.baseline == "base"


def test_unknown_baseline_raises() -> None:
    c = comparisons([0], [1], [Outcome.A])
    with pytest.raises(KeyError, match="nobody"):
        win_rate_vs(c, np.zeros(2), "nobody")
