"""Pairing policies: which two competitors the next vote should compare.

Each policy is a pure function of the latest rating state (no fit per request) returning the
probability of every pair ``(i, j), i < j``; the caller draws from it and stores the drawn
pair's probability, so that the ratings can weight each vote by ``1/p`` (inverse-probability
weighting) and adaptive pairing does not bias them. Every adaptive policy mixes in a floor of
uniform exploration, so no pair's probability is zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from scipy.stats import norm

from ratings.core.types import FloatArray, IntArray

POLICIES = ("uniform", "fewest-votes", "ci-reduction", "information", "ucb")
#: Share of every adaptive policy's probability spread evenly over all pairs.
EXPLORATION = 0.05
#: The floor of :func:`information`: lower, as its weights are smooth and never starve a
#: close pair, yet above zero so that ``1/p`` weights stay bounded (at most 50 × the pair count).
INFORMATION_EXPLORATION = 0.02


@dataclass(frozen=True, slots=True)
class PairingState:
    """What a policy may look at: the latest fit and the votes per pair so far.

    ``scores`` are Bradley–Terry log-strengths; ``covariance`` their covariance (sandwich or
    Fisher; None before the first fit); ``pair_votes[i, j]`` the votes between i and j.
    """

    scores: FloatArray
    covariance: FloatArray | None
    pair_votes: FloatArray

    @property
    def n(self) -> int:
        return int(self.scores.size)


def pairs_of(n: int) -> tuple[IntArray, IntArray]:
    """The pairs ``i < j`` in the order every policy's probabilities use."""
    i, j = np.triu_indices(n, k=1)
    return i.astype(np.intp), j.astype(np.intp)


def _with_floor(weights: FloatArray, exploration: float = EXPLORATION) -> FloatArray:
    weights = np.maximum(weights, 0.0)
    total = weights.sum()
    focused = weights / total if total > 0 else np.full(weights.size, 1.0 / weights.size)
    return (1.0 - exploration) * focused + exploration / weights.size


def _difference_variance(state: PairingState, i: IntArray, j: IntArray) -> FloatArray:
    if state.covariance is None:
        return np.ones(i.size)
    c = state.covariance
    return np.maximum(c[i, i] + c[j, j] - 2.0 * c[i, j], 1e-12)


def uniform(state: PairingState) -> FloatArray:
    """Every pair alike."""
    size = state.n * (state.n - 1) // 2
    return np.full(size, 1.0 / size)


def fewest_votes(state: PairingState) -> FloatArray:
    """Uniform over the pairs with the fewest votes so far (the arena's default rule)."""
    i, j = pairs_of(state.n)
    return fewest_votes_of(state.pair_votes[i, j])


def fewest_votes_of(votes: FloatArray) -> FloatArray:
    """Uniform over the least-voted of the given candidate pairs: :func:`fewest_votes` on any
    subset of the pairs.

    The arena serves from the pairs that share a prompt, not from all pairs, so it calls this
    on theirs; one definition keeps the served rule and the simulated one the same.

    Parameters
    ----------
    votes : array of float, shape (k,)
        Votes so far on each candidate pair; k ≥ 1.

    Returns
    -------
    array of float, shape (k,)
        ``1 / m`` on each of the ``m`` pairs tied for fewest votes, 0 elsewhere.
    """
    least = (votes == votes.min()).astype(np.float64)
    out: FloatArray = least / least.sum()
    return out


