"""Honest ranks: simultaneous intervals, the leader's group, and what separating two would take.

One-at-a-time 95% intervals cover each rating 95% of the time, but with 60 competitors some of
them miss almost every time; rank claims ("A is 3rd") need intervals that hold *together*. The
Bonferroni set (each at level ``1 − α/n``) covers every rating at once with probability at least
``1 − α``; ranks read off it are simultaneous too.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from scipy.stats import norm

from ratings.core.intervals import covariance, rank_intervals
from ratings.core.types import (
    BradleyTerryResult,
    Comparisons,
    FloatArray,
    Intervals,
    PairCounts,
    RankIntervals,
)

#: More votes than this count as "out of reach"; also keeps the figure a 64-bit integer, which
#: the live-update channel layer (msgpack) requires.
OUT_OF_REACH = 10**9


def simultaneous_intervals(
    data: Comparisons | PairCounts,
    fit: BradleyTerryResult,
    *,
    level: float = 0.95,
    kind: str = "sandwich",
    cov: FloatArray | None = None,
) -> Intervals:
    """Bonferroni intervals that cover every centred score at once with probability ≥ ``level``.

    ``cov`` is the scores' covariance when the caller has it already (else :func:`covariance`
    of ``kind``).

    References
    ----------
    O. J. Dunn, "Multiple comparisons among means", JASA 56 (1961),
    doi:10.1080/01621459.1961.10482090.
    """
    if not 0.0 < level < 1.0:
        raise ValueError("need 0 < level < 1")
    cov = covariance(data, fit, kind=kind) if cov is None else cov
    per_item = 1.0 - (1.0 - level) / max(len(fit.names), 1)
    half = float(norm.ppf(0.5 + per_item / 2.0)) * np.sqrt(np.maximum(np.diag(cov), 0.0))
    centre = fit.scores - fit.scores.mean()
    return Intervals(
        names=fit.names,
        low=centre - half,
        high=centre + half,
        method=f"{kind}-bonferroni",
        level=level,
    )


def simultaneous_ranks(intervals: Intervals) -> RankIntervals:
    """Each competitor's best and worst plausible rank, from simultaneous intervals."""
    return rank_intervals(intervals.names, intervals.low, intervals.high)


def leader_group(ranks: RankIntervals) -> tuple[str, ...]:
    """The competitors that cannot be told apart from the leader: best plausible rank 1."""
    return tuple(name for name, best in zip(ranks.names, ranks.upper, strict=True) if best == 1)


@dataclass(frozen=True, slots=True)
class WinProbabilityIntervals:
    """``P(row beats column)`` under the fit, with delta-method intervals on the logit scale."""

    names: tuple[str, ...]
    probability: FloatArray
    low: FloatArray
    high: FloatArray


def win_probability_intervals(
    fit: BradleyTerryResult, covariance: FloatArray, *, level: float = 0.95
) -> WinProbabilityIntervals:
    """The predicted head-to-head matrix with an interval for each cell."""
    s = fit.scores
    diff = s[:, None] - s[None, :]
    var = np.diag(covariance)[:, None] + np.diag(covariance)[None, :] - 2.0 * covariance
    half = float(norm.ppf(0.5 + level / 2.0)) * np.sqrt(np.maximum(var, 0.0))
    return WinProbabilityIntervals(
        names=fit.names,
        probability=expit(diff),
        low=expit(diff - half),
        high=expit(diff + half),
    )


def votes_to_separate(
    fit: BradleyTerryResult,
    covariance: FloatArray,
    n_votes: int,
    *,
    level: float = 0.95,
) -> list[tuple[str, str, int | None]]:
    """For each pair adjacent in rating order, roughly how many more votes would separate them.

    The interval of a difference shrinks like ``1/√N`` with ``N`` votes spread as so far; the
    pair separates when ``z·sd(s_i − s_j)·√(N/N')`` falls below ``|s_i − s_j|``, so
    ``N' = N·z²·var/d²``. Zero when already separated; None when the two are equal or more
    than :data:`OUT_OF_REACH` votes would be needed (no realistic number separates them).
    """
    z = float(norm.ppf(0.5 + level / 2.0))
    order = np.argsort(-fit.scores, kind="stable")
    out: list[tuple[str, str, int | None]] = []
    for i, j in itertools.pairwise(order):
        d = float(fit.scores[i] - fit.scores[j])
        var = float(covariance[i, i] + covariance[j, j] - 2.0 * covariance[i, j])
        needed = n_votes * z * z * max(var, 0.0) / (d * d) if d > 0.0 else np.inf
        more = None if needed - n_votes > OUT_OF_REACH else max(0, int(np.ceil(needed - n_votes)))
        out.append((fit.names[i], fit.names[j], more))
    return out
