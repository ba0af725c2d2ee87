"""Style control: Bradley–Terry with covariates for the style difference of the two answers.

Model: ``logit P(A beats B) = s_A - s_B + z · beta``, where ``z`` holds one column per style
feature (answer length in tokens, Markdown headers, list items, bold spans): the normalised
difference ``(f_A - f_B) / (f_A + f_B + 1)``, standardised to mean 0 and standard deviation 1
over the verdicts, each counted ``weight`` times (a constant column is left out and gets
coefficient 0). ``beta`` says how many log units of preference one standard deviation of a style
difference buys; ``s`` are the strengths with style held equal. This is LMArena's and
arena-hard's construction; arena-hard repeats a strong verdict three times before it
standardises, which is what the weights do here.

The centre matters even though the competitors' strengths absorb any constant: a model without
an intercept reads a feature mean that is not 0 as a push towards side A, and when one
competitor is always A (arena-hard's baseline) that push moves it against every other.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy.special import expit
from scipy.stats import norm

from ratings.core.groups import ComparisonGroups, comparison_groups
from ratings.core.pairs import require_connected
from ratings.core.types import BradleyTerryResult, Comparisons, FloatArray, Intervals

_TRUST = 0.1
_MIN_STEP = 1e-6


def style_features(comparisons: Comparisons) -> FloatArray:
    """The standardised normalised style differences, one column per feature.

    Parameters
    ----------
    comparisons : Comparisons
        Verdicts carrying ``features_a`` and ``features_b``.

    Returns
    -------
    array of float, shape (n_comparisons, n_features)
        ``(f_A - f_B) / (f_A + f_B + 1)``, centred and scaled to unit standard deviation per
        column, both weighted by ``comparisons.weight`` (the population moments of the rows
        repeated ``weight`` times, as arena-hard computes them); constant columns are all 0.

    Raises
    ------
    ValueError
        If the comparisons carry no style features.

    References
    ----------
    T. Li et al., "From crowdsourced data to high-quality benchmarks: Arena-Hard and
    BenchBuilder pipeline", 2024, arXiv:2406.11939.
    """
    if comparisons.features_a is None or comparisons.features_b is None:
        raise ValueError("these comparisons carry no style features")
    fa, fb = comparisons.features_a, comparisons.features_b
    diff = (fa - fb) / (fa + fb + 1.0)
    if diff.shape[0] == 0:
        return diff
    w = comparisons.weight / np.sum(comparisons.weight)
    centred = diff - w @ diff
    std = np.sqrt(w @ centred**2)
    # a column constant up to rounding is constant: its coefficient is not identified
    constant = std <= 1e-12 * np.maximum(1.0, np.max(np.abs(diff), axis=0))
    z: FloatArray = np.where(constant, 0.0, centred / np.where(constant, 1.0, std))
    return z


def style_bradley_terry(
    comparisons: Comparisons,
    *,
    features: FloatArray | None = None,
    l2: float = 0.0,
    score_unit: float = 1.0,
    tol: float = 1e-10,
    max_iter: int = 100,
    on_disconnected: str = "raise",
) -> BradleyTerryResult:
    """Fit Bradley–Terry strengths and style coefficients together by maximum likelihood.

    Parameters
    ----------
    comparisons : Comparisons
        The verdicts (ties half a win each side; weights repeat a verdict).
    features : array of float, shape (n_comparisons, n_features), optional
        The covariates; by default :func:`style_features` of the verdicts between two different
        competitors (a self-battle says nothing of style and would shift the centre).
    l2 : float, default 0
        Ridge penalty ``l2 * (sum((s / score_unit)**2) + sum(beta**2)) / 2``; 0 is plain
        maximum likelihood.
    score_unit : float, default 1
        The unit the strengths are penalised in: ``ln 10`` penalises them as arena-hard's
        logistic regression does, on base-10 columns. Irrelevant when ``l2`` is 0.
    tol : float, default 1e-10
        Stop when the largest Newton step is below this.
    max_iter : int, default 100
        Largest number of Newton steps.
    on_disconnected : {"raise", "groups"}, default "raise"
        What a disconnected graph does with ``l2`` 0: raise, or fit every group in its own
        gauge (mean 0) with the coefficients shared, labelling the groups in the result.

    Returns
    -------
    BradleyTerryResult
        Centred ``scores`` (style held equal) and ``coefficients`` per feature.

    Raises
    ------
    DisconnectedComparisonsError
        If the comparison graph is disconnected, ``l2`` is 0 and ``on_disconnected`` "raise".
    ValueError
        If there are no features.

    References
    ----------
    T. Li, W.-L. Chiang et al., "Does style matter? Disentangling style and substance in
    Chatbot Arena", LMArena blog, 2024-08-29, https://blog.lmarena.ai/blog/2024/style-control/.
    T. Li et al., 2024, arXiv:2406.11939.
    W.-L. Chiang et al., 2024, arXiv:2403.04132.
    """
    if not score_unit > 0 or not l2 >= 0:
        raise ValueError("need l2 >= 0 and score_unit > 0")
    c, z = _fitted_rows(comparisons, features)
    n, m = c.n_items, z.shape[1]
    groups = _groups(c, l2=l2, on_disconnected=on_disconnected)
    active = z.std(axis=0) > 0 if z.shape[0] else np.zeros(m, dtype=bool)
    penalty = _penalty(n, int(np.sum(active)), l2, score_unit)
    theta, n_iter, converged = _newton(
        c, z[:, active], penalty, tol=tol, max_iter=max_iter, groups=groups
    )
    beta = np.zeros(m)
    beta[active] = theta[n:]
    scores = theta[:n] - np.mean(theta[:n]) if groups is None else groups.centre(theta[:n])
    return BradleyTerryResult(
        names=c.names,
        scores=scores,
        n_iter=n_iter,
        converged=converged,
        l2=l2,
        log_likelihood=_log_likelihood(theta, c, z[:, active], penalty),
        coefficients=beta,
        feature_names=c.feature_names or tuple(f"x{k}" for k in range(m)),
        score_unit=score_unit,
        groups=None if groups is None else groups.labels,
    )


def _groups(c: Comparisons, *, l2: float, on_disconnected: str) -> ComparisonGroups | None:
    """The groups of a disconnected graph fitted by groups (None when connected or ridged)."""
    if on_disconnected not in {"raise", "groups"}:
        raise ValueError(f"on_disconnected must be 'raise' or 'groups', not {on_disconnected!r}")
    if l2 != 0:
        return None
    if on_disconnected == "raise":
        require_connected(c.names, c.a, c.b)
        return None
    met = c.weight > 0
    found = comparison_groups(c.names, c.a[met], c.b[met], c.weight[met])
    return None if found.connected else found


def _fitted_rows(
    comparisons: Comparisons, features: FloatArray | None
) -> tuple[Comparisons, FloatArray]:
    """The verdicts between two different competitors and their covariates."""
    keep = comparisons.a != comparisons.b
    c = comparisons.subset(keep)
    if features is None:
        return c, style_features(c)
    return c, np.asarray(features, dtype=float)[keep]


def _penalty(n: int, m: int, l2: float, score_unit: float) -> FloatArray:
    """The ridge's diagonal: ``l2 / score_unit**2`` on the strengths, ``l2`` on the betas."""
    return np.concatenate([np.full(n, l2 / score_unit**2), np.full(m, l2)])


