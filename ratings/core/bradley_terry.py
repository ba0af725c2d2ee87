"""Bradley–Terry strengths by maximum likelihood, solved on verdicts merged into pair counts.

Model: P(i beats j) = 1 / (1 + exp(s_j - s_i)), with ``s`` the natural-log strengths
(``scores``); a tie or a both-bad verdict counts as half a win to each side, and a verdict of
weight ``w`` counts ``w`` times. Ratings on the Elo display scale are
``ELO_PER_LOG_UNIT * s + offset`` (:func:`to_ratings`).

Identification: the scores are centred (mean 0). When the comparison graph is disconnected
the relative strengths of its parts are undefined: :class:`DisconnectedComparisonsError` names
the parts, or with ``on_disconnected="groups"`` each part is fitted in its own gauge (mean 0,
see :mod:`ratings.core.groups`) and the result's ``groups`` says which competitor is where.
When a group of competitors won (or lost) every game against the rest, the
maximum-likelihood estimate lies at infinity; then, unless told otherwise (``l2`` given),
the fit adds the small ridge penalty ``AUTO_L2 * sum(s**2) / 2`` (a Gaussian prior of standard
deviation 1/sqrt(AUTO_L2) log units), so scores stay finite and the rest barely move; the result
records the penalty used.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy.special import expit

from ratings.core.groups import ComparisonGroups, comparison_groups
from ratings.core.pairs import aggregate, components, laplacian, require_connected
from ratings.core.types import (
    ELO_PER_LOG_UNIT,
    BradleyTerryResult,
    Comparisons,
    FloatArray,
    IntArray,
    PairCounts,
)

#: Ridge penalty used when the maximum-likelihood estimate does not exist (see module docs).
AUTO_L2 = 1e-3
_MIN_STEP = 1e-6
_TRUST = 0.1


def bradley_terry(
    data: Comparisons | PairCounts,
    *,
    l2: float | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
    init: FloatArray | None = None,
    on_disconnected: str = "raise",
) -> BradleyTerryResult:
    """Fit Bradley–Terry strengths by maximum likelihood (Newton's method on pair totals).

    Parameters
    ----------
    data : Comparisons or PairCounts
        The verdicts, or verdicts already merged by :func:`aggregate`.
    l2 : float, optional
        Ridge penalty ``l2 * sum(s**2) / 2``. By default 0 when the maximum-likelihood estimate
        exists and :data:`AUTO_L2` when it does not (someone won or lost every game).
    tol : float, default 1e-10
        Stop when the largest Newton step is below this (log units).
    max_iter : int, default 100
        Largest number of Newton steps.
    init : array of float, optional
        Starting scores (a warm start, as in a bootstrap).
    on_disconnected : {"raise", "groups"}, default "raise"
        What a disconnected comparison graph does: raise, or fit each group in its own gauge
        (each group's mean score 0) and label the groups in the result.

    Returns
    -------
    BradleyTerryResult
        Centred scores, with ``converged`` and the number of steps; ``groups`` labels each
        competitor's group when the graph is disconnected and ``on_disconnected="groups"``.

    Raises
    ------
    DisconnectedComparisonsError
        If the comparison graph is disconnected, ``on_disconnected`` is "raise" and no
        ``l2 > 0`` ties its parts together.
    ValueError
        If ``on_disconnected`` is neither "raise" nor "groups".

    References
    ----------
    E. Zermelo, "Die Berechnung der Turnier-Ergebnisse als ein Maximumproblem der
    Wahrscheinlichkeitsrechnung", Math. Z. 29 (1929), doi:10.1007/BF01180541.
    R. A. Bradley and M. E. Terry, Biometrika 39 (1952), doi:10.2307/2334029.
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132.
    """
    if on_disconnected not in {"raise", "groups"}:
        raise ValueError(f"on_disconnected must be 'raise' or 'groups', not {on_disconnected!r}")
    table = data if isinstance(data, PairCounts) else aggregate(data)
    games, points = table.totals()
    groups = None
    if on_disconnected == "groups":
        played = games > 0
        found = comparison_groups(
            table.names, table.pair_i[played], table.pair_j[played], games[played]
        )
        groups = None if found.connected else found
    penalty = _choose_l2(table, games, points, l2, groups=groups)
    i, j = table.pair_i, table.pair_j
    scores, n_iter, converged = _newton(
        table.n_items,
        i,
        j,
        games,
        points,
        l2=penalty,
        tol=tol,
        max_iter=max_iter,
        init=init,
        groups=groups,
    )
    return BradleyTerryResult(
        names=table.names,
        scores=scores,
        n_iter=n_iter,
        converged=converged,
        l2=penalty,
        log_likelihood=_log_likelihood(scores, i, j, games, points, l2=penalty),
        groups=None if groups is None else groups.labels,
    )


def _choose_l2(
    table: PairCounts,
    games: FloatArray,
    points: FloatArray,
    l2: float | None,
    *,
    groups: ComparisonGroups | None = None,
) -> float:
    """The ridge to use: ``l2`` if positive; else 0, or :data:`AUTO_L2` when some group of
    competitors won (or lost) every game against the rest of its part of the graph."""
    played = games > 0
    i, j = table.pair_i[played], table.pair_j[played]
    if l2 is not None and l2 > 0:
        return float(l2)
    if groups is None:
        require_connected(table.names, i, j)
    if l2 is not None:
        return 0.0
    strong = components(
        table.n_items, i, j, strong=True, points=(points[played], games[played] - points[played])
    )
    n_parts = 1 if groups is None else groups.n_groups
    return AUTO_L2 if strong.max(initial=0) + 1 > n_parts else 0.0


def _log_likelihood(
    s: FloatArray, i: IntArray, j: IntArray, games: FloatArray, points: FloatArray, *, l2: float
) -> float:
    d = s[i] - s[j]
    return float(np.sum(points * d - games * np.logaddexp(0.0, d)) - 0.5 * l2 * (s @ s))


def _newton(
    n: int,
    i: IntArray,
    j: IntArray,
    games: FloatArray,
    points: FloatArray,
    *,
    l2: float,
    tol: float,
    max_iter: int,
    init: FloatArray | None,
    groups: ComparisonGroups | None = None,
) -> tuple[FloatArray, int, bool]:
    """Newton ascent on distinct pairs; the all-ones direction is fixed by a rank-one term
    (one per group of a disconnected graph: the groups' projector).

    Steps longer than ``_TRUST`` log units are halved until the log-likelihood does not fall;
    shorter ones are in the region of quadratic convergence and are taken whole.
    """
    centre = (lambda x: x - np.mean(x)) if groups is None else groups.centre
    gauge = 1.0 / n if groups is None else groups.projector()
    s = np.zeros(n) if init is None else centre(np.array(init, dtype=np.float64))
    for step_no in range(1, max_iter + 1):
        p = expit(s[i] - s[j])
        residual = points - games * p
        grad = np.bincount(i, residual, n) - np.bincount(j, residual, n) - l2 * s
        hess = laplacian(n, i, j, games * p * (1.0 - p))
        hess += np.eye(n) * l2 + (gauge if l2 == 0 else 0.0)
        step = scipy.linalg.solve(hess, grad, assume_a="pos", check_finite=False)
        size = float(np.max(np.abs(step)))
        if size > _TRUST:
            step *= _backtrack(s, step, pairs=(i, j, games, points), l2=l2)
            size = float(np.max(np.abs(step)))
        s = s + step
        if size < tol:
            return centre(s), step_no, True
    return centre(s), max_iter, False


def _backtrack(
    s: FloatArray,
    step: FloatArray,
    *,
    pairs: tuple[IntArray, IntArray, FloatArray, FloatArray],
    l2: float,
) -> float:
    """The largest step fraction 1, ½, ¼, … that does not lower the log-likelihood."""
    start = _log_likelihood(s, *pairs, l2=l2)
    t = 1.0
    while t > _MIN_STEP:
        if _log_likelihood(s + t * step, *pairs, l2=l2) >= start:
            break
        t *= 0.5
    return t


def bradley_terry_mm(
    comparisons: Comparisons, *, tol: float = 1e-6, max_iter: int = 100
) -> BradleyTerryResult:
    """Bradley–Terry by the fixed-point iteration of evalica (LLMFAO's published scores).

    On the win matrix ``W`` (``W[i, j]`` = points i took from j, a tie ½ each), each sweep sets
    ``p_i = sum_j W[i, j] p_j / (p_i + p_j) / sum_j W[j, i] / (p_i + p_j)`` for all i at
    once (Newman's 2023 form of Zermelo's iteration, which converges much faster than the
    classical MM step ``p_i = W_i / sum_j n_ij / (p_i + p_j)``) and rescales ``p`` to geometric
    mean 1; it stops when the L2 change of ``p`` is below ``tol`` or after ``max_iter`` sweeps.
    Strengths normalised to sum 1 are ``exp(scores) / sum(exp(scores))``.

    Parameters
    ----------
    comparisons : Comparisons
        The verdicts.
    tol : float, default 1e-6
        Convergence tolerance on the L2 change of the strengths between sweeps.
    max_iter : int, default 100
        Largest number of sweeps.

    Returns
    -------
    BradleyTerryResult
        Centred log strengths (``-inf`` for a competitor that never took a point).

    Raises
    ------
    ValueError
        If there are no comparisons.

    References
    ----------
    D. R. Hunter, "MM algorithms for generalized Bradley–Terry models", Ann. Statist. 32
    (2004), doi:10.1214/aos/1079120141.
    M. E. J. Newman, "Efficient computation of rankings from pairwise comparisons", JMLR 24
    (2023), arXiv:2207.00076.
    """
    if comparisons.n_comparisons == 0:
        raise ValueError("no comparisons to fit")
    weight = comparisons.total_weight
    n, sa = comparisons.n_items, comparisons.score_a() * weight
    win = np.zeros((n, n))
    np.add.at(win, (comparisons.a, comparisons.b), sa)
    np.add.at(win, (comparisons.b, comparisons.a), weight - sa)
    np.fill_diagonal(win, 0.0)
    p, converged, sweeps = np.ones(n), False, 0
    with np.errstate(divide="ignore", invalid="ignore"):
        while not converged and sweeps < max_iter:
            sweeps += 1
            pair_sum = p[:, None] + p[None, :]
            new = (win * p[None, :] / pair_sum).sum(1) / (win.T / pair_sum).sum(1)
            new = np.nan_to_num(new, nan=0.0)
            new /= np.exp(np.mean(np.log(new[new > 0])))
            converged = bool(np.linalg.norm(new - p) < tol)
            p = new
        log_p = np.log(p)
    finite = np.isfinite(log_p)
    scores = log_p - np.mean(log_p[finite])
    return BradleyTerryResult(
        names=comparisons.names, scores=scores, n_iter=sweeps, converged=converged
    )


def to_ratings(
    scores: FloatArray,
    *,
    anchor: int | None = None,
    rating: float = 1000.0,
    per_log_unit: float = ELO_PER_LOG_UNIT,
) -> FloatArray:
    """Put log strengths on the Elo display scale (400 / ln 10 points per log unit).

    Parameters
    ----------
    scores : array of float
        Natural-log strengths.
    anchor : int, optional
        Index of the competitor to pin at ``rating``; by default the mean is pinned there.
    rating : float, default 1000
        The rating of the anchor (or of the mean).
    per_log_unit : float, default 400 / ln 10
        Display points per natural-log unit (``scale / ln(base)``).

    Returns
    -------
    array of float
        ``per_log_unit * (scores - reference) + rating``.

    Raises
    ------
    IndexError
        If ``anchor`` is out of range.

    References
    ----------
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132.
    """
    s = np.asarray(scores, dtype=np.float64)
    reference = float(np.mean(s)) if anchor is None else float(s[anchor])
    out: FloatArray = per_log_unit * (s - reference) + rating
    return out
