"""Inverse-probability weights keep an adaptively paired Bradley–Terry fit on the uniform target."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from ratings.core import bradley_terry, covariance
from ratings.core.pairing.policies import (
    PairingState,
    information,
    inverse_probability_weights,
    pair_draw,
    pairs_of,
    uniform,
)
from ratings.core.types import Comparisons

N = 6
# A transitive part plus a rock–paper–scissors cycle: no Bradley–Terry model gives these odds.
BASE = np.array([0.9, 0.6, 0.3, 0.0, -0.3, -0.8])
_K = np.arange(N)
CYCLE = 1.2 * np.sin(2 * np.pi * (_K[:, None] - _K[None, :]) / N)
WIN = expit(BASE[:, None] - BASE[None, :] + CYCLE)  # WIN[i, j] = P(i beats j)


def uniform_target() -> np.ndarray:
    """The Bradley–Terry projection of WIN under uniform pairing, by a generic optimiser."""
    i, j = pairs_of(N)

    def loss(t: np.ndarray) -> tuple[float, np.ndarray]:
        d = t[i] - t[j]
        value = -np.sum(WIN[i, j] * log_expit(d) + (1 - WIN[i, j]) * log_expit(-d))
        r = WIN[i, j] - expit(d)
        return float(value), -(np.bincount(i, r, N) - np.bincount(j, r, N))

    res = minimize(loss, np.zeros(N), jac=True, method="BFGS", options={"gtol": 1e-9})
    assert res.success
    return res.x - res.x.mean()


def adaptive_votes(n_votes: int = 20_000, refit: int = 1000) -> tuple[Comparisons, np.ndarray]:
    """Votes paired by `information`, refitted every `refit` votes; and each pair's probability."""
    rng = np.random.default_rng(0)
    names = tuple(map(str, range(N)))
    a = np.zeros(n_votes, np.intp)
    b = np.zeros(n_votes, np.intp)
    outcome = np.zeros(n_votes, np.int8)
    prob = np.zeros(n_votes)
    pair_votes = np.zeros((N, N))
    probs = uniform(PairingState(np.zeros(N), None, pair_votes))
    for t in range(n_votes):
        a[t], b[t], prob[t] = pair_draw(probs, N, rng)
        outcome[t] = 1 if rng.random() < WIN[a[t], b[t]] else 2
        pair_votes[a[t], b[t]] += 1
        pair_votes[b[t], a[t]] += 1
        if (t + 1) % refit == 0:
            votes = Comparisons(names, a[: t + 1], b[: t + 1], outcome[: t + 1], np.ones(t + 1))
            fit = bradley_terry(votes)
            cov = covariance(votes, fit, kind="fisher")
            probs = information(PairingState(fit.scores, cov, pair_votes))
    return Comparisons(names, a, b, outcome, np.ones(n_votes)), prob


def z_scores(votes: Comparisons, target: np.ndarray) -> np.ndarray:
    fit = bradley_terry(votes)
    se = np.sqrt(np.diag(covariance(votes, fit, kind="sandwich")))
    return (fit.scores - target) / se


def test_weighted_fit_stays_on_the_uniform_target_where_the_unweighted_one_drifts():
    target = uniform_target()
    votes, prob = adaptive_votes()
    assert prob.max() / prob.min() > 100  # the policy is far from uniform
    unweighted = z_scores(votes, target)
    weights = inverse_probability_weights(prob, N)
    weighted = z_scores(Comparisons(votes.names, votes.a, votes.b, votes.outcome, weights), target)
    assert np.abs(unweighted).max() > 5  # drifted far outside its interval
    assert np.abs(weighted).max() < 3  # within its (sandwich) interval, every competitor


def test_uniform_pairing_gives_unit_weights_and_rare_pairs_heavy_ones():
    p_uniform = uniform(PairingState(np.zeros(N), None, np.zeros((N, N))))
    np.testing.assert_allclose(inverse_probability_weights(p_uniform, N), 1.0)
    w = inverse_probability_weights(np.array([0.5, 0.02]), N)
    assert w[1] / w[0] == pytest.approx(25.0)
    with pytest.raises(ValueError, match="probability"):
        inverse_probability_weights(np.array([0.0]), N)
