"""Confidence intervals of Bradley–Terry scores and the rank intervals they imply.

Two ways: a bootstrap over verdicts (percentile intervals), done by resampling the counts of
the merged cells of :func:`~ratings.core.pairs.aggregate` from a multinomial and
refitting from the point estimate; and the asymptotic normal interval from the sandwich
(robust) or Fisher-information covariance of the maximum-likelihood estimate. Intervals are in
natural-log units, centred or relative to an anchor competitor; put them on the display scale
with :func:`~ratings.core.bradley_terry.to_ratings` (same ``anchor``).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.linalg
from scipy.special import expit
from scipy.stats import norm

from ratings.core.bradley_terry import AUTO_L2, _choose_l2, _newton, bradley_terry
from ratings.core.errors import DisconnectedComparisonsError
from ratings.core.groups import ComparisonGroups
from ratings.core.pairs import aggregate, laplacian
from ratings.core.types import (
    BradleyTerryResult,
    Comparisons,
    FloatArray,
    IntArray,
    Intervals,
    PairCounts,
    RankIntervals,
)

_CHORD_MAX_ITER = 40
_CHORD_TOL = 1e-8


def bootstrap(
    data: Comparisons | PairCounts,
    *,
    n_resamples: int = 100,
    rng: np.random.Generator | int | None = None,
    level: float = 0.95,
    anchor: int | None = None,
    point: BradleyTerryResult | None = None,
    n_threads: int | None = None,
) -> Intervals:
    """Percentile bootstrap intervals of Bradley–Terry scores, resampling verdicts.

    Each round draws as many verdicts as there are, with replacement: a multinomial draw of the
    counts of the merged cells (pair, points, weight), which has the same law as resampling
    the rows. It then refits from the point estimate by Newton steps with the Hessian kept at
    the point estimate (refitting from scratch if a draw needs it). Each
    replicate is centred (or shifted so that ``anchor`` is 0) before the percentiles are taken;
    an interval that the skewed replicates of a small sample leave short of the point estimate
    is widened to include it.

    Parameters
    ----------
    data : Comparisons or PairCounts
        The verdicts, or verdicts merged by :func:`~ratings.core.pairs.aggregate`.
    n_resamples : int, default 100
        Number of bootstrap rounds.
    rng : numpy.random.Generator or int, optional
        The random generator, or a seed for a new one; the same seed gives the same intervals.
    level : float, default 0.95
        Coverage of the two-sided percentile interval.
    anchor : int, optional
        Competitor whose score is fixed at 0 in every replicate; default: centred scores.
    point : BradleyTerryResult, optional
        The fit on all the data, if already computed; its ``l2`` is reused.
    n_threads : int, optional
        Rounds run in this many threads (default: one per CPU). Round ``r`` always draws from
        the ``r``-th stream spawned from ``rng``, so the result does not depend on it.

    Returns
    -------
    Intervals
        ``low`` and ``high`` per competitor, and the replicates in ``samples``.

    Raises
    ------
    ValueError
        If ``n_resamples`` < 1 or ``level`` is not in (0, 1).
    DisconnectedComparisonsError
        From the point fit, if the comparison graph is disconnected (unless ``point`` was
        fitted by groups: each replicate is then centred group by group).

    References
    ----------
    B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall, 1993,
    doi:10.1201/9780429246593.
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132.
    """
    if n_resamples < 1 or not 0.0 < level < 1.0:
        raise ValueError("need n_resamples >= 1 and 0 < level < 1")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    table = data if isinstance(data, PairCounts) else aggregate(data)
    fit = bradley_terry(table) if point is None else point
    n_total = round(float(table.cell_count.sum()))
    # cells in an order set by the competitors' names, not by their numbering, so that the same
    # votes and seed resample alike however the caller numbered the competitors
    canonical = _cells_by_name(table)
    share = table.cell_count[canonical] / table.cell_count.sum()
    streams = gen.spawn(n_resamples)
    factor = _point_hessian_factor(table, fit)
    groups = _groups_of(fit)

    def replicate(r: int) -> FloatArray:
        counts = np.empty(len(share))
        counts[canonical] = streams[r].multinomial(n_total, share)
        scores = _chord(table, counts, fit, factor)
        return _gauge(_refit(table, counts, fit) if scores is None else scores, anchor, groups)

    workers = max(1, min(n_threads or os.cpu_count() or 1, n_resamples))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        samples = np.array(list(pool.map(replicate, range(n_resamples))))
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(samples, [tail, 100.0 - tail], axis=0)
    centre = _gauge(fit.scores, anchor, groups)
    return Intervals(
        names=table.names,
        low=np.minimum(low, centre),
        high=np.maximum(high, centre),
        method="bootstrap",
        level=level,
        anchor=anchor,
        n_resamples=n_resamples,
        samples=samples,
    )


def _cells_by_name(table: PairCounts) -> IntArray:
    """The cells sorted by their pair's names (the lesser first), the points of that name's
    side and the weight: an order that does not depend on how the competitors are numbered."""
    rank = np.empty(table.n_items, dtype=np.intp)
    rank[np.argsort(np.array(table.names, dtype=object), kind="stable")] = np.arange(table.n_items)
    i, j = rank[table.pair_i[table.cell_pair]], rank[table.pair_j[table.cell_pair]]
    points = np.where(i < j, table.cell_points, 1.0 - table.cell_points)
    order: IntArray = np.lexsort((table.cell_weight, points, np.maximum(i, j), np.minimum(i, j)))
    return order


def _point_hessian_factor(table: PairCounts, fit: BradleyTerryResult) -> tuple[FloatArray, bool]:
    """Cholesky factor of the Hessian at the point estimate, made definite on the centred space."""
    n, s = table.n_items, fit.scores
    games, _ = table.totals()
    prob = expit(s[table.pair_i] - s[table.pair_j])
    hess = laplacian(n, table.pair_i, table.pair_j, games * prob * (1.0 - prob))
    hess += fit.l2 * np.eye(n) + _gauge_term(fit)
    factor: tuple[FloatArray, bool] = scipy.linalg.cho_factor(hess, check_finite=False)
    return factor


def _chord(
    table: PairCounts, counts: FloatArray, fit: BradleyTerryResult, factor: tuple[FloatArray, bool]
) -> FloatArray | None:
    """Newton's iteration with the Hessian frozen at the point estimate (the chord method).

    A resample's Hessian differs from the point estimate's by a few per cent, so each step
    gains one to two digits for the price of a gradient and two triangular solves; it stops
    when a step is below 1e-8 log units. ``None`` if that fails (a draw where someone won or
    lost every game, whose estimate is infinite); the caller then refits from scratch.
    """
    games, points = table.totals(counts)
    i, j, n, s = table.pair_i, table.pair_j, table.n_items, fit.scores.copy()
    for _ in range(_CHORD_MAX_ITER):
        residual = points - games * expit(s[i] - s[j])
        grad = np.bincount(i, residual, n) - np.bincount(j, residual, n) - fit.l2 * s
        step = scipy.linalg.cho_solve(factor, grad, check_finite=False)
        s += step
        size = float(np.max(np.abs(step)))
        if not np.isfinite(size):
            return None
        if size < _CHORD_TOL:
            return _gauge(s, None, _groups_of(fit))
    return None


def _refit(table: PairCounts, counts: FloatArray, fit: BradleyTerryResult) -> FloatArray:
    """A replicate the chord method could not solve: Newton with the ridge the draw needs.

    A draw can leave someone unbeaten (or winless), or split the graph; as for the point fit,
    the automatic ridge :data:`AUTO_L2` then keeps the scores finite.
    """
    games, points = table.totals(counts)
    played = games > 0
    i, j, g, p = table.pair_i[played], table.pair_j[played], games[played], points[played]
    sub = PairCounts(table.names, i, j, np.arange(i.shape[0]), g, np.ones_like(g), p / g)
    try:
        l2 = max(fit.l2, _choose_l2(sub, g, p, None))
    except DisconnectedComparisonsError:
        l2 = max(fit.l2, AUTO_L2)
    return _newton(table.n_items, i, j, g, p, l2=l2, tol=1e-9, max_iter=100, init=fit.scores)[0]


def _gauge(
    scores: FloatArray, anchor: int | None, groups: ComparisonGroups | None = None
) -> FloatArray:
    """Scores centred (each group on its own when the fit was by groups), or relative to the
    anchor: every group then keeps its mean at the anchor group's mean."""
    if groups is not None:
        scores = groups.centre(scores)
    out: FloatArray = scores - (np.mean(scores) if anchor is None else scores[anchor])
    return out


