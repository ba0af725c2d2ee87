"""Coarse correlated equilibrium of the prompt-versus-models game, of minimum KL to ``tau``.

Among the CCEs (joint distributions ``sigma(p, k, r)`` from which no player gains by committing
to one action in advance), take the one closest in KL divergence to the product of the
reference marginals ``rho = tau_P x tau_M x tau_M``. Its dual has one multiplier per (player,
deviation): ``sigma_mu(a) ~ rho(a) exp(sum mu . (u(a) - u(a', a_-i)))``; minimise ``log Z(mu)``
over ``mu >= 0`` with L-BFGS-B. The gradient is the vector of negated CCE ratings, so the
projected gradient is the CCE gap. King and rebel are symmetric and the min-KL CCE is unique,
so the king's and the rebel's multipliers are taken equal; the exponent then simplifies to
``f_p(k) + f_p(r) + s_P |A[p, k, r]| - G[k, r]`` with ``f_p = log tau_M + A_p mu_M``,
``G = sum_p mu_P(p) |A_p|`` and ``s_P = sum mu_P``, and no ``P x M x M`` array is ever built
beyond one block of prompts.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.sparse import csr_matrix

from ratings.core.affinity import DEFAULT_SIGMA2, WORKERS
from ratings.core.equilibrium import (
    EquilibriumResult,
    GameReference,
    Reference,
    blocks,
    game_reference,
)
from ratings.core.types import FloatArray
from ratings.core.winprob import WinProbabilities


@dataclass(frozen=True, slots=True)
class _Joint:
    """Sufficient statistics of ``sigma_mu``: ``log Z``, its marginals and deviation payoffs."""

    log_z: float
    prompt_model: FloatArray  # sigma(p, k) summed over the rebel, (P, M)
    model_dev: FloatArray  # sum_{p, r} sigma(p, r) A[p, k', r], (M,)
    prompt_dev: FloatArray  # sum_{k, r} sigma(k, r) |A[p', k, r]|, (P,)
    prompt_value: float  # E_sigma |A|


@dataclass(frozen=True, slots=True)
class _Block:
    """One block's share of the sums, scaled by ``exp(-top)``."""

    top: float
    total: float
    value: float
    columns: FloatArray
    prompt_model: FloatArray


_FLOOR_EXPONENT = -700.0

#: The side of the square that sizes a block of the k <= r triangle (about a million entries).
_TRI_BLOCK = 71


class _Dual:
    """``log Z(mu)`` and its gradient for the CCE dual, in blocked passes over ``A``.

    ``sigma_mu(p, k, r)`` is symmetric in ``(k, r)``, so only the upper triangle ``k <= r`` of
    each prompt's ``M x M`` slice is exponentiated, with weight 2 off the diagonal folded into
    the exponent; ``|A|`` is stored on that triangle only.
    """

    def __init__(self, payoff: NDArray[np.floating], ref: GameReference) -> None:
        self.payoff = payoff
        self.n_prompts, self.n_items, _ = payoff.shape
        m = self.n_items
        self.rows, self.cols = np.triu_indices(m)
        # Fancy indexing after a slice returns a Fortran-ordered array; a block of prompts must
        # be one contiguous run of memory, or every pass over it strides (several times slower).
        self.abs_tri = np.ascontiguousarray(
            np.abs(np.asarray(payoff[:, self.rows, self.cols], dtype=np.float64))
        )
        self.log_weight = np.where(self.rows == self.cols, 0.0, np.log(2.0))
        # column sums of the symmetric slice from its weighted triangle: half to each end
        n_tri = self.rows.size
        self.to_columns = csr_matrix(
            (
                np.full(2 * n_tri, 0.5),
                (np.r_[np.arange(n_tri), np.arange(n_tri)], np.r_[self.rows, self.cols]),
            ),
            shape=(n_tri, m),
        )
        self.log_tp = np.log(ref.prompts.marginals)
        self.log_tm = np.log(ref.models.marginals)
        self.n_eval = 0

    def joint(self, mu: FloatArray) -> _Joint:
        n_p = self.n_prompts
        mu_p, mu_m = mu[:n_p], mu[n_p:]
        self.n_eval += 1
        shift = self.log_weight - mu_p @ self.abs_tri  # log 2 off the diagonal, minus G
        f = self.log_tm[None, :] + np.asarray(self.payoff @ mu_m) + 0.5 * self.log_tp[:, None]
        s_p = float(mu_p.sum())
        spans = list(blocks(n_p, _TRI_BLOCK))
        # numpy releases the GIL in its loops, so blocks run in parallel on threads
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            parts = list(pool.map(lambda sl: self._block(sl, f, shift, s_p), spans))
        top = max(part.top for part in parts)
        pk = np.empty((n_p, self.n_items))
        kr = np.zeros(self.rows.size)
        total, value = 0.0, 0.0
        for sl, part in zip(spans, parts, strict=True):
            scale = float(np.exp(part.top - top))
            total += part.total * scale
            value += part.value * scale
            kr += part.columns * scale
            pk[sl] = part.prompt_model * scale
        pk /= total
        kr /= total
        return _Joint(
            log_z=top + float(np.log(total)),
            prompt_model=pk,
            model_dev=np.einsum("pkr,pr->k", self.payoff, pk),
            prompt_dev=self.abs_tri @ kr,
            prompt_value=value / total,
        )

    def _block(self, sl: slice, f: FloatArray, shift: FloatArray, s_p: float) -> _Block:
        """Unnormalised sums of ``exp(logit - top)`` over one block of prompts."""
        e = self.abs_tri[sl] * s_p
        e += f[sl][:, self.rows]
        e += f[sl][:, self.cols]
        e += shift
        top = float(e.max())
        e -= top
        # Weights below exp(-700) of the largest cannot matter; as subnormal numbers they would
        # slow every later sum over the block many times over.
        np.maximum(e, _FLOOR_EXPONENT, out=e)
        np.exp(e, out=e)
        columns = e.sum(axis=0)
        return _Block(
            top=top,
            total=float(columns.sum()),
            value=float(np.vdot(e, self.abs_tri[sl])),
            columns=columns,
            prompt_model=np.asarray(e @ self.to_columns),
        )

    def __call__(self, mu: FloatArray) -> tuple[float, FloatArray]:
        j = self.joint(mu)
        grad = np.concatenate([j.prompt_value - j.prompt_dev, -2.0 * j.model_dev])
        return j.log_z, grad