def session_balance(
    first: IntArray,
    second: IntArray,
    appearances: FloatArray,
    n_served: int,
    factor: float = 2.0,
) -> NDArray[np.bool_]:
    """Which candidate pairs keep one voter's battles spread over the competitors.

    A policy that is right for the ratings can still show one voter the same few models again
    and again (fewest votes keeps choosing the newest models' pairs). Within a voter's session
    a competitor may appear in at most ``factor`` times its fair share of the battles, ``2 / n``
    of them, counting the next one, and at least once: so the first ``n / 2`` battles show
    ``n`` different competitors. The policy's probabilities are then renormalised over the
    pairs kept; the stored probability of a drawn pair is that renormalised one, which is the
    probability it was drawn with, so ``1 / p`` weighting still holds.

    Parameters
    ----------
    first, second : array of int, shape (k,)
        The competitors of each candidate pair, as indices into ``appearances``.
    appearances : array of float, shape (n,)
        Battles of this session in which each competitor appeared.
    n_served : int
        Battles served in this session so far.
    factor : float, default 2.0
        How many fair shares a competitor may take.

    Returns
    -------
    array of bool, shape (k,)
        True where both competitors stay within their limit after one more battle.
    """
    n = appearances.shape[0]
    if n < 2:  # noqa: PLR2004
        return np.ones(first.shape[0], dtype=np.bool_)
    limit = max(1.0, factor * (2.0 / n) * (n_served + 1))
    within = appearances + 1.0 <= limit + 1e-9
    return np.asarray(within[first] & within[second], dtype=np.bool_)


def ci_reduction(state: PairingState) -> FloatArray:
    """LMArena's rule: ∝ √(Σ_aa/n_a) − √(Σ_aa/(n_a+1)), how much one more vote shrinks the
    interval of pair a; ``Σ_aa/n_a`` is the current variance of the pair's difference.

    References
    ----------
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132, §5.
    """
    i, j = pairs_of(state.n)
    n_a = np.maximum(state.pair_votes[i, j], 1.0)
    sigma = _difference_variance(state, i, j) * n_a
    return _with_floor(np.sqrt(sigma / n_a) - np.sqrt(sigma / (n_a + 1.0)))


def information(state: PairingState) -> FloatArray:
    """Doubt-weighted information: pairs drawn in proportion to ``p(1−p) · Φ(−|d|/σ) · σ``.

    ``d`` is the pair's current score difference and ``σ`` its standard error, so
    ``Φ(−|d|/σ)`` is the chance that the current order of the pair is wrong; ``p(1−p)`` is the
    Fisher information one vote gives about ``d``; and ``σ`` favours the pairs whose difference
    one vote still moves. The weight is largest for close pairs adjacent in the current ranking
    whose order is uncertain, and vanishes for pairs whose order is settled, so votes go where
    they lower the number of pairs ranked wrongly (Kendall's distance). A floor of
    :data:`INFORMATION_EXPLORATION` is spread evenly over all pairs.

    Parameters
    ----------
    state : PairingState
        The latest fit; before the first one (no covariance) every pair is alike.

    Returns
    -------
    array of float, shape (n (n − 1) / 2,)
        The probability of each pair, in the order of :func:`pairs_of`.

    References
    ----------
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132, §5 (the sampling rule this
    refines).
    """
    if state.covariance is None:
        return uniform(state)
    i, j = pairs_of(state.n)
    d = state.scores[i] - state.scores[j]
    p = expit(d)
    sd = np.sqrt(_difference_variance(state, i, j))
    gain = p * (1.0 - p) * norm.cdf(-np.abs(d) / sd) * sd
    return _with_floor(gain, INFORMATION_EXPLORATION)


def ucb(state: PairingState, *, c: float = 1.0) -> FloatArray:
    """K-Sort-style matchmaking: the least certain competitor as pivot, then the opponent with
    the highest closeness-plus-exploration score ``p(1−p) + c·√(log N / (n_pair + 1))``.

    References
    ----------
    Z. Li et al., "K-Sort Arena: efficient and reliable benchmarking for generative models via
    K-wise human preferences", CVPR 2025, arXiv:2408.14468.
    """
    n = state.n
    if state.covariance is None:
        pivot = int(np.argmin(state.pair_votes.sum(axis=1)))
    else:
        pivot = int(np.argmax(np.diag(state.covariance)))
    others = np.array([k for k in range(n) if k != pivot])
    p = expit(state.scores[pivot] - state.scores[others])
    total = max(state.pair_votes.sum() / 2.0, 1.0)
    score = p * (1 - p) + c * np.sqrt(np.log(total + 1.0) / (state.pair_votes[pivot, others] + 1.0))
    best = others[int(np.argmax(score))]
    i, j = pairs_of(n)
    weights = ((i == min(pivot, best)) & (j == max(pivot, best))).astype(float)
    return _with_floor(weights, exploration=0.1)


