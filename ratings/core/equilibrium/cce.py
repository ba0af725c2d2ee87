"""Coarse correlated equilibrium of the prompt-versus-models game, of minimum KL to ``tau``.

Among the CCEs (joint distributions ``sigma(p, k, r)`` from which no player gains by committing
to one action in advance), take the one closest in KL divergence to the product of the
reference marginals ``rho = tau_P x tau_M x tau_M``. Its dual has one multiplier per (player,
deviation): ``sigma_mu(a) ~ rho(a) exp(sum mu . (u(a) - u(a', a_-i)))``; minimise ``log Z(mu)``
over ``mu >= 0`` with L-BFGS-B on float32 passes, then Newton steps on the few multipliers left
positive, in float64. The gradient is the vector of negated CCE ratings, so the
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
from scipy.optimize import OptimizeResult, minimize
from scipy.sparse import csr_matrix

from ratings.core.equilibrium.affinity import DEFAULT_SIGMA2, WORKERS
from ratings.core.equilibrium.game import (
    EquilibriumResult,
    GameReference,
    Reference,
    blocks,
    game_reference,
)
from ratings.core.equilibrium.winprob import WinProbabilities
from ratings.core.types import FloatArray


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
    columns: FloatArray  # sum over the block's prompts, per (k, r) of the triangle
    rounding: float  # sum of the weights times the exponent's rounding to the pass precision
    prompt_model: FloatArray  # (block, M)
    model_dev: FloatArray  # sum_{p in block, r} sigma(p, r) A[p, k, r], (M,)


@dataclass(frozen=True, slots=True)
class _Tensors:
    """The arrays one pass reads, in the precision of that pass."""

    dtype: type[np.floating]
    payoff: NDArray[np.floating]
    abs_tri: NDArray[np.floating]
    to_columns: csr_matrix
    floor: float  # exponents below it (relative to the block's top) are clamped to it


#: The side of the square that sizes a block of the k <= r triangle (about a million entries).
_TRI_BLOCK = 71

#: Clamped exponents: as subnormal numbers, weights below these would slow every later sum over
#: the block many times over, and they cannot matter (below 1e-300 or 1e-34 of the largest).
_FLOOR_EXPONENT_64 = -700.0
_FLOOR_EXPONENT_32 = -80.0
#: Largest s_P for which ceil(s_P) is used as every block's top; a larger s_P could leave
#: every term of a block below float32's floor relative to it.
_TOP_BOUND = 40.0


def _tensors(
    payoff: FloatArray, abs_tri: FloatArray, to_columns: csr_matrix, dtype: type[np.floating]
) -> _Tensors:
    floor = _FLOOR_EXPONENT_64 if dtype is np.float64 else _FLOOR_EXPONENT_32
    return _Tensors(
        dtype=dtype,
        payoff=np.ascontiguousarray(payoff, dtype=dtype),
        abs_tri=np.ascontiguousarray(abs_tri, dtype=dtype),
        to_columns=csr_matrix(to_columns, dtype=dtype),
        floor=floor,
    )


class _Dual:
    """``log Z(mu)`` and its gradient for the CCE dual, in blocked passes over ``A``.

    ``sigma_mu(p, k, r)`` is symmetric in ``(k, r)``, so only the upper triangle ``k <= r`` of
    each prompt's ``M x M`` slice is exponentiated, with weight 2 off the diagonal folded into
    the exponent; ``|A|`` is stored on that triangle only.

    A pass runs in one of two precisions. ``exact`` (float64) is the dual as defined.
    ``fast`` (float32) reads half the memory and its ``exp`` is SIMD-vectorised (three times
    faster than float64's without AVX-512): each prompt's exponent is built relative to its own
    largest term, the sums are accumulated in float64, and the roundings that are shared by
    whole rows or columns of entries (of ``s_P``, ``shift`` and ``f``) are restored to first
    order, so ``log Z`` is smooth to about ``1e-9`` and its gradient good to about ``1e-8``:
    enough to steer the optimiser, not to certify the equilibrium, which
    :func:`equilibrium_cce` does with ``exact`` passes.
    """

    def __init__(self, payoff: NDArray[np.floating], ref: GameReference) -> None:
        a = np.ascontiguousarray(payoff, dtype=np.float64)
        self.n_prompts, self.n_items, _ = a.shape
        m = self.n_items
        self.rows, self.cols = np.triu_indices(m)
        self.row_lengths = np.arange(m, 0, -1)  # row k of the triangle holds r = k, ..., m - 1
        # Fancy indexing after a slice returns a Fortran-ordered array; a block of prompts must
        # be one contiguous run of memory, or every pass over it strides (several times slower).
        abs_tri = np.ascontiguousarray(np.abs(a[:, self.rows, self.cols]))
        self.log_weight = np.where(self.rows == self.cols, 0.0, np.log(2.0))
        # column sums of the symmetric slice from its weighted triangle: half to each end
        n_tri = self.rows.size
        to_columns = csr_matrix(
            (
                np.full(2 * n_tri, 0.5),
                (np.r_[np.arange(n_tri), np.arange(n_tri)], np.r_[self.rows, self.cols]),
            ),
            shape=(n_tri, m),
        )
        self.exact = _tensors(a, abs_tri, to_columns, np.float64)
        self.fast = _tensors(a, abs_tri, to_columns, np.float32)
        self.log_tp = np.log(ref.prompts.marginals)
        self.log_tm = np.log(ref.models.marginals)
        self.n_eval = 0

    def joint(self, mu: FloatArray, tensors: _Tensors | None = None) -> _Joint:
        """The sufficient statistics of ``sigma_mu``, by default in float64."""
        t = self.exact if tensors is None else tensors
        n_p = self.n_prompts
        mu_p, mu_m = mu[:n_p], mu[n_p:]
        self.n_eval += 1
        shift = self.log_weight - mu_p @ self.exact.abs_tri  # log 2 off the diagonal, minus G
        s_p = float(mu_p.sum())
        # With f and shift taken relative to their largest, every exponent is at most s_P
        # (|A| <= 1) and the diagonal's of each prompt's top model at least -log 2, so an
        # integer above s_P serves every block as its top, without a pass to find the largest.
        pass_top = float(np.ceil(s_p)) if s_p < _TOP_BOUND else 0.0
        shift_top = float(shift.max()) + pass_top
        shift -= shift_top
        shift_t = shift.astype(t.dtype)
        s_t = t.dtype(s_p)
        spans = list(blocks(n_p, _TRI_BLOCK))
        mu_t = mu_m.astype(t.dtype)
        # numpy releases the GIL in its loops, so blocks run in parallel on threads
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            parts = list(
                pool.map(
                    lambda sl: self._block(sl, t, mu_t, shift_t, s_t, find_top=not pass_top),
                    spans,
                )
            )
        top = max(part.top for part in parts)
        pk = np.empty((n_p, self.n_items))
        kr = np.zeros(self.rows.size)
        model_dev = np.zeros(self.n_items)
        total, value, rounding = 0.0, 0.0, 0.0
        for sl, part in zip(spans, parts, strict=True):
            scale = float(np.exp(part.top - top))
            total += part.total * scale
            rounding += part.rounding * scale
            value += part.value * scale
            kr += part.columns * scale
            model_dev += part.model_dev * scale
            pk[sl] = part.prompt_model * scale
        pk /= total
        kr /= total
        model_dev /= total
        # The exponent was built from mu_M, s_P, shift and f rounded to the pass precision;
        # their rounding errors are the same for whole rows or columns of entries, so they do
        # not average out: they would make log Z move in steps of the rounding of mu, fatal to
        # a line search. Restore them to first order (each term is a derivative of log Z).
        first_order = (s_p - float(s_t)) * value / total + float(kr @ (shift - shift_t))
        first_order += rounding / total - 2.0 * float(model_dev @ (mu_m - mu_t))
        return _Joint(
            log_z=top + shift_top + float(np.log(total)) + first_order,
            prompt_model=pk,
            model_dev=model_dev,
            prompt_dev=self.exact.abs_tri @ kr,
            prompt_value=value / total,
        )

    def _block(
        self,
        sl: slice,
        t: _Tensors,
        mu_m: NDArray[np.floating],
        shift: NDArray[np.floating],
        s_p: np.floating,
        *,
        find_top: bool,
    ) -> _Block:
        """Unnormalised sums of ``exp(logit - top)`` over one block of prompts.

        Each prompt's exponent is built relative to its own largest ``f_p``, so the terms that
        carry the weight are near 0, where float32 resolves them best; the prompts' offsets
        ``exp(2 (c_p - c))`` are applied in float64 to the per-prompt sums.
        """
        payoff, abs_tri = t.payoff[sl], t.abs_tri[sl]
        # one matrix-vector product for the block, not a stack of B small ones (3x slower)
        f = np.asarray(payoff.reshape(-1, self.n_items) @ mu_m, dtype=np.float64)
        f = f.reshape(payoff.shape[:2])
        f += self.log_tm[None, :] + 0.5 * self.log_tp[sl, None]
        c = f.max(axis=1)
        c_top = float(c.max())
        f -= c[:, None]
        fs = f.astype(t.dtype)
        # f_p(k) + f_p(r) on the triangle, row by row: repeat for k, slices for r (a third of
        # the time of two fancy-index gathers)
        e = np.repeat(fs, self.row_lengths, axis=1)
        e += np.concatenate([fs[:, k:] for k in range(self.n_items)], axis=1)
        e += shift
        e += abs_tri * s_p
        top = 0.0
        if find_top:
            # An integer top: e - top is then rounded the same way whatever the largest term's
            # last bits are, instead of shifting every term's rounding in step when they change.
            top = float(np.ceil(e.max()))
            e -= t.dtype(top)
        if 2.0 * float(fs.min()) + float(shift.min()) - top < t.floor:
            np.maximum(e, t.dtype(t.floor), out=e)
        np.exp(e, out=e)
        scale = np.exp(2.0 * (c - c_top))
        per_prompt = e.sum(axis=1, dtype=np.float64)
        total = float(scale @ per_prompt)
        value = float(scale @ np.einsum("pt,pt->p", e, abs_tri))
        columns = np.asarray(scale.astype(t.dtype) @ e, dtype=np.float64)
        prompt_model = np.asarray(e @ t.to_columns, dtype=np.float64) * scale[:, None]
        model_dev = payoff @ prompt_model[:, :, None].astype(t.dtype)
        return _Block(
            top=top + 2.0 * c_top,
            total=total,
            value=value,
            columns=columns,
            rounding=2.0 * float(np.vdot(prompt_model, f - fs)),
            prompt_model=prompt_model,
            model_dev=np.asarray(model_dev[:, :, 0].sum(axis=0, dtype=np.float64)),
        )

    def __call__(self, mu: FloatArray, tensors: _Tensors | None = None) -> tuple[float, FloatArray]:
        j = self.joint(mu, tensors)
        return j.log_z, _gradient(j)


def _gradient(j: _Joint) -> FloatArray:
    """The gradient of ``log Z``: the negated prompt ratings, then the model ratings times -2."""
    return np.concatenate([j.prompt_value - j.prompt_dev, -2.0 * j.model_dev])


def _projected(mu: FloatArray, grad: FloatArray) -> float:
    """The largest component of the projected gradient on ``mu >= 0``: the CCE gap."""
    return float(np.where(mu > 0, np.abs(grad), np.maximum(-grad, 0.0)).max())


#: Relative reduction of ``log Z`` below which float32 passes stop: their rounding makes
#: ``log Z`` uneven at about 1e-9, and a line search cannot see through smaller steps.
_FAST_FTOL = 1e-10
#: The Newton finish works on at most this many free multipliers (one float32 pass per column
#: of its Hessian); with more, L-BFGS-B goes on instead.
_MAX_FREE = 80
#: Finite-difference step for the Hessian's columns: the float32 gradient is smooth to about
#: 1e-9, so the columns are good to about 1e-4, plenty for Newton steps.
_HESSIAN_STEP = 1e-5
_NEWTON_STEPS = 20
#: L-BFGS-B hands over to Newton steps once at most this many multipliers have been positive
#: for this many iterations in a row: at 100 x 2,000 it then spends over 100 more iterations
#: letting the last 30 leave one or two at a time, which face-restricted Newton steps do in 3.
_HANDOFF_FREE = 40
_HANDOFF_ITERATIONS = 5
_MIN_STEP = 1e-3  # a Newton step cut below this does not descend: L-BFGS-B takes over


class _SmallFreeSet(StopIteration):
    """L-BFGS-B is stopped: few multipliers have stayed free, Newton steps take over."""


def _lbfgsb(
    dual: _Dual,
    mu: FloatArray,
    tensors: _Tensors,
    *,
    tol: float,
    ftol: float,
    max_iter: int,
    handoff: int = 0,
) -> tuple[FloatArray, int]:
    """L-BFGS-B on ``log Z`` from ``mu``, with passes of the given precision.

    With ``handoff``, it stops once at most that many multipliers have been positive for
    :data:`_HANDOFF_ITERATIONS` iterations in a row.
    """
    n = mu.size
    small_for = [0]

    def watch(intermediate_result: OptimizeResult) -> None:
        small = int(np.count_nonzero(intermediate_result.x > 0)) <= handoff
        small_for[0] = small_for[0] + 1 if small else 0
        if small_for[0] >= _HANDOFF_ITERATIONS:
            raise _SmallFreeSet

    res = minimize(
        dual,
        mu,
        args=(tensors,),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * n,
        callback=watch if handoff else None,
        options={"maxiter": max_iter, "gtol": tol, "ftol": ftol, "maxcor": 50},
    )
    return np.maximum(np.asarray(res.x, dtype=np.float64), 0.0), int(res.nit)


def _free_hessian(dual: _Dual, mu: FloatArray, free: NDArray[np.intp]) -> FloatArray:
    """The Hessian of ``log Z`` on the ``free`` multipliers, by forward differences."""
    _, g0 = dual(mu, dual.fast)
    columns = []
    for i in free:
        shifted = mu.copy()
        shifted[i] += _HESSIAN_STEP
        columns.append((dual(shifted, dual.fast)[1][free] - g0[free]) / _HESSIAN_STEP)
    hess = np.array(columns).T
    return np.asarray(0.5 * (hess + hess.T), dtype=np.float64)


def _newton_direction(hess: FloatArray, grad: FloatArray) -> FloatArray:
    """``hess^+ grad``, ignoring directions of (near) zero curvature, as duplicates make."""
    values, vectors = np.linalg.eigh(hess)
    keep = values > 1e-9 * max(float(values.max()), 1e-300)
    coef = (vectors.T @ grad)[keep] / values[keep]
    return np.asarray(vectors[:, keep] @ coef, dtype=np.float64)


def _face_step(hess: FloatArray, grad: FloatArray, x: FloatArray) -> FloatArray:
    """A Newton step on the face of ``x >= 0`` that the step itself points to.

    The multipliers a plain Newton step would take below 0 are set to 0 and the step of the
    others re-solved given that, until no multiplier is taken below 0: a projected plain step
    is often not a descent direction when several multipliers must leave at once.
    """
    keep = np.ones(x.size, dtype=bool)
    delta = np.zeros(x.size)
    for _ in range(x.size):
        out = ~keep
        delta[out] = -x[out]
        rhs = grad[keep] + hess[np.ix_(keep, out)] @ delta[out]
        delta[keep] = -_newton_direction(hess[np.ix_(keep, keep)], rhs)
        below = keep & (x + delta < 0)
        if not below.any():
            break
        keep &= ~below
    return delta


def _newton_finish(dual: _Dual, mu: FloatArray, tol: float) -> tuple[FloatArray, int, bool]:
    """Projected Newton steps on the free multipliers, from near the optimum.

    Near the optimum few multipliers are positive (a dozen at 100 models x 2,000 prompts) and
    ``log Z`` is badly conditioned on them (eigenvalues from 2e-3 to 4): L-BFGS-B needs dozens
    of passes there, while Newton steps projected on ``mu >= 0`` drop the multipliers that
    must leave all at once and reach ``1e-10`` in a few steps. The Hessian is differenced
    from float32 gradients (one pass per free multiplier) and kept while the free set only
    shrinks and full steps are taken; steps and their acceptance use float64 passes.
    """
    f, g = dual(mu)
    free: NDArray[np.intp] = np.empty(0, dtype=np.intp)
    hess = np.empty((0, 0))
    stale = True
    for step in range(_NEWTON_STEPS):
        if _projected(mu, g) <= tol:
            return mu, step, True
        now_free = np.flatnonzero((mu > 0) | (g < 0))
        if now_free.size > _MAX_FREE:
            return mu, step, False
        if stale or not np.isin(now_free, free).all():
            free, hess = now_free, _free_hessian(dual, mu, now_free)
            stale = False
        at = np.searchsorted(free, now_free)
        delta = _face_step(hess[np.ix_(at, at)], g[now_free], mu[now_free])
        alpha = 1.0
        while True:
            trial = mu.copy()
            trial[now_free] = np.maximum(mu[now_free] + alpha * delta, 0.0)
            f_trial, g_trial = dual(trial)
            # Armijo, with room for float64 rounding of log Z once steps get that small
            if f_trial <= f + 1e-4 * float(g @ (trial - mu)) + 1e-14 * max(1.0, abs(f)):
                break
            alpha *= 0.25
            stale = True  # the quadratic model was off: difference a new Hessian next
            if alpha < _MIN_STEP:
                return mu, step, False
        mu, f, g = trial, f_trial, g_trial
    return mu, _NEWTON_STEPS, _projected(mu, g) <= tol


def _solve(dual: _Dual, tol: float, max_iter: int) -> tuple[FloatArray, int, str]:
    """The dual optimum: L-BFGS-B on float32 passes, then Newton steps in float64.

    L-BFGS-B hands over as soon as the free multipliers are few; if the Newton steps cannot
    finish (too many free multipliers, or a step that does not descend), float32 L-BFGS-B
    goes on to its end and Newton steps try again, and float64 L-BFGS-B is the last resort.
    """
    n = dual.n_prompts + dual.n_items
    mu, n_iter = _lbfgsb(
        dual,
        np.zeros(n),
        dual.fast,
        tol=tol,
        ftol=_FAST_FTOL,
        max_iter=max_iter,
        handoff=_HANDOFF_FREE,
    )
    mu, steps, done = _newton_finish(dual, mu, 1e-2 * tol)
    n_iter += steps
    if done:
        return mu, n_iter, "float32 L-BFGS-B, then Newton steps"
    mu, more = _lbfgsb(dual, mu, dual.fast, tol=tol, ftol=_FAST_FTOL, max_iter=max_iter)
    mu, steps, done = _newton_finish(dual, mu, 1e-2 * tol)
    n_iter += more + steps
    if done:
        return mu, n_iter, "float32 L-BFGS-B, then Newton steps (second try)"
    mu, more = _lbfgsb(dual, mu, dual.exact, tol=tol, ftol=1e-16, max_iter=max_iter)
    return mu, n_iter + more, "float32 L-BFGS-B, then float64 L-BFGS-B"


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
    mu, n_iter, message = _solve(dual, tol, max_iter)
    joint = dual.joint(mu)
    model_ratings = joint.model_dev
    prompt_ratings = joint.prompt_dev - joint.prompt_value
    gap = max(0.0, float(model_ratings.max()), float(prompt_ratings.max()))
    converged = _projected(mu, _gradient(joint)) <= tol
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
        n_iter=n_iter,
        dual=mu,
        params=(
            ("alpha", game.alpha),
            ("prior", game.prior),
            ("reference", ref.kind),
            ("sigma2", ref.sigma2),
            ("tol", tol),
            ("kl_to_reference", -joint.log_z),
            ("solver_message", message),
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