def _log_likelihood(theta: FloatArray, c: Comparisons, z: FloatArray, penalty: FloatArray) -> float:
    n = c.n_items
    d = theta[c.a] - theta[c.b] + z @ theta[n:]
    points = c.score_a()
    ll = np.sum(c.weight * (points * d - np.logaddexp(0.0, d)))
    return float(ll - 0.5 * (theta @ (penalty * theta)))


def _newton(
    c: Comparisons,
    z: FloatArray,
    penalty: FloatArray,
    *,
    tol: float,
    max_iter: int,
    groups: ComparisonGroups | None = None,
) -> tuple[FloatArray, int, bool]:
    """Newton ascent over (strengths, coefficients); a rank-one term fixes the mean strength
    (the groups' projector, one such term per group, when fitted by groups)."""
    n, m = c.n_items, z.shape[1]
    theta = np.zeros(n + m)
    points, w = c.score_a(), c.weight
    for step_no in range(1, max_iter + 1):
        prob = expit(theta[c.a] - theta[c.b] + z @ theta[n:])
        residual = w * (points - prob)
        grad = (
            np.concatenate(
                [np.bincount(c.a, residual, n) - np.bincount(c.b, residual, n), z.T @ residual]
            )
            - penalty * theta
        )
        hess = _hessian(c, z, w * prob * (1.0 - prob))
        hess[:n, :n] += _gauge_term(n, float(penalty[0]) if n else 0.0, groups)
        hess[np.diag_indices(n + m)] += penalty
        step = scipy.linalg.solve(hess, grad, assume_a="pos", check_finite=False)
        if np.max(np.abs(step)) > _TRUST:
            step *= _backtrack(theta, step, c, z, penalty)
        theta = theta + step
        if np.max(np.abs(step)) < tol:
            return theta, step_no, True
    return theta, max_iter, False


