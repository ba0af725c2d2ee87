"""Correlated equilibrium of the prompt-versus-models game, of minimum KL to ``tau`` (small games).

A correlated equilibrium (CE) is a joint distribution over ``(p, k, r)`` from which no player
gains by deviating from a *recommended* action ``a`` to ``a'``: one constraint per player and
ordered pair of actions, so ``P^2 + 2 M^2`` dual multipliers. Among CEs take the one closest in
KL divergence to ``tau_P x tau_M x tau_M`` (what polarix's ``ce_maxent`` computes with the
reference as target): ``sigma_mu ~ rho exp(sum mu_{i,a,a'} (u_i(a, .) - u_i(a', .)) [a_i = a])``,
``log Z(mu)`` minimised over ``mu >= 0`` by L-BFGS-B. The joint is held in memory, so this is
for a few hundred prompt clusters at most; the ratings are the deviation gains
``E_sigma[u_i(a', a_-i)] - E_sigma[u_i(a)]`` as for the CCE.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeResult, minimize
from scipy.special import logsumexp

from ratings.core.equilibrium.affinity import DEFAULT_SIGMA2
from ratings.core.equilibrium.game import (
    EquilibriumResult,
    GameReference,
    Reference,
    game_reference,
)
from ratings.core.equilibrium.winprob import WinProbabilities
from ratings.core.types import FloatArray

#: Largest joint (P * M * M entries) the dense CE solver accepts.
MAX_JOINT = 4_000_000


def _player_payoffs(payoff: NDArray[np.floating]) -> list[FloatArray]:
    """Each player's payoff with its own action axis first, flattened to ``(n_i, rest)``."""
    a = np.asarray(payoff, dtype=np.float64)
    return [np.moveaxis(u, i, 0) for i, u in enumerate((np.abs(a), a, -a))]


def _logit(mu: list[FloatArray], payoffs: list[FloatArray]) -> FloatArray:
    total = np.zeros(payoffs[0].shape)
    for i, (m, u) in enumerate(zip(mu, payoffs, strict=True)):
        # mu[a, a'] (u(a, .) - u(a', .)) summed over a', placed on the recommended action a
        term = m.sum(axis=1).reshape((-1,) + (1,) * (u.ndim - 1)) * u
        term -= np.tensordot(m, u, axes=(1, 0))
        total += np.moveaxis(term, 0, i)
    return total


def equilibrium_ce(
    game: WinProbabilities,
    *,
    reference: Reference = "affinity",
    sigma2: float = DEFAULT_SIGMA2,
    tol: float = 1e-8,
    max_iter: int = 10_000,
) -> EquilibriumResult:
    """Correlated-equilibrium ratings: the CE of minimum KL to the reference product.

    Parameters
    ----------
    game : WinProbabilities
        The payoff tensor ``A``; at most :data:`MAX_JOINT` joint entries.
    reference : {"affinity", "uniform"}, default "affinity"
        The reference marginals.
    sigma2 : float, default 1e-6
        Affinity kernel variance.
    tol : float, default 1e-8
        L-BFGS-B projected-gradient tolerance (the largest CE gain left).
    max_iter : int, default 10000
        Iteration cap.

    Returns
    -------
    EquilibriumResult
        Deviation-gain ratings at the CE, its marginals, per-prompt contributions, and the
        largest remaining CE gain as residual.

    Raises
    ------
    ValueError
        If the joint is larger than :data:`MAX_JOINT`, or ``reference`` is unknown.

    References
    ----------
    Aumann, "Subjectivity and correlation in randomized strategies", J. Math. Econ. 1 (1974),
    doi:10.1016/0304-4068(74)90037-8. Marris et al., arXiv:2210.02205. Liu et al.,
    arXiv:2502.20170.
    """
    payoff = game.payoff
    n_p, m, _ = payoff.shape
    if n_p * m * m > MAX_JOINT:
        raise ValueError(f"the CE joint would have {n_p * m * m} entries (> {MAX_JOINT})")
    ref = game_reference(payoff, reference, sigma2)
    tau = (ref.prompts.marginals, ref.models.marginals, ref.models.marginals)
    log_rho = np.log(np.einsum("p,k,r->pkr", *tau))
    payoffs = _player_payoffs(payoff)
    sizes = [n_p * n_p, m * m, m * m]

    def unpack(flat: FloatArray) -> list[FloatArray]:
        parts = np.split(flat, np.cumsum(sizes)[:-1])
        return [q.reshape(int(np.sqrt(q.size)), -1) for q in parts]

    def dual(flat: FloatArray) -> tuple[float, FloatArray]:
        logit = log_rho + _logit(unpack(flat), payoffs)
        log_z = float(logsumexp(logit))
        return log_z, _dual_grad(payoffs, np.exp(logit - log_z))

    res = minimize(
        dual,
        np.zeros(sum(sizes)),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * sum(sizes),
        options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-16, "maxcor": 30},
    )
    mu = np.maximum(np.asarray(res.x, dtype=np.float64), 0.0)
    sigma = ce_joint(payoff, ref, mu)
    return replace(_result(game, ref, sigma, res, tol), dual=mu)


