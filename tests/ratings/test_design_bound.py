"""The oracle bound on pairing: closed form for two competitors, and no worse than uniform."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import norm

from ratings.lab.design_bound import expected_tau, oracle_tau, uniform_votes_to


def test_two_competitors_match_the_closed_form():
    d, votes, ties = 0.3, 200.0, 0.25
    w = (1 - ties) * expit(d) * (1 - expit(d))
    wrong = norm.cdf(-d * np.sqrt(votes * w))
    assert expected_tau(np.array([d / 2, -d / 2]), np.array([votes]), ties) == pytest.approx(
        1 - 2 * wrong
    )


def test_oracle_is_at_least_as_good_as_uniform_and_uniform_reaches_its_target():
    scores = np.linspace(1.0, -1.0, 10)
    votes = uniform_votes_to(scores, 0.8, 0.25)
    uniform = np.full(45, votes / 45)
    assert expected_tau(scores, uniform, 0.25) >= 0.8
    assert expected_tau(scores, uniform / 1.1, 0.25) < 0.8
    assert oracle_tau(scores, votes, 0.25, steps=50) >= expected_tau(scores, uniform, 0.25)