def _gauge_term(n: int, l2: float, groups: ComparisonGroups | None) -> FloatArray | float:
    """``1/n`` (the all-ones direction) or the groups' projector; nothing under a ridge."""
    if l2 != 0:
        return 0.0
    return 1.0 / n if groups is None else groups.projector()


def _hessian(c: Comparisons, z: FloatArray, h: FloatArray) -> FloatArray:
    """Observed information: Laplacian block, competitor × feature block, feature block."""
    n, m = c.n_items, z.shape[1]
    pair = np.bincount(c.a * n + c.b, h, n * n).reshape(n, n)
    pair = pair + pair.T
    out = np.zeros((n + m, n + m))
    out[:n, :n] = np.diag(pair.sum(axis=1)) - pair
    hz = h[:, None] * z
    cross = np.zeros((n, m))
    for k in range(m):
        cross[:, k] = np.bincount(c.a, hz[:, k], n) - np.bincount(c.b, hz[:, k], n)
    out[:n, n:] = cross
    out[n:, :n] = cross.T
    out[n:, n:] = z.T @ hz
    return out


def _backtrack(
    theta: FloatArray, step: FloatArray, c: Comparisons, z: FloatArray, penalty: FloatArray
) -> float:
    start = _log_likelihood(theta, c, z, penalty)
    t = 1.0
    while t > _MIN_STEP:
        if _log_likelihood(theta + t * step, c, z, penalty) >= start:
            break
        t *= 0.5
    return t


def style_intervals(
    comparisons: Comparisons,
    fit: BradleyTerryResult,
    *,
    features: FloatArray | None = None,
    kind: str = "sandwich",
    level: float = 0.95,
    anchor: int | None = None,
) -> Intervals:
    """Normal-approximation intervals of the style-controlled scores.

    The covariance of (scores, coefficients) is ``H⁺ G H⁺`` (``kind="sandwich"``, with ``G``
    the sum of the per-verdict outer products of the score contributions) or ``H⁺``
    (``kind="fisher"``); ``H⁺`` is taken on the centred subspace.

    Parameters
    ----------
    comparisons : Comparisons
        The verdicts the fit came from.
    fit : BradleyTerryResult
        The result of :func:`style_bradley_terry` on them.
    features : array of float, optional
        The covariates the fit used; by default :func:`style_features` of ``comparisons``.
    kind : {"sandwich", "fisher"}, default "sandwich"
        Which covariance.
    level : float, default 0.95
        Two-sided coverage.
    anchor : int, optional
        Competitor fixed at 0 (its interval is a point); default: centred scores.

    Returns
    -------
    Intervals
        ``low`` and ``high`` of the scores, in log units.

    Raises
    ------
    ValueError
        If ``kind`` is unknown, ``level`` not in (0, 1), or ``fit`` has no coefficients.

    References
    ----------
    H. White, Econometrica 50 (1982), doi:10.2307/1912526.
    T. Li et al., 2024, arXiv:2406.11939.
    """
    if kind not in {"sandwich", "fisher"} or not 0.0 < level < 1.0 or fit.coefficients is None:
        raise ValueError("need kind sandwich or fisher, 0 < level < 1 and a style fit")
    c, z = _fitted_rows(comparisons, features)
    active = z.std(axis=0) > 0 if z.shape[0] else np.zeros(z.shape[1], dtype=bool)
    z = z[:, active]
    n = c.n_items
    prob = expit(fit.scores[c.a] - fit.scores[c.b] + z @ fit.coefficients[active])
    ridge = np.zeros((n + z.shape[1], n + z.shape[1]))
    groups = None if fit.groups is None else ComparisonGroups(fit.names, fit.groups)
    ridge[:n, :n] = _gauge_term(n, fit.l2, groups)
    penalty = np.diag(_penalty(n, z.shape[1], fit.l2, fit.score_unit))
    hess = _hessian(c, z, c.weight * prob * (1.0 - prob)) + ridge + penalty
    inv = scipy.linalg.inv(hess) - ridge
    if kind == "sandwich":
        inv = inv @ _hessian(c, z, (c.weight * (c.score_a() - prob)) ** 2) @ inv
    cov = inv[:n, :n]
    var = np.diag(cov).copy()
    if anchor is not None:
        var = var + cov[anchor, anchor] - 2.0 * cov[:, anchor]
    half = float(norm.ppf(0.5 + level / 2.0)) * np.sqrt(np.maximum(var, 0.0))
    scores = fit.scores if groups is None else groups.centre(fit.scores)
    centre = scores - (np.mean(scores) if anchor is None else scores[anchor])
    return Intervals(
        names=fit.names,
        low=centre - half,
        high=centre + half,
        method=kind,
        level=level,
        anchor=anchor,
    )