def ce_joint(payoff: NDArray[np.floating], ref: GameReference, dual: FloatArray) -> FloatArray:
    """The joint distribution of the CE with multipliers ``dual`` (``EquilibriumResult.dual``).

    Parameters
    ----------
    payoff : ndarray, shape (n_prompts, n_items, n_items)
        The payoff tensor ``A``.
    ref : GameReference
        The reference marginals the CE was computed against.
    dual : ndarray, shape (n_prompts**2 + 2 * n_items**2,)
        Multipliers of the prompt, king and rebel constraints, each ``(a, a')`` row-major.

    Returns
    -------
    ndarray, shape (n_prompts, n_items, n_items)
        ``sigma``, summing to 1.

    References
    ----------
    Marris et al., arXiv:2210.02205.
    """
    n_p, m, _ = payoff.shape
    parts = np.split(dual, np.cumsum([n_p * n_p, m * m])[:2])
    mu = [parts[0].reshape(n_p, n_p), parts[1].reshape(m, m), parts[2].reshape(m, m)]
    tau = (ref.prompts.marginals, ref.models.marginals, ref.models.marginals)
    logit = np.log(np.einsum("p,k,r->pkr", *tau)) + _logit(mu, _player_payoffs(payoff))
    return np.asarray(np.exp(logit - logsumexp(logit)), dtype=np.float64)


def _result(
    game: WinProbabilities,
    ref: GameReference,
    sigma: FloatArray,
    res: OptimizeResult,
    tol: float,
) -> EquilibriumResult:
    a = np.asarray(game.payoff, dtype=np.float64)
    gains_p = np.einsum("qkr,pkr->q", np.abs(a), sigma) - float(np.sum(np.abs(a) * sigma))
    gains_m = np.einsum("pqr,pkr->q", a, sigma) - float(np.sum(a * sigma))
    pr = sigma.sum(axis=1)
    contributions = np.einsum("pkr,pr->pk", a, pr) - np.sum(a * sigma, axis=(1, 2))[:, None]
    # the largest gain left of a deviation from a recommended action
    gap = max(0.0, float(-np.min(_dual_grad(_player_payoffs(a), sigma))))
    return EquilibriumResult(
        method="ce",
        names=game.names,
        prompt_names=game.prompt_names,
        ratings=gains_m,
        marginals=sigma.sum(axis=(0, 2)),
        prompt_ratings=gains_p,
        prompt_marginals=sigma.sum(axis=(1, 2)),
        contributions=contributions,
        residual=gap,
        reference=ref,
        converged=bool(res.success) or gap <= tol,
        n_iter=int(res.nit),
        params=(
            ("alpha", game.alpha),
            ("prior", game.prior),
            ("reference", ref.kind),
            ("sigma2", ref.sigma2),
            ("tol", tol),
        ),
    )


def _dual_grad(payoffs: list[FloatArray], sigma: FloatArray) -> FloatArray:
    """``E[(u_i(a) - u_i(a', .)) [a_i = a]]`` for each player and pair ``(a, a')``; >= 0 at a CE."""
    grads = []
    for i, u in enumerate(payoffs):
        s = np.moveaxis(sigma, i, 0).reshape(u.shape[0], -1)
        ur = u.reshape(u.shape[0], -1)
        grads.append(((s * ur).sum(axis=1)[:, None] - s @ ur.T).ravel())
    return np.concatenate(grads)
