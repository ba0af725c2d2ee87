"""Voters whose votes the fitted Bradley–Terry model finds improbable, and bursts of votes.

Model: a decisive verdict (A or B) between competitors ``i`` and ``j`` is a Bernoulli draw with
``P(i wins) = q = 1 / (1 + exp(s_j - s_i))``, ``s`` the natural-log strengths. Ties and
both-bad verdicts carry no winner and are left out of the test. For one voter with decisive
verdicts ``t = 1..n`` the statistic is the log-likelihood ``L = sum_t log p_t`` of what they
chose (``p_t = q_t`` or ``1 - q_t``). Under the model, independently per verdict,

    E[log p_t] = q log q + (1 - q) log(1 - q)
    Var[log p_t] = q (1 - q) (log q - log(1 - q))**2,

so ``z = (L - sum E) / sqrt(sum Var)`` is close to standard normal for an honest voter with
some tens of verdicts (Lyapunov's central limit theorem; each term is bounded once the scores
are). A voter who always picks one competitor, or who clicks at random, chooses the less
likely side far more often than the model expects: ``z`` is very negative. The test is one-sided
(only improbably *bad* agreement is suspicious) at false-positive rate ``alpha``: flagged when
``Phi(z) < alpha``.

The model each voter is judged against is fitted without that voter's own verdicts
(leave-one-voter-out), so a prolific rigger cannot pull the model towards themself; a second
round also leaves out the voters flagged in the first, so that several riggers backing the same
competitor do not vouch for each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, log_expit
from scipy.stats import norm

from ratings.core.bradley_terry import AUTO_L2, bradley_terry
from ratings.core.types import Comparisons, FloatArray, IntArray, Outcome

BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class VoterSurprise:
    """Per voter: decisive verdicts, log-likelihood, its null mean and variance, z, p, flag.

    Voters with fewer than ``min_votes`` decisive verdicts are not tested: ``z`` and
    ``p_value`` are NaN and ``flagged`` is False.
    """

    n_votes: IntArray
    log_likelihood: FloatArray
    expected: FloatArray
    variance: FloatArray
    z: FloatArray
    p_value: FloatArray
    flagged: BoolArray
    alpha: float
    rounds: int


def surprise_terms(
    scores: FloatArray, a: IntArray, b: IntArray, a_won: BoolArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per decisive verdict: log-probability of the choice, its mean and variance under the model.

    Parameters
    ----------
    scores : array of float
        Bradley–Terry log strengths.
    a, b : arrays of int
        The competitors shown as A and B.
    a_won : array of bool
        Whether A was chosen.

    Returns
    -------
    tuple of arrays
        ``log p_t``, ``E[log p_t]`` and ``Var[log p_t]``, computed stably in log space.

    References
    ----------
    R. A. Bradley and M. E. Terry, Biometrika 39 (1952), doi:10.2307/2334029.
    """
    delta = scores[a] - scores[b]
    log_q, log_1q = log_expit(delta), log_expit(-delta)
    q = expit(delta)
    observed = np.where(a_won, log_q, log_1q)
    mean = q * log_q + (1.0 - q) * log_1q
    variance = q * (1.0 - q) * (log_q - log_1q) ** 2
    return observed, mean, variance


