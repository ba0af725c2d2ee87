"""Nash averaging: ratings against the maximum-entropy Nash equilibrium of ``logit(P)``.

The model-vs-model game with payoff ``A = logit(P)`` (antisymmetric, zero-sum, value 0) has a
convex polytope of Nash equilibria ``{p in simplex : A p <= 0}``; the rating of model ``k`` is
``(A p*)_k <= 0`` at the selected equilibrium ``p*``. Two selections:

- ``"shannon"``: maximum Shannon entropy (Balduzzi et al. 2018). Unique, but *not* copy-proof
  when the equilibrium set is not a point: copies of an equilibrium model pull mass to it.
- ``"affinity"``: maximum affinity entropy, which counts a group of copies once, so copies
  leave every other rating unchanged (Liu et al. 2025).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import linprog, minimize

from ratings.core.equilibrium.affinity import (
    DEFAULT_SIGMA2,
    affinity_kernel,
    copy_groups,
)
from ratings.core.errors import ConvergenceError
from ratings.core.types import FloatArray, IntArray

_HALF = 0.5
_MATRIX = 2
Selection = Literal["affinity", "shannon"]
SELECTIONS: tuple[str, ...] = ("affinity", "shannon")


@dataclass(frozen=True, slots=True)
class NashAverageResult:
    """Nash-averaging ratings.

    Attributes
    ----------
    names : tuple of str
        Competitor names.
    ratings : ndarray, shape (n_items,)
        ``A p*``, in natural-log odds units, ``<= 0``; 0 for models in the equilibrium support.
    marginals : ndarray, shape (n_items,)
        The selected equilibrium ``p*``.
    selection : str
        ``"affinity"`` or ``"shannon"``.
    groups : ndarray of int, shape (n_items,)
        Copy groups found by the affinity kernel.
    residual : float
        ``max(A p*)``: how far ``p*`` is from an equilibrium (0 exactly).
    converged : bool
        Whether the solvers reported success and the residual is within tolerance.
    """

    names: tuple[str, ...]
    ratings: FloatArray
    marginals: FloatArray
    selection: str
    groups: IntArray
    residual: float
    converged: bool


def _equilibrium_support(logits: FloatArray) -> IntArray:
    """Models in the support of some equilibrium: one LP over the cone ``{q >= 0, A q <= 0}``.

    Maximising ``sum_k min(q_k, 1)`` over the cone sets ``min(q_k, 1) = 1`` exactly for the
    models some equilibrium plays (the cone scales freely) and 0 for the others.
    """
    m = logits.shape[0]
    cost = np.concatenate([np.zeros(m), -np.ones(m)])
    eye = np.eye(m)
    a_ub = np.block([[logits, np.zeros((m, m))], [-eye, eye]])
    bounds = [(0.0, None)] * m + [(0.0, 1.0)] * m
    res = linprog(cost, A_ub=a_ub, b_ub=np.zeros(2 * m), bounds=bounds, method="highs")
    if not res.success:
        raise ConvergenceError(f"support LP failed: {res.message}")
    x = np.asarray(res.x, dtype=np.float64)
    return np.flatnonzero(x[m:] > _HALF)


def _max_shannon(logits: FloatArray, support: IntArray, tol: float) -> FloatArray:
    """Max-entropy equilibrium on ``support`` by its dual: ``p ~ exp(A[:, S]' lam)``.

    The conditions ``(A p)_j = 0`` for ``j`` in the support hold at every equilibrium, so their
    multipliers are free; the others are inequalities with ``lam >= 0``.
    """
    m = logits.shape[0]
    sub = logits[:, support]  # (m, s)
    in_support = np.zeros(m, dtype=bool)
    in_support[support] = True

    def dual(lam: FloatArray) -> tuple[float, FloatArray]:
        z = -(sub.T @ lam)
        top = z.max()
        e = np.exp(z - top)
        total = e.sum()
        p = e / total
        return float(top + np.log(total)), -(sub @ p)

    bounds = [(None, None) if s else (0.0, None) for s in in_support]
    res = minimize(
        dual,
        np.zeros(m),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"gtol": tol, "ftol": 1e-16, "maxiter": 10_000},
    )
    z = -(sub.T @ res.x)
    p = np.zeros(m)
    p[support] = np.exp(z - z.max())
    return np.asarray(p / p.sum(), dtype=np.float64)


def _max_affinity(
    logits: FloatArray, support: IntArray, kernel: FloatArray, start: FloatArray
) -> FloatArray:
    """Max affinity entropy over the equilibrium polytope (SLSQP on the support)."""
    sub_kernel = kernel[np.ix_(support, support)]
    q = sub_kernel / sub_kernel.sum(axis=0, keepdims=True)
    column_entropy = -np.sum(q * np.log(np.where(q > 0, q, 1.0)), axis=0)

    def objective(p: FloatArray) -> tuple[float, FloatArray]:
        y = np.maximum(q @ p, 1e-300)
        value = float(np.sum(y * np.log(y)) + p @ column_entropy)
        return value, q.T @ (np.log(y) + 1.0) + column_entropy

    sub = logits[:, support]
    constraints = [
        {"type": "ineq", "fun": lambda p: -(sub @ p), "jac": lambda p: -sub},
        {
            "type": "eq",
            "fun": lambda p: np.array([p.sum() - 1.0]),
            "jac": lambda p: np.ones((1, p.size)),
        },
    ]
    res = minimize(  # type: ignore[call-overload]  # the stubs' overloads miss dict constraints
        objective,
        start[support],
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * support.size,
        constraints=constraints,
        options={"ftol": 1e-15, "maxiter": 1_000},
    )
    if not res.success:
        raise ConvergenceError(f"affinity-entropy selection failed: {res.message}")
    p = np.zeros(logits.shape[0])
    p[support] = np.maximum(res.x, 0.0)
    return np.asarray(p / p.sum(), dtype=np.float64)


def nash_average(
    logits: FloatArray,
    names: tuple[str, ...],
    *,
    selection: Selection = "affinity",
    sigma2: float = DEFAULT_SIGMA2,
    tol: float = 1e-10,
) -> NashAverageResult:
    """Nash averaging on an antisymmetric log-odds matrix.

    Parameters
    ----------
    logits : ndarray, shape (n_items, n_items)
        ``A = logit(P)``, antisymmetric (see
        :func:`~ratings.core.equilibrium.winprob.logit_win_matrix`).
    names : tuple of str
        Competitor names.
    selection : {"affinity", "shannon"}, default "affinity"
        Which maximum-entropy equilibrium: affinity entropy (copy-proof) or Shannon entropy.
    sigma2 : float, default 1e-6
        Affinity kernel variance (rows of ``A`` as payoff vectors).
    tol : float, default 1e-10
        Tolerance of the dual solve and of the equilibrium check.

    Returns
    -------
    NashAverageResult
        Ratings ``A p* <= 0``, the equilibrium ``p*``, copy groups and residual.

    Raises
    ------
    ValueError
        If ``logits`` is not square and antisymmetric, or ``selection`` is unknown.
    ConvergenceError
        If the support LP or the affinity selection fails.

    References
    ----------
    Balduzzi, Tuyls, Pérolat, Graepel, "Re-evaluating Evaluation", NeurIPS 2018,
    arXiv:1806.02643. Liu et al., "Re-evaluating Open-ended Evaluation of Large Language
    Models", ICLR 2025, arXiv:2502.20170.
    """
    a = np.asarray(logits, dtype=np.float64)
    if a.ndim != _MATRIX or a.shape[0] != a.shape[1] or not np.allclose(a, -a.T, atol=1e-12):
        raise ValueError("logits must be a square antisymmetric matrix")
    if selection not in SELECTIONS:
        raise ValueError(f"selection must be one of {SELECTIONS}, got {selection!r}")
    diff = a[:, None, :] - a[None, :, :]
    kernel = affinity_kernel(np.mean(diff * diff, axis=2), sigma2)
    groups = copy_groups(kernel)
    if selection == "shannon":
        p = _max_entropy_equilibrium(a, tol)
    elif np.allclose(kernel, groups[:, None] == groups[None, :], rtol=0.0, atol=1e-12):
        # A 0/1 kernel: the affinity entropy is the Shannon entropy of the copy groups' masses,
        # so solve the game of one representative per group and share each mass evenly.
        reps = np.unique(groups, return_index=True)[1]
        mass = _max_entropy_equilibrium(a[np.ix_(reps, reps)], tol)
        p = mass[groups] / np.bincount(groups)[groups]
    else:
        start = _max_entropy_equilibrium(a, tol)
        p = _max_affinity(a, _equilibrium_support(a), kernel, start)
    ratings = a @ p
    residual = max(0.0, float(ratings.max()))
    return NashAverageResult(
        names=names,
        ratings=ratings,
        marginals=p,
        selection=selection,
        groups=groups,
        residual=residual,
        converged=residual <= 1e3 * tol,
    )


def _max_entropy_equilibrium(a: FloatArray, tol: float) -> FloatArray:
    """Shannon max-entropy equilibrium, projected onto the support's equality conditions."""
    support = _equilibrium_support(a)
    p = _max_shannon(a, support, tol)
    # Every equilibrium satisfies (A p)_j = 0 on the support: project onto that affine set to
    # remove the dual solver's last rounding of the conditions.
    cons = np.vstack([a[np.ix_(support, support)], np.ones((1, support.size))])
    target = np.concatenate([np.zeros(support.size), [1.0]])
    sub = p[support]
    sub -= np.linalg.lstsq(cons, cons @ sub - target, rcond=None)[0]
    p[support] = np.maximum(sub, 0.0)
    return np.asarray(p / p.sum(), dtype=np.float64)
