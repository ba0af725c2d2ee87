"""How far any pairing policy could beat uniform pairing, by the normal approximation.

An oracle that knows the true scores chooses how many votes each pair gets, to maximise the
expected Kendall τ of the Bradley–Terry estimate. In the normal approximation the estimate's
covariance is the inverse Fisher information ``(Σ_pairs n_ij w_ij (e_i − e_j)(e_i − e_j)ᵀ)⁺``
with ``w_ij = (1 − ties) p_ij (1 − p_ij)``, and the chance that pair (i, j) comes out in the
wrong order is ``Φ(−|s_i − s_j| / σ_ij)``. Uniform pairing's votes to a target τ are found by
bisection; the oracle's allocation at a fraction of them by exponentiated-gradient ascent on
the simplex. No policy that must learn the scores can do better than the oracle, so when the
oracle's τ at half the votes is below the target, a factor of two is out of reach for the
model simulated (prompt noise, ignored here, only makes it harder).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import expit
from scipy.stats import norm

from ratings.core.pairing.policies import pairs_of

PER_ELO = math.log(10) / 400
_BISECTION_RATIO = 1.01  # stop when the bracket is within 1%


def _fisher_pinv(n: int, i: np.ndarray, j: np.ndarray, info: np.ndarray) -> np.ndarray:
    h = np.zeros((n, n))
    np.add.at(h, (i, j), -info)
    np.add.at(h, (j, i), -info)
    h[np.diag_indices(n)] = -h.sum(axis=1)
    return np.linalg.pinv(h, hermitian=True)


def expected_tau(scores: np.ndarray, votes: np.ndarray, tie_rate: float) -> float:
    """Expected Kendall τ of the estimate after ``votes[k]`` votes on pair k."""
    n = scores.size
    i, j = pairs_of(n)
    p = expit(scores[i] - scores[j])
    cov = _fisher_pinv(n, i, j, votes * (1 - tie_rate) * p * (1 - p))
    sd = np.sqrt(np.maximum(cov[i, i] + cov[j, j] - 2 * cov[i, j], 1e-300))
    wrong = norm.cdf(-np.abs(scores[i] - scores[j]) / sd).sum()
    return float(1.0 - 4.0 * wrong / (n * (n - 1)))


def uniform_votes_to(scores: np.ndarray, target: float, tie_rate: float) -> float:
    """Votes uniform pairing needs for an expected τ of ``target`` (to 1%)."""
    shape = np.ones(scores.size * (scores.size - 1) // 2)
    low, high = 10.0, 1e7
    while high / low > _BISECTION_RATIO:
        mid = math.sqrt(low * high)
        if expected_tau(scores, shape * mid / shape.size, tie_rate) >= target:
            high = mid
        else:
            low = mid
    return high


def oracle_tau(scores: np.ndarray, budget: float, tie_rate: float, steps: int = 200) -> float:
    """The best expected τ any allocation of ``budget`` votes reaches (exponentiated gradient)."""
    n = scores.size
    i, j = pairs_of(n)
    d = np.abs(scores[i] - scores[j])
    p = expit(scores[i] - scores[j])
    w = (1 - tie_rate) * p * (1 - p)
    x = np.full(i.size, budget / i.size)
    for _ in range(steps):
        cov = _fisher_pinv(n, i, j, x * w)
        var = np.maximum(cov[i, i] + cov[j, j] - 2 * cov[i, j], 1e-300)
        z = d / np.sqrt(var)
        g = norm.pdf(z) * z / (2 * var)  # d(wrong)/d(variance) of each pair
        lap = np.zeros((n, n))
        np.add.at(lap, (i, j), -g)
        np.add.at(lap, (j, i), -g)
        lap[np.diag_indices(n)] = -lap.sum(axis=1)
        m = cov @ lap @ cov
        gain = w * (m[i, i] + m[j, j] - 2 * m[i, j])  # fewer wrong pairs per extra vote
        x *= np.exp(0.5 * gain / gain.max())
        x *= budget / x.sum()
    return expected_tau(scores, x, tie_rate)


def bound(elo: np.ndarray, tie_rate: float, target: float = 0.9) -> dict[str, Any]:
    """Uniform's votes to ``target`` and the oracle's τ at 1.5× and 2× fewer votes."""
    scores = (elo - elo.mean()) * PER_ELO
    uniform = uniform_votes_to(scores, target, tie_rate)
    return {
        "target": target,
        "uniform_votes": uniform,
        "oracle_tau": {str(f): oracle_tau(scores, uniform / f, tie_rate) for f in (1.5, 2.0)},
    }