POLICY: dict[str, Callable[[PairingState], FloatArray]] = {
    "uniform": uniform,
    "fewest-votes": fewest_votes,
    "ci-reduction": ci_reduction,
    "information": information,
    "ucb": ucb,
}


def pair_draw(
    probabilities: FloatArray, n: int, rng: np.random.Generator
) -> tuple[int, int, float]:
    """Draw a pair from a policy's probabilities: ``(i, j, p)`` with ``p`` to store."""
    i, j = pairs_of(n)
    k = int(rng.choice(probabilities.size, p=probabilities))
    return int(i[k]), int(j[k]), float(probabilities[k])


def inverse_probability_weights(probabilities: FloatArray, n: int) -> FloatArray:
    """Each vote's weight ``1 / (p · n_pairs)`` from the probability its pair was drawn with.

    Put in :attr:`Comparisons.weight`, these make the Bradley–Terry fit of adaptively paired
    votes estimate what uniform pairing would (the same pair weights), even when the truth is
    not Bradley–Terry (cyclic or prompt-dependent preferences), where the unweighted fit drifts
    towards the pairs the policy favoured. The scale (uniform pairing gives 1) changes neither
    the point estimate nor the sandwich covariance; use the sandwich, not the Fisher one.

    Parameters
    ----------
    probabilities : array of float
        The stored probability of each vote's pair, as returned by :func:`pair_draw`.
    n : int
        Number of competitors.

    Returns
    -------
    array of float
        The weights.

    Raises
    ------
    ValueError
        If a probability is not in (0, 1].

    References
    ----------
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132, §5, eq. 7 (the reweighted
    estimator; arena-rank's ``reweighted`` option). D. G. Horvitz and D. J. Thompson, JASA 47
    (1952), doi:10.1080/01621459.1952.10483446.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.size and (not np.all(p > 0) or np.any(p > 1)):
        raise ValueError("every pair probability must be in (0, 1]")
    out: FloatArray = 1.0 / (p * (n * (n - 1) / 2))
    return out


@dataclass(frozen=True, slots=True)
class PairingCache:
    """A policy's probabilities ready for drawing: computed once per refit, then reused."""

    probabilities: FloatArray
    cdf: FloatArray
    pair_i: IntArray
    pair_j: IntArray


def pairing_cache(probabilities: FloatArray, n: int) -> PairingCache:
    """Cache a policy's probabilities over the pairs of ``n`` competitors for fast draws.

    Parameters
    ----------
    probabilities : array of float, shape (n (n − 1) / 2,)
        A policy's output, in the order of :func:`pairs_of`.
    n : int
        Number of competitors.

    Returns
    -------
    PairingCache
        The probabilities with their cumulative sums; rebuild it after every refit.

    Raises
    ------
    ValueError
        If the number of probabilities is not the number of pairs.
    """
    i, j = pairs_of(n)
    p = np.asarray(probabilities, dtype=np.float64)
    if p.shape != i.shape:
        raise ValueError(f"need {i.size} pair probabilities, got {p.size}")
    return PairingCache(p, np.cumsum(p), i, j)


def pair_draw_cached(cache: PairingCache, rng: np.random.Generator) -> tuple[int, int, float]:
    """One pairing decision from a cache: ``(i, j, p)``, by a binary search.

    Parameters
    ----------
    cache : PairingCache
        From :func:`pairing_cache`.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    tuple of (int, int, float)
        The pair ``i < j`` and the probability it was drawn with (to store with the battle,
        for :func:`inverse_probability_weights`).
    """
    cdf = cache.cdf
    k = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), cdf.size - 1)
    return int(cache.pair_i[k]), int(cache.pair_j[k]), float(cache.probabilities[k])