def equilibrium_cce(
    game: WinProbabilities,
    *,
    reference: Reference = "affinity",
    sigma2: float = DEFAULT_SIGMA2,
    tol: float = 1e-6,
    max_iter: int = 5_000,
) -> EquilibriumResult:
    """Coarse-correlated-equilibrium ratings: the CCE of minimum KL to the reference product.

    Parameters
    ----------
    game : WinProbabilities
        The payoff tensor ``A`` of the prompt-versus-models game.
    reference : {"affinity", "uniform"}, default "affinity"
        The reference marginals: max-affinity-entropy (copy-proof) or uniform.
    sigma2 : float, default 1e-6
        Affinity kernel variance.
    tol : float, default 1e-6
        Stop when the projected dual gradient (largest deviation gain left) is below.
    max_iter : int, default 5000
        L-BFGS-B iteration cap.

    Returns
    -------
    EquilibriumResult
        Model and prompt CCE ratings (``<= 0``), the CCE's marginals, per-prompt
        contributions, and the CCE gap as residual.

    Raises
    ------
    ValueError
        If ``reference`` is unknown.

    References
    ----------
    Marris, Gemp, Anthony, Tacchetti, Liu, Tuyls, "Game theoretic rating in N-player
    general-sum games with equilibria", arXiv:2210.02205. Liu et al., "Re-evaluating
    Open-ended Evaluation of Large Language Models", ICLR 2025, arXiv:2502.20170. Byrd, Lu,
    Nocedal, Zhu, "A limited memory algorithm for bound constrained optimization", SIAM J.
    Sci. Comput. 16 (1995), doi:10.1137/0916069.
    """
    payoff = game.payoff
    ref = game_reference(payoff, reference, sigma2)
    dual = _Dual(payoff, ref)
    n = dual.n_prompts + dual.n_items
    res = minimize(
        dual,
        np.zeros(n),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * n,
        options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-16, "maxcor": 50},
    )
    mu = np.maximum(np.asarray(res.x, dtype=np.float64), 0.0)
    joint = dual.joint(mu)
    model_ratings = joint.model_dev
    prompt_ratings = joint.prompt_dev - joint.prompt_value
    gap = max(0.0, float(model_ratings.max()), float(prompt_ratings.max()))
    projected = np.where(mu > 0, np.abs(dual(mu)[1]), np.maximum(-dual(mu)[1], 0.0))
    converged = bool(res.success) or float(projected.max()) <= tol
    prompt_model = joint.prompt_model
    contributions = np.einsum("pkr,pr->pk", payoff, prompt_model)
    return EquilibriumResult(
        method="cce",
        names=game.names,
        prompt_names=game.prompt_names,
        ratings=model_ratings,
        marginals=prompt_model.sum(axis=0),
        prompt_ratings=prompt_ratings,
        prompt_marginals=prompt_model.sum(axis=1),
        contributions=contributions,
        residual=gap,
        reference=ref,
        converged=converged and gap <= tol,
        n_iter=int(res.nit),
        dual=mu,
        params=(
            ("alpha", game.alpha),
            ("prior", game.prior),
            ("reference", ref.kind),
            ("sigma2", ref.sigma2),
            ("tol", tol),
            ("kl_to_reference", -joint.log_z),
            ("solver_message", str(res.message)),
        ),
    )


def cce_joint(payoff: NDArray[np.floating], ref: GameReference, dual: FloatArray) -> FloatArray:
    """The joint distribution ``sigma(p, k, r)`` of the CCE with multipliers ``dual``.

    It materialises a ``P x M x M`` array, so it is meant for small games (tests, plots).

    Parameters
    ----------
    payoff : ndarray, shape (n_prompts, n_items, n_items)
        The payoff tensor ``A``.
    ref : GameReference
        The reference marginals the CCE was computed against.
    dual : ndarray, shape (n_prompts + n_items,)
        ``EquilibriumResult.dual``.

    Returns
    -------
    ndarray, shape (n_prompts, n_items, n_items)
        ``sigma``, summing to 1.

    References
    ----------
    Marris et al., arXiv:2210.02205.
    """
    a = np.asarray(payoff, dtype=np.float64)
    n_p = a.shape[0]
    mu_p, mu_m = dual[:n_p], dual[n_p:]
    f = np.log(ref.models.marginals)[None, :] + a @ mu_m
    logit = np.log(ref.prompts.marginals)[:, None, None] + f[:, :, None] + f[:, None, :]
    logit += np.abs(a) * mu_p.sum() - np.tensordot(mu_p, np.abs(a), 1)
    e = np.exp(logit - logit.max())
    return np.asarray(e / e.sum(), dtype=np.float64)