def _groups_of(fit: BradleyTerryResult) -> ComparisonGroups | None:
    return None if fit.groups is None else ComparisonGroups(fit.names, fit.groups)


def _gauge_term(fit: BradleyTerryResult) -> FloatArray | float:
    """What fixes the Hessian's null directions when no ridge does: ``1/n`` on every entry
    (the all-ones direction), or the groups' projector for a fit by groups."""
    if fit.l2 != 0:
        return 0.0
    groups = _groups_of(fit)
    return 1.0 / len(fit.names) if groups is None else groups.projector()


def covariance(
    data: Comparisons | PairCounts, fit: BradleyTerryResult, *, kind: str = "sandwich"
) -> FloatArray:
    """Asymptotic covariance of the centred scores at the fit.

    ``kind="fisher"`` gives the inverse observed information ``H⁺``; ``kind="sandwich"`` gives
    the robust ``H⁺ G H⁺`` with ``G`` the empirical covariance of the per-verdict score
    contributions, which stays valid when ties or weights make the model misspecified (as
    arena-rank's default intervals). ``H⁺`` is the pseudo-inverse on the centred subspace
    (each group centred on its own for a fit by groups, whose groups are then uncorrelated;
    the inverse of ``H + l2 I`` when a ridge was used).

    Parameters
    ----------
    data : Comparisons or PairCounts
        The verdicts the fit came from.
    fit : BradleyTerryResult
        The point estimate.
    kind : {"sandwich", "fisher"}, default "sandwich"
        Which covariance.

    Returns
    -------
    array of float, shape (n, n)
        Covariance matrix of the scores, in squared log units.

    Raises
    ------
    ValueError
        If ``kind`` is unknown.

    References
    ----------
    H. White, "Maximum likelihood estimation of misspecified models", Econometrica 50 (1982),
    doi:10.2307/1912526.
    """
    if kind not in {"sandwich", "fisher"}:
        raise ValueError(f"unknown covariance kind {kind!r}")
    table = data if isinstance(data, PairCounts) else aggregate(data)
    n, s = table.n_items, fit.scores
    games, _ = table.totals()
    prob = expit(s[table.pair_i] - s[table.pair_j])
    hess = laplacian(n, table.pair_i, table.pair_j, games * prob * (1.0 - prob))
    rank_one = np.zeros((n, n)) + _gauge_term(fit)
    inv = scipy.linalg.inv(hess + fit.l2 * np.eye(n) + rank_one) - rank_one
    if kind == "fisher":
        return np.asarray(inv)
    cp = table.cell_pair
    resid = table.cell_points - prob[cp]
    contrib = np.bincount(cp, table.cell_count * (table.cell_weight * resid) ** 2, table.n_pairs)
    grad_cov = laplacian(n, table.pair_i, table.pair_j, np.asarray(contrib, dtype=np.float64))
    return np.asarray(inv @ grad_cov @ inv)


