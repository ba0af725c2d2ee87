"""The personal board's shrinkage: the arena board with no votes, the voter's own fit with many."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from ratings.core.bradley_terry import bradley_terry
from ratings.core.personal import bradley_terry_shrunk
from ratings.core.types import Comparisons, Outcome


def _votes(strengths: np.ndarray, n: int, rng: np.random.Generator) -> Comparisons:
    k = len(strengths)
    a = rng.integers(0, k, n)
    b = (a + rng.integers(1, k, n)) % k
    p = expit(strengths[a] - strengths[b])
    u = rng.random(n)
    outcome = np.where(u < 0.1, Outcome.TIE, np.where(rng.random(n) < p, Outcome.A, Outcome.B))
    return Comparisons(
        names=tuple(f"m{i}" for i in range(k)),
        a=a.astype(np.intp),
        b=b.astype(np.intp),
        outcome=outcome.astype(np.int8),
        weight=np.ones(n),
    )


def _map_by_scipy(c: Comparisons, prior: np.ndarray, tau: float) -> np.ndarray:
    """The same posterior mode by a general-purpose optimiser, from the raw verdicts."""
    score_a = c.score_a()

    n = c.n_items

    def loss(s: np.ndarray) -> tuple[float, np.ndarray]:
        d = s[c.a] - s[c.b]
        ll = np.sum(score_a * log_expit(d) + (1 - score_a) * log_expit(-d))
        r = score_a - expit(d)
        grad = -(np.bincount(c.a, r, n) - np.bincount(c.b, r, n)) + tau * (s - prior)
        return float(-ll + 0.5 * tau * np.sum((s - prior) ** 2)), grad

    res = minimize(loss, prior.copy(), jac=True, method="BFGS", options={"gtol": 1e-9})
    assert res.success, res.message
    return res.x


def test_with_no_votes_the_personal_board_is_the_arena_board():
    prior = np.array([0.4, -0.1, 0.0, -0.3])
    empty = _votes(prior, 0, np.random.default_rng(0))
    fit = bradley_terry_shrunk(empty, prior, prior_precision=2.0)
    np.testing.assert_array_equal(fit.scores, prior)
    assert np.all(fit.ci_low < prior)
    assert np.all(fit.ci_high > prior)


def test_twenty_votes_match_an_independent_posterior_mode():
    rng = np.random.default_rng(1)
    prior = np.array([0.5, 0.2, 0.0, -0.2, -0.5])
    votes = _votes(np.array([-0.5, 0.0, 0.2, 0.3, 0.6]), 20, rng)
    fit = bradley_terry_shrunk(votes, prior, prior_precision=2.0)
    assert fit.converged
    np.testing.assert_allclose(fit.scores, _map_by_scipy(votes, prior, 2.0), atol=1e-6)


def test_with_many_votes_it_approaches_the_voters_own_fit():
    rng = np.random.default_rng(2)
    own = np.array([-0.6, -0.2, 0.1, 0.3, 0.4])
    prior = -own  # the arena thinks the opposite
    distances = []
    for n in (20, 200, 2000, 20000):
        votes = _votes(own, n, rng)
        fit = bradley_terry_shrunk(votes, prior, prior_precision=2.0)
        own_fit = bradley_terry(votes).scores  # centred; the prior keeps the mean of its scores
        distances.append(float(np.max(np.abs(fit.scores - fit.scores.mean() - own_fit))))
    assert distances == sorted(distances, reverse=True)
    assert distances[-1] < 0.01
    assert distances[0] > 0.1


def test_intervals_narrow_as_votes_grow():
    rng = np.random.default_rng(3)
    prior = np.zeros(4)
    widths = [
        float(np.mean(f.ci_high - f.ci_low))
        for f in (bradley_terry_shrunk(_votes(prior, n, rng), prior) for n in (0, 50, 500))
    ]
    assert widths[0] > widths[1] > widths[2]


def test_bad_prior_is_refused():
    votes = _votes(np.zeros(3), 5, np.random.default_rng(4))
    with pytest.raises(ValueError, match="shape"):
        bradley_terry_shrunk(votes, np.zeros(4))
    with pytest.raises(ValueError, match="positive"):
        bradley_terry_shrunk(votes, np.zeros(3), prior_precision=0.0)
