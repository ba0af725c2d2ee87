"""Bradley–Terry with ties modelled (Davidson 1970), not halved.

``P(i beats j) = π_i / D``, ``P(tie) = ν √(π_i π_j) / D`` with ``D = π_i + π_j + ν √(π_i π_j)``
and ``π = exp(s)``. Dividing through by ``√(π_i π_j)`` shows that a pair's likelihood depends
only on ``d = s_i − s_j`` and ``λ = log ν``: ``log P(i wins) = d/2 − log Q``, ``log P(tie) =
λ − log Q`` with ``Q = 2 cosh(d/2) + e^λ``. The fit is Newton's method on the pair totals. A
both-bad verdict is a tie for the likelihood unless dropped; boards still count it apart.

A soft label ``p_b`` (the probability that B is better) is a distribution over the two decisive
verdicts, with no mass on a tie: the row enters the likelihood as its expectation,
``(1 − p_b) log P(A wins) + p_b log P(B wins)``, i.e. as ``1 − p_b`` wins for A and ``p_b`` for
B, and never as a tie (even at ``p_b = ½``), nor as a both-bad verdict to drop. Ties, and with
them ``ν``, are learnt from the rows without a soft label; when every row has one there are no
ties and the fit raises :class:`ConvergenceError`, as it does for hard verdicts without ties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy.stats import norm

from ratings.core.errors import ConvergenceError
from ratings.core.groups import ComparisonGroups, comparison_groups
from ratings.core.pairs import require_connected
from ratings.core.types import Comparisons, FloatArray, IntArray, Outcome

_MIN_STEP = 1e-8


@dataclass(frozen=True, slots=True)
class DavidsonResult:
    """Centred log-strengths ``scores``, the tie parameter ``nu`` and the fit's diagnostics.

    ``nu`` reads as: two equal competitors tie with probability ``nu / (2 + nu)``. ``groups``
    labels each competitor's group (0 the main one) when the graph was disconnected and fitted
    by groups; each group's scores are then centred on their own.
    """

    names: tuple[str, ...]
    scores: FloatArray
    nu: float
    log_likelihood: float
    n_iter: int
    converged: bool
    groups: IntArray | None = None


@dataclass(frozen=True, slots=True)
class _Pairs:
    i: IntArray
    j: IntArray
    wins_i: FloatArray
    wins_j: FloatArray
    ties: FloatArray


def _pairs(c: Comparisons, *, both_bad: str) -> _Pairs:
    soft = ~np.isnan(c.p_b) if c.p_b is not None else np.zeros(c.n_comparisons, dtype=bool)
    keep = c.a != c.b
    if both_bad == "drop":
        keep &= soft | (c.outcome != Outcome.BOTH_BAD)
    a, b, o, w, soft = c.a[keep], c.b[keep], c.outcome[keep], c.total_weight[keep], soft[keep]
    p_b = c.p_b[keep] if c.p_b is not None else np.zeros(a.shape[0])
    # A soft label is a distribution over "A better" and "B better": fractional wins, no tie.
    a_won = np.where(soft, 1.0 - p_b, o == Outcome.A)
    b_won = np.where(soft, p_b, o == Outcome.B)
    tie = np.where(soft, 0.0, (o != Outcome.A) & (o != Outcome.B))
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * c.n_items + hi
    uniq, inv = np.unique(key, return_inverse=True)
    a_is_lo = a == lo
    size = uniq.size
    return _Pairs(
        i=uniq // c.n_items,
        j=uniq % c.n_items,
        wins_i=np.bincount(inv, w * np.where(a_is_lo, a_won, b_won), size).astype(np.float64),
        wins_j=np.bincount(inv, w * np.where(a_is_lo, b_won, a_won), size).astype(np.float64),
        ties=np.bincount(inv, w * tie, size).astype(np.float64),
    )


def _log_likelihood(theta: FloatArray, p: _Pairs) -> float:
    s, lam = theta[:-1], theta[-1]
    d = s[p.i] - s[p.j]
    log_q = np.logaddexp(np.logaddexp(d / 2, -d / 2), lam)
    n = p.wins_i + p.wins_j + p.ties
    return float(np.sum((p.wins_i - p.wins_j) * d / 2 + p.ties * lam - n * log_q))


def _gradient_hessian(
    theta: FloatArray, p: _Pairs, n_items: int, groups: ComparisonGroups | None = None
) -> tuple[FloatArray, FloatArray]:
    """Gradient and Hessian of the negative log-likelihood (plus ``n·mean(s)²/2`` for the gauge,
    summed over the groups when fitted by groups)."""
    s, lam = theta[:-1], theta[-1]
    d = s[p.i] - s[p.j]
    q = 2 * np.cosh(d / 2) + np.exp(lam)
    sh, ch, el = np.sinh(d / 2), np.cosh(d / 2), np.exp(lam)
    n = p.wins_i + p.wins_j + p.ties
    g_d = n * sh / q - (p.wins_i - p.wins_j) / 2
    g_l = float(np.sum(n * el / q - p.ties))
    h_dd = n * (ch / (2 * q) - (sh / q) ** 2)
    h_dl = -n * sh * el / q**2
    h_ll = float(np.sum(n * (el / q - (el / q) ** 2)))
    grad = np.zeros(n_items + 1)
    np.add.at(grad, p.i, g_d)
    np.add.at(grad, p.j, -g_d)
    grad[-1] = g_l
    hess = np.zeros((n_items + 1, n_items + 1))
    np.add.at(hess, (p.i, p.i), h_dd)
    np.add.at(hess, (p.j, p.j), h_dd)
    np.add.at(hess, (p.i, p.j), -h_dd)
    np.add.at(hess, (p.j, p.i), -h_dd)
    for k, sign in ((p.i, 1.0), (p.j, -1.0)):
        np.add.at(hess[:-1, -1], k, sign * h_dl)
    hess[-1, :-1] = hess[:-1, -1]
    hess[-1, -1] = h_ll
    if groups is None:
        grad[:-1] += s.mean()
        hess[:-1, :-1] += 1.0 / n_items
    else:
        grad[:-1] += s - groups.centre(s)
        hess[:-1, :-1] += groups.projector()
    return grad, hess


def davidson(
    comparisons: Comparisons,
    *,
    both_bad: str = "tie",
    tol: float = 1e-10,
    max_iter: int = 100,
    on_disconnected: str = "raise",
) -> DavidsonResult:
    """Fit the Davidson tie model by maximum likelihood.

    Parameters
    ----------
    comparisons : Comparisons
        The verdicts; weights repeat a verdict.
    both_bad : {"tie", "drop"}, default "tie"
        Whether a both-bad verdict counts as a tie or is left out of the fit.
    tol : float, default 1e-10
        Stop when the largest Newton step is below this.
    max_iter : int, default 100
        Largest number of Newton steps.
    on_disconnected : {"raise", "groups"}, default "raise"
        What comparisons that fall into groups that never met do: raise, or fit every group in
        its own gauge (mean 0) with ``nu`` shared, labelling the groups in the result.

    Returns
    -------
    DavidsonResult
        Centred log-strengths on the natural-log scale (as :func:`bradley_terry`) and ``nu``.

    Raises
    ------
    DisconnectedComparisonsError
        If the comparisons fall into groups that never met and ``on_disconnected`` is "raise".
    ConvergenceError
        If there are no ties (``nu`` → 0) or no decisive verdicts (strengths undefined), or
        Newton's method does not converge.

    References
    ----------
    R. R. Davidson, "On extending the Bradley–Terry model to accommodate ties in paired
    comparison experiments", JASA 65 (1970), doi:10.1080/01621459.1970.10481082.
    """
    if both_bad not in {"tie", "drop"}:
        raise ValueError(f"both_bad must be 'tie' or 'drop', not {both_bad!r}")
    if on_disconnected not in {"raise", "groups"}:
        raise ValueError(f"on_disconnected must be 'raise' or 'groups', not {on_disconnected!r}")
    pairs = _pairs(comparisons, both_bad=both_bad)
    n = comparisons.n_items
    groups = None
    if on_disconnected == "raise":
        require_connected(comparisons.names, pairs.i, pairs.j)
    else:
        met = pairs.wins_i + pairs.wins_j + pairs.ties > 0
        found = comparison_groups(comparisons.names, pairs.i[met], pairs.j[met])
        groups = None if found.connected else found
    if pairs.ties.sum() == 0 or (pairs.wins_i + pairs.wins_j).sum() == 0:
        raise ConvergenceError("the Davidson model needs both ties and decisive verdicts")
    theta = np.zeros(n + 1)
    theta[-1] = np.log(2 * pairs.ties.sum() / (pairs.wins_i + pairs.wins_j).sum())
    value = _log_likelihood(theta, pairs)
    for step_count in range(1, max_iter + 1):
        grad, hess = _gradient_hessian(theta, pairs, n, groups)
        step = scipy.linalg.solve(hess, grad, assume_a="pos", check_finite=False)
        scale = 1.0
        while scale > _MIN_STEP:  # backtracking: the likelihood must not fall
            candidate = theta - scale * step
            new = _log_likelihood(candidate, pairs)
            if new >= value - 1e-12:
                break
            scale /= 2
        theta, value = candidate, new
        if np.max(np.abs(scale * step)) < tol:
            s = theta[:-1]
            return DavidsonResult(
                names=comparisons.names,
                scores=s - s.mean() if groups is None else groups.centre(s),
                nu=float(np.exp(theta[-1])),
                log_likelihood=value,
                n_iter=step_count,
                converged=True,
                groups=None if groups is None else groups.labels,
            )
    raise ConvergenceError(f"Davidson fit did not converge in {max_iter} Newton steps")


def davidson_intervals(
    comparisons: Comparisons, fit: DavidsonResult, *, both_bad: str = "tie", level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Normal-approximation intervals ``(low, high)`` of the centred scores (inverse information).

    The observed information's null direction (all strengths up by the same amount) is removed
    by the rank-one correction ``(H + uuᵀ)⁻¹ − uuᵀ`` with ``u = 1/√n`` on the strengths.
    """
    if not 0.0 < level < 1.0:
        raise ValueError("need 0 < level < 1")
    n = comparisons.n_items
    groups = None if fit.groups is None else ComparisonGroups(fit.names, fit.groups)
    theta = np.append(fit.scores, np.log(fit.nu))
    _, hess = _gradient_hessian(theta, _pairs(comparisons, both_bad=both_bad), n, groups)
    gauge = 1.0 / n if groups is None else groups.projector()
    cov = scipy.linalg.inv(hess)[:-1, :-1] - gauge
    half = float(norm.ppf(0.5 + level / 2.0)) * np.sqrt(np.maximum(np.diag(cov), 0.0))
    return fit.scores - half, fit.scores + half
