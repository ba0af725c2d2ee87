"""The design's worth against uniform pairing, checked against effective resistances by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from ratings.core.pairing.design import adjacent_variance, uniform_equivalent_votes


def _w(d: float) -> float:
    p = float(expit(d))
    return p * (1 - p)


def test_three_competitors_match_the_series_parallel_resistance():
    scores = np.array([1.0, 0.0, -1.5])
    votes = np.array([[0, 40, 10], [40, 0, 25], [10, 25, 0]], dtype=float)
    c01, c02, c12 = 40 * _w(1.0), 10 * _w(2.5), 25 * _w(1.5)
    r01 = 1 / (c01 + 1 / (1 / c02 + 1 / c12))
    r12 = 1 / (c12 + 1 / (1 / c01 + 1 / c02))
    assert adjacent_variance(scores, votes) == pytest.approx((r01 + r12) / 2, rel=1e-10)


def test_uniform_pairing_is_worth_its_own_votes():
    scores = np.linspace(2, -2, 6)
    votes = np.full((6, 6), 7.0)
    np.fill_diagonal(votes, 0)
    assert uniform_equivalent_votes(scores, votes) == pytest.approx(votes.sum() / 2, rel=1e-10)


def test_votes_on_neighbours_are_worth_more_than_uniform_when_ratings_are_spread():
    scores = np.linspace(4, -4, 8)
    votes = np.zeros((8, 8))
    for k in range(7):
        votes[k, k + 1] = votes[k + 1, k] = 50
    assert uniform_equivalent_votes(scores, votes) > 1.5 * 350


def test_a_disconnected_design_has_no_estimate():
    votes = np.zeros((4, 4))
    votes[0, 1] = votes[1, 0] = votes[2, 3] = votes[3, 2] = 10
    assert uniform_equivalent_votes(np.zeros(4), votes) is None
    assert adjacent_variance(np.zeros(4), votes) == float("inf")