def normal_intervals(
    data: Comparisons | PairCounts,
    fit: BradleyTerryResult,
    *,
    kind: str = "sandwich",
    level: float = 0.95,
    anchor: int | None = None,
    cov: FloatArray | None = None,
) -> Intervals:
    """Normal-approximation intervals ``score ± z * sd`` from :func:`covariance`.

    Parameters
    ----------
    data : Comparisons or PairCounts
        The verdicts the fit came from.
    fit : BradleyTerryResult
        The point estimate.
    kind : {"sandwich", "fisher"}, default "sandwich"
        Which covariance.
    level : float, default 0.95
        Two-sided coverage.
    anchor : int, optional
        Competitor fixed at 0 (its interval is a point); default: centred scores.
    cov : array of float, optional
        The covariance of ``kind``, when the caller has it already.

    Returns
    -------
    Intervals
        ``low`` and ``high`` in log units, in the requested gauge.

    Raises
    ------
    ValueError
        If ``kind`` is unknown or ``level`` is not in (0, 1).

    References
    ----------
    H. White, Econometrica 50 (1982), doi:10.2307/1912526.
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132.
    """
    if not 0.0 < level < 1.0:
        raise ValueError("need 0 < level < 1")
    cov = covariance(data, fit, kind=kind) if cov is None else cov
    var = np.diag(cov).copy()
    if anchor is not None:
        var = var + cov[anchor, anchor] - 2.0 * cov[:, anchor]
    half = float(norm.ppf(0.5 + level / 2.0)) * np.sqrt(np.maximum(var, 0.0))
    centre = _gauge(fit.scores, anchor, _groups_of(fit))
    return Intervals(
        names=fit.names,
        low=centre - half,
        high=centre + half,
        method=kind,
        level=level,
        anchor=anchor,
    )


def rank_intervals(names: tuple[str, ...], low: FloatArray, high: FloatArray) -> RankIntervals:
    """Plausible ranks from intervals: best rank 1 + #{j: low_j > high_i}, worst n - #{below}.

    Parameters
    ----------
    names : tuple of str
        Competitor names.
    low, high : array of float
        Interval bounds on any increasing scale.

    Returns
    -------
    RankIntervals
        ``upper`` (LMArena's "rank upper bound", the best rank) and ``lower`` (the worst).

    Raises
    ------
    ValueError
        If the arrays do not match ``names`` in length.

    References
    ----------
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132.
    """
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    if lo.shape != (len(names),) or hi.shape != lo.shape:
        raise ValueError("low and high need one entry per competitor")
    above = (lo[None, :] > hi[:, None]).sum(axis=1)
    below = (hi[None, :] < lo[:, None]).sum(axis=1)
    return RankIntervals(
        names=names,
        upper=(1 + above).astype(np.intp),
        lower=(len(names) - below).astype(np.intp),
    )