def voter_surprise(
    comparisons: Comparisons,
    voter: IntArray,
    *,
    alpha: float = 0.01,
    min_votes: int = 20,
    rounds: int = 2,
    l2: float = AUTO_L2,
) -> VoterSurprise:
    """Test each voter's verdicts against Bradley–Terry fitted to everyone else's.

    Parameters
    ----------
    comparisons : Comparisons
        All verdicts of the arena (crowd votes), one row per vote.
    voter : array of int
        The voter of each row, numbered ``0 .. n_voters - 1``.
    alpha : float, default 0.01
        False-positive rate: the chance that a voter who votes as the model says is flagged.
    min_votes : int, default 20
        Voters with fewer decisive verdicts are not tested (too little evidence).
    rounds : int, default 2
        Rounds of leave-one-out fits; each round after the first also leaves out the voters
        flagged by the previous one.
    l2 : float
        Ridge penalty of the fits (keeps them finite when a pair is one-sided).

    Returns
    -------
    VoterSurprise
        Per-voter statistics, indexed by voter number.

    Raises
    ------
    ValueError
        If ``voter`` does not have one entry per verdict, or ``alpha`` is not in (0, 1).

    References
    ----------
    R. A. Bradley and M. E. Terry, Biometrika 39 (1952), doi:10.2307/2334029.
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132 (anomalous-user detection).
    """
    if voter.shape != (comparisons.n_comparisons,):
        raise ValueError("voter must give one voter per comparison")
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be in (0, 1)")
    n_voters = int(voter.max()) + 1 if voter.size else 0
    decisive = (comparisons.outcome == Outcome.A) | (comparisons.outcome == Outcome.B)
    counts = np.bincount(voter[decisive], minlength=n_voters)
    tested = np.flatnonzero(counts >= min_votes)
    excluded = np.zeros(n_voters, dtype=bool)
    z = p_value = np.full(n_voters, np.nan)
    flagged = excluded
    stats = np.full((3, n_voters), np.nan)
    for _ in range(max(1, rounds)):
        stats = np.full((3, n_voters), np.nan)
        for v in tested:
            stats[:, v] = _voter_stats(
                comparisons, voter, decisive, v=int(v), excluded=excluded, l2=l2
            )
        z = (stats[0] - stats[1]) / np.sqrt(stats[2])
        p_value = norm.cdf(z)
        flagged = np.nan_to_num(p_value, nan=1.0) < alpha
        if np.array_equal(flagged, excluded):
            break
        excluded = flagged
    return VoterSurprise(
        n_votes=counts.astype(np.intp),
        log_likelihood=stats[0],
        expected=stats[1],
        variance=stats[2],
        z=z,
        p_value=p_value,
        flagged=flagged,
        alpha=alpha,
        rounds=max(1, rounds),
    )


def _voter_stats(
    comparisons: Comparisons,
    voter: IntArray,
    decisive: BoolArray,
    *,
    v: int,
    excluded: BoolArray,
    l2: float,
) -> tuple[float, float, float]:
    """Observed, expected and variance of voter ``v``'s log-likelihood."""
    own = voter == v
    others = ~own & ~excluded[voter]
    fit = bradley_terry(comparisons.subset(others), l2=l2)
    rows = own & decisive
    observed, mean, variance = surprise_terms(
        fit.scores,
        comparisons.a[rows],
        comparisons.b[rows],
        comparisons.outcome[rows] == Outcome.A,
    )
    return float(observed.sum()), float(mean.sum()), float(variance.sum())


@dataclass(frozen=True, slots=True)
class Burst:
    """``count`` votes for competitor ``favoured`` from one group within ``window`` seconds."""

    group: int
    favoured: int
    count: int
    start: float
    end: float


def vote_bursts(
    group: IntArray,
    favoured: IntArray,
    t: FloatArray,
    *,
    window: float,
    min_votes: int,
) -> list[Burst]:
    """Groups (voters or addresses) that chose one competitor ``min_votes`` times in a window.

    Parameters
    ----------
    group : array of int
        Who cast each vote (a voter or an address, numbered).
    favoured : array of int
        The competitor each vote chose; ``-1`` for a vote that chose none (tie, both bad).
    t : array of float
        When each vote was cast, in seconds.
    window : float
        Length of the sliding window, in seconds.
    min_votes : int
        Votes for one competitor within one window that make a burst.

    Returns
    -------
    list of Burst
        The largest burst of each (group, competitor) that has one, largest first.

    References
    ----------
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132 (vote rate limits and
    anomaly checks).
    """
    keep = favoured >= 0
    g, f, times = group[keep], favoured[keep], t[keep]
    order = np.lexsort((times, f, g))
    g, f, times = g[order], f[order], times[order]
    bursts: list[Burst] = []
    boundaries = np.flatnonzero((np.diff(g) != 0) | (np.diff(f) != 0)) + 1
    for start, stop in zip(
        np.concatenate([[0], boundaries]), np.concatenate([boundaries, [g.size]]), strict=True
    ):
        if stop - start < min_votes:
            continue
        run = times[start:stop]
        # For each vote, the votes up to ``window`` seconds after it.
        ends = np.searchsorted(run, run + window, side="right")
        sizes = ends - np.arange(run.size)
        best = int(np.argmax(sizes))
        if sizes[best] >= min_votes:
            bursts.append(
                Burst(
                    group=int(g[start]),
                    favoured=int(f[start]),
                    count=int(sizes[best]),
                    start=float(run[best]),
                    end=float(run[ends[best] - 1]),
                )
            )
    return sorted(bursts, key=lambda b: -b.count)
