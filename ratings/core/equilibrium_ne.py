"""Nash equilibrium of the prompt-versus-models game: the limiting logit equilibrium from ``tau``.

The logit (quantal-response) equilibria with prior ``tau`` solve
``x = softmax(log tau_M + t * Abar(z) x)`` and ``z = softmax(log tau_P + t * c(x))`` with
``t = 1 / lambda``, ``Abar(z) = sum_p z_p A_p`` and ``c_p(x) = x' |A_p| x`` (king = rebel by
symmetry, so the unknowns are the model logits ``v`` and the prompt logits ``w``). At ``t = 0``
the solution is ``tau``; the principal branch leads, as ``t -> inf``, to one Nash equilibrium:
the limiting logit equilibrium. Plain annealing of ``t`` stalls or jumps branches at folds, so
the branch is followed by pseudo-arclength continuation in ``(v, w, t)``: a tangent predictor,
a Newton corrector on the hyperplane orthogonal to the tangent, and a limit on how far the
tangent may turn per step. The prompt block of the Jacobian is the identity, so a Schur
complement leaves an ``(M + 1) x (M + 1)`` bordered system per Newton step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ratings.core.affinity import DEFAULT_SIGMA2
from ratings.core.equilibrium import (
    EquilibriumResult,
    GameReference,
    Reference,
    game_reference,
    model_pass,
    softmax,
)
from ratings.core.types import FloatArray
from ratings.core.winprob import WinProbabilities

_MIN_STEP = 1e-10
_CONVERGED = 1e-11  # corrector: largest change of a probability counted as converged
_ROUGH = 1e-8  # ... between anchors, where only the path's shape matters
_STALLED = 1e-8  # ... or, if the changes stop shrinking, as stalled at rounding
_MAX_NEWTON = 8
_EASY_NEWTON = 3
_DRIFT = 0.5  # largest corrector move, relative to the step, before a step is refused
_SUPPORT = 1e-3  # relative x / tau below which the polish first leaves an action out
_NEG = -1e-9  # polished masses below this mean a wrong support guess
_DONE = 1e-13
_SAME = 1e-7  # log-weight difference below which two actions count as copies
_MAX_POLISH = 10
_ACTIVE_SET_ROUNDS = 10
_JOIN = 1e-9  # deviation gain above which an action joins the support
_FLOOR = 1e-8  # starting mass of an action that joins
_DENSE_POLISH = 300  # unknowns up to which the polish step uses one dense least-squares solve
_NEAR = 0.05  # largest L1 distance from the branch point to an accepted polished point


#: The payoff tensor A and |A|, kept so that each pass need not recompute |A|.
_Tensors = tuple[NDArray[np.floating], NDArray[np.floating]]


@dataclass(frozen=True, slots=True)
class _Point:
    """A point ``(v, w, t)`` of the branch with the quantities the Newton step needs."""

    v: FloatArray
    w: FloatArray
    t: float
    x: FloatArray
    z: FloatArray
    b: FloatArray  # b[p] = A_p x
    c: FloatArray  # c[p] = |A_p| x
    mean: FloatArray  # Abar = sum_p z_p A_p
    u: FloatArray  # Abar x, the model payoffs
    cost: FloatArray  # c_p(x) = x' |A_p| x, the prompt payoffs

    @property
    def nash_conv(self) -> float:
        king = float(self.u.max() - self.x @ self.u)
        prompt = float(self.cost.max() - self.z @ self.cost)
        return 2.0 * king + prompt


def _evaluate(payoff: _Tensors, v: FloatArray, w: FloatArray, t: float) -> _Point:
    return _at(payoff, (v, w, t), softmax(v), softmax(w))


def _at(
    payoff: _Tensors,
    logits: tuple[FloatArray, FloatArray, float],
    x: FloatArray,
    z: FloatArray,
) -> _Point:
    b, c, mean = model_pass(payoff[0], x, z, payoff[1])
    v, w, t = logits
    return _Point(v, w, t, x, z, b, c, mean, z @ b, c @ x)


def _residual(pt: _Point, log_tm: FloatArray, log_tp: FloatArray) -> tuple[FloatArray, FloatArray]:
    return pt.v - log_tm - pt.t * pt.u, pt.w - log_tp - pt.t * pt.cost


def _linear_parts(pt: _Point) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``S`` and ``g`` of the Schur-reduced Jacobian, with ``B' J_z`` and ``2 t C J_x``."""
    x, z, t = pt.x, pt.z, pt.t
    bz = (pt.b * z[:, None]).T - np.outer(pt.b.T @ z, z)  # B' J_z, (M, P)
    cx = 2.0 * t * (pt.c * x[None, :] - np.outer(pt.cost, x))  # -dF_w/dv, (P, M)
    mean_jx = pt.mean * x[None, :] - np.outer(pt.u, x)  # Abar J_x
    s = np.eye(x.shape[0]) - t * mean_jx - t * (bz @ cx)
    g = -pt.u - t * (bz @ pt.cost)
    return s, g, bz, cx


def _bordered_step(
    pt: _Point,
    tangent: tuple[FloatArray, FloatArray, float],
    f_v: FloatArray,
    f_w: FloatArray,
    gap: float,
) -> tuple[FloatArray, FloatArray, float]:
    """Solve the Newton (or tangent) system bordered by ``tangent . delta = -gap``."""
    s, g, bz, cx = _linear_parts(pt)
    tv, tw, tt = tangent
    m = s.shape[0]
    mat = np.empty((m + 1, m + 1))
    mat[:m, :m] = s
    mat[:m, m] = g
    mat[m, :m] = tv + cx.T @ tw
    mat[m, m] = tt + pt.cost @ tw
    rhs = np.empty(m + 1)
    rhs[:m] = -f_v - pt.t * (bz @ f_w)
    rhs[m] = -gap + tw @ f_w
    sol = np.linalg.solve(mat, rhs)
    dv, dt = sol[:m], float(sol[m])
    dw = -f_w + cx @ dv + pt.cost * dt
    return dv, dw, dt


def _tangent(
    pt: _Point, previous: tuple[FloatArray, FloatArray, float]
) -> tuple[FloatArray, FloatArray, float]:
    zeros_v, zeros_w = np.zeros_like(pt.v), np.zeros_like(pt.w)
    dv, dw, dt = _bordered_step(pt, previous, zeros_v, zeros_w, -1.0)
    norm = float(np.sqrt(dv @ dv + dw @ dw + dt * dt))
    return dv / norm, dw / norm, dt / norm


def _correct(
    payoff: _Tensors,
    pt: _Point,
    tangent: tuple[FloatArray, FloatArray, float],
    *,
    base: tuple[FloatArray, FloatArray, float],
    logs: tuple[FloatArray, FloatArray],
    max_newton: int,
    accuracy: float = _CONVERGED,
) -> tuple[_Point, int] | None:
    """Newton corrector on the hyperplane through ``pt`` orthogonal to ``tangent``."""
    tv, tw, tt = tangent
    previous = np.inf
    for it in range(1, max_newton + 1):
        f_v, f_w = _residual(pt, *logs)
        gap = float(tv @ (pt.v - base[0]) + tw @ (pt.w - base[1]) + tt * (pt.t - base[2]))
        try:
            dv, dw, dt = _bordered_step(pt, tangent, f_v, f_w, gap)
        except np.linalg.LinAlgError:
            return None
        if not (np.all(np.isfinite(dv)) and np.all(np.isfinite(dw)) and np.isfinite(dt)):
            return None
        pt = _evaluate(payoff, pt.v + dv, pt.w + dw, pt.t + dt)
        # Converged when the strategies, not the logits, stop moving (the logits of actions
        # with vanishing mass carry rounding noise that does not matter), or when the steps
        # stall at the rounding floor, which grows like t * eps.
        step = max(float(np.abs(pt.x * dv).max()), float(np.abs(pt.z * dw).max()))
        if step <= accuracy or (step <= _STALLED and step > 0.5 * previous):
            return pt, it
        previous = step
    return None


def _polish(
    payoff: _Tensors,
    pt: _Point,
    ref: GameReference,
    tangent: tuple[FloatArray, FloatArray, float],
) -> _Point | None:
    """Solve the Nash conditions on the supports the branch has reached, from its last point.

    The branch converges to its limit only like ``1 / t``; once the supports are clear, Newton
    on ``(Abar x)_k = 0`` (``k`` in the model support) and ``c_p(x) = c*`` (``p`` in the prompt
    support) finds the limit itself. Minimum-norm steps leave the directions the conditions do
    not fix, such as the split among copies, near where the branch puts them: the start is the
    branch's point extrapolated to ``t = inf`` along its tangent, which removes the ``1 / t``
    term of its approach. Actions whose mass turns negative leave the support and actions with
    a positive deviation gain join it, for a few rounds (an active-set method).
    """
    x0 = _extrapolate(pt.x, tangent[0], pt.t, tangent[2])
    z0 = _extrapolate(pt.z, tangent[1], pt.t, tangent[2])
    rx, rz = pt.x / ref.models.marginals, pt.z / ref.prompts.marginals
    sx = np.flatnonzero(rx > _SUPPORT * rx.max())
    sz = np.flatnonzero(rz > _SUPPORT * rz.max())
    for _ in range(_ACTIVE_SET_ROUNDS):
        cur, drop_x, drop_z = _solve_on_support(payoff, pt, (x0, z0), (sx, sz))
        if cur is None:
            if not (drop_x.size or drop_z.size):
                return None
            sx, sz = _drop_weakest(sx, sz, rx, rz)
            continue
        gain_x, gain_z = cur.u - cur.x @ cur.u, cur.cost - cur.z @ cur.cost
        join_x = np.setdiff1d(np.flatnonzero(gain_x > _JOIN), sx)
        join_z = np.setdiff1d(np.flatnonzero(gain_z > _JOIN), sz)
        if join_x.size or join_z.size:
            sx, sz = np.union1d(sx, join_x), np.union1d(sz, join_z)
            x0, z0 = np.maximum(cur.x, _FLOOR), np.maximum(cur.z, _FLOOR)
            continue
        if cur.nash_conv < _JOIN:
            # Another equilibrium far from the branch is not the branch's limit.
            near = max(float(np.abs(cur.x - pt.x).sum()), float(np.abs(cur.z - pt.z).sum()))
            return cur if near <= _NEAR else None
        # The conditions could only be met in the least-squares sense: an action kept is not
        # in the limit's support.
        sx, sz = _drop_weakest(sx, sz, rx, rz)
        if sx.size == 0:
            return None
    return None


def _drop_weakest(
    sx: NDArray[np.intp], sz: NDArray[np.intp], rx: FloatArray, rz: FloatArray
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Drop from the supports the action the branch weighs least relative to its player's best.

    When Newton on a support fails (a mass turns negative, or the conditions cannot all hold),
    some action in it is not in the limit's support, and the branch, which moves mass off it
    like ``exp(-t * gap)``, ranks it last.
    """
    lx = np.log(rx[sx] / rx[sx].max()) if sx.size > 1 else np.array([np.inf])
    lz = np.log(rz[sz] / rz[sz].max()) if sz.size > 1 else np.array([np.inf])
    if not (np.isfinite(lx).any() or np.isfinite(lz).any()):
        return sx[:0], sz
    # Copies carry equal weights: drop them together, or the split would break the symmetry.
    if lz.min() <= lx.min():
        return sx, sz[lz > lz.min() + _SAME]
    return sx[lx > lx.min() + _SAME], sz


def _min_norm_step(jac: FloatArray, rhs: FloatArray, ns: int, nt: int) -> FloatArray:
    """Least-squares, minimum-norm solution of ``jac @ d = rhs`` (unknowns ``x_S, z_T, c*``).

    Beyond a few hundred unknowns a dense SVD is too slow; then the prompt conditions (which
    do not involve ``z``) are solved first for ``(x, c*)``, and the model conditions next for
    ``z``: both small least-squares problems of width ``ns + 1`` or height ``ns + 1``.
    """
    if ns + nt <= _DENSE_POLISH:
        return np.asarray(np.linalg.lstsq(jac, rhs, rcond=None)[0], dtype=np.float64)
    rows_a = np.r_[ns : ns + nt, ns + nt]  # prompt conditions and sum(x) = 1
    cols_a = np.r_[0:ns, ns + nt]  # x and c*
    rows_z = np.r_[0:ns, ns + nt + 1]  # model conditions and sum(z) = 1
    d = np.zeros(ns + nt + 1)
    d[cols_a] = np.linalg.lstsq(jac[np.ix_(rows_a, cols_a)], rhs[rows_a], rcond=None)[0]
    rest = rhs[rows_z] - jac[np.ix_(rows_z, cols_a)] @ d[cols_a]
    d[ns : ns + nt] = np.linalg.lstsq(jac[rows_z, ns : ns + nt], rest, rcond=None)[0]
    return d


def _solve_on_support(
    payoff: _Tensors,
    pt: _Point,
    start: tuple[FloatArray, FloatArray],
    support: tuple[NDArray[np.intp], NDArray[np.intp]],
) -> tuple[_Point | None, NDArray[np.intp], NDArray[np.intp]]:
    """Newton on the Nash conditions over supports ``sx``, ``sz``; or the actions gone negative."""
    (x0, z0), (sx, sz) = start, support
    ns, nt = sx.size, sz.size
    x, z = np.zeros_like(x0), np.zeros_like(z0)
    x[sx], z[sz] = x0[sx] / x0[sx].sum(), z0[sz] / z0[sz].sum()
    cur = _at(payoff, (pt.v, pt.w, pt.t), x, z)
    value = float(cur.cost[sz] @ z[sz])
    none = np.zeros(0, dtype=np.intp)
    for _ in range(_MAX_POLISH):
        res = np.concatenate([cur.u[sx], cur.cost[sz] - value, [x.sum() - 1.0, z.sum() - 1.0]])
        jac = np.zeros((ns + nt + 2, ns + nt + 1))
        jac[:ns, :ns] = cur.mean[np.ix_(sx, sx)]
        jac[:ns, ns : ns + nt] = cur.b[np.ix_(sz, sx)].T
        jac[ns : ns + nt, :ns] = 2.0 * cur.c[np.ix_(sz, sx)]
        jac[ns : ns + nt, -1] = -1.0
        jac[-2, :ns] = 1.0
        jac[-1, ns : ns + nt] = 1.0
        # Minimum norm in the metric sum dx^2 / x (Shahshahani): a copy group of total mass m
        # costs the same as one action of mass m, so copies do not change the step.
        scale = np.sqrt(np.concatenate([x[sx], z[sz], [1.0]]))
        delta = scale * _min_norm_step(jac * scale, -res, ns, nt)
        x[sx] += delta[:ns]
        z[sz] += delta[ns : ns + nt]
        value += float(delta[-1])
        if x.min() < _NEG or z.min() < _NEG:
            return None, np.flatnonzero(x < _NEG), np.flatnonzero(z < _NEG)
        x, z = np.maximum(x, 0.0), np.maximum(z, 0.0)
        cur = _at(payoff, (pt.v, pt.w, pt.t), x / x.sum(), z / z.sum())
        if float(np.abs(delta).max()) < _DONE:
            break
    return cur, none, none


@dataclass(frozen=True, slots=True)
class _Options:
    tol: float
    max_steps: int
    max_turn: float
    polish_below: float
    stop_at: float | None = None  # return the branch point at this t instead of the limit


#: Inverse temperatures at which the branch is pinned and polishing is tried: a fixed grid, so
#: that a game and its copy-extended version are polished from the same branch points.
_FIRST_ANCHOR = 4.0
_ANCHOR_RATIO = 4.0


def _trace(payoff: _Tensors, ref: GameReference, opts: _Options) -> tuple[_Point, int]:
    """Follow the branch from ``tau`` until NashConv < tol, polishing at the anchor points."""
    logs = (np.log(ref.models.marginals), np.log(ref.prompts.marginals))
    pt = _evaluate(payoff, logs[0].copy(), logs[1].copy(), 0.0)
    zeros = (np.zeros_like(pt.v), np.zeros_like(pt.w))
    tangent = _tangent(pt, (*zeros, 1.0))
    h, steps, anchor = 0.5, 0, opts.stop_at or _FIRST_ANCHOR
    while pt.nash_conv >= opts.tol and steps < opts.max_steps and h >= _MIN_STEP:
        steps += 1
        crosses = tangent[2] > 0 and pt.t + h * tangent[2] > anchor
        step = (anchor - pt.t) / tangent[2] if crosses else h
        base = (pt.v + step * tangent[0], pt.w + step * tangent[1], pt.t + step * tangent[2])
        # Across an anchor, the corrector pins t at the anchor instead of the arclength.
        constraint = (*zeros, 1.0) if crosses else tangent
        found = _correct(
            payoff,
            _evaluate(payoff, *base),
            constraint,
            base=base,
            logs=logs,
            max_newton=_MAX_NEWTON,
            accuracy=_CONVERGED if crosses else _ROUGH,
        )
        drifted = found is not None and not crosses and _drift(found[0], base) > _DRIFT * step
        if found is not None and (found[0].t < 0.0 or drifted):
            found = None  # jumped off the branch: past lambda = inf, or far from the predictor
        new_tangent = None if found is None else _tangent(found[0], tangent)
        if (
            found is None
            or new_tangent is None
            or _cos(tangent, new_tangent) < np.cos(opts.max_turn)
        ):
            h *= 0.25
            continue
        pt, tangent = found[0], new_tangent
        if not crosses:
            h *= 3.0 if found[1] <= _EASY_NEWTON - 1 else 2.0 if found[1] <= _EASY_NEWTON else 1.0
            continue
        if opts.stop_at is not None:
            return pt, steps
        anchor *= _ANCHOR_RATIO
        if pt.nash_conv < opts.polish_below:
            polished = _polish(payoff, pt, ref, tangent)
            if polished is not None and polished.nash_conv < opts.tol:
                return polished, steps
    if 0.0 < pt.nash_conv < opts.tol:
        # Reached the tolerance on the branch itself: the supports are settled, so the
        # polished point is the limit to rounding.
        polished = _polish(payoff, pt, ref, tangent)
        if polished is not None and polished.nash_conv < pt.nash_conv:
            pt = polished
    return pt, steps


def _drift(pt: _Point, base: tuple[FloatArray, FloatArray, float]) -> float:
    dv, dw, dt = pt.v - base[0], pt.w - base[1], pt.t - base[2]
    return float(np.sqrt(dv @ dv + dw @ dw + dt * dt))


def _cos(a: tuple[FloatArray, FloatArray, float], b: tuple[FloatArray, FloatArray, float]) -> float:
    return float(a[0] @ b[0] + a[1] @ b[1] + a[2] * b[2])


def _extrapolate(x: FloatArray, dv: FloatArray, t: float, dt: float) -> FloatArray:
    """``x + t dx/dt`` from the tangent (``x(t) = x* + c / t + ...``), or ``x`` if that leaves
    the simplex."""
    if dt <= 0.0:
        return x
    dx = x * (dv - x @ dv) / dt
    out = x + t * dx
    return out if out.min() >= 0.0 else x


def equilibrium_ne(
    game: WinProbabilities,
    *,
    reference: Reference = "affinity",
    sigma2: float = DEFAULT_SIGMA2,
    tol: float = 1e-7,
    max_steps: int = 5_000,
    max_turn: float = 0.15,
    polish_below: float = 1e-2,
) -> EquilibriumResult:
    """Nash-equilibrium ratings: the limiting logit equilibrium traced from the reference.

    Parameters
    ----------
    game : WinProbabilities
        The payoff tensor ``A`` of the prompt-versus-models game.
    reference : {"affinity", "uniform"}, default "affinity"
        Where the branch starts (``lambda = inf``): the max-affinity-entropy marginals
        (copy-proof) or the uniform ones.
    sigma2 : float, default 1e-6
        Affinity kernel variance.
    tol : float, default 1e-7
        Stop when NashConv (sum over the three players of the best deviation gain) is below.
    max_steps : int, default 5000
        Cap on accepted plus rejected continuation steps.
    max_turn : float, default 0.15
        Largest angle (radians) the tangent may turn in one accepted step.
    polish_below : float, default 1e-2
        Once NashConv on the branch is below this, try Newton on the Nash conditions over the
        supports the branch has reached (again each time ``t`` has grown fourfold); the result
        is kept only if its NashConv is below ``tol``.

    Returns
    -------
    EquilibriumResult
        Model and prompt ratings (``<= 0``), marginals, per-prompt contributions, NashConv.

    Raises
    ------
    ValueError
        If ``reference`` is unknown.

    References
    ----------
    McKelvey, Palfrey, "Quantal response equilibria for normal form games", Games Econ. Behav.
    10 (1995), doi:10.1006/game.1995.1023. Liu et al., "Re-evaluating Open-ended Evaluation of
    Large Language Models", ICLR 2025, arXiv:2502.20170. Allgower, Georg, "Introduction to
    Numerical Continuation Methods", SIAM 2003, doi:10.1137/1.9780898719154.
    """
    payoff = game.payoff
    ref = game_reference(payoff, reference, sigma2)
    pt, steps = _trace(
        (payoff, np.abs(payoff)), ref, _Options(tol, max_steps, max_turn, polish_below)
    )
    return _result(pt, ref, game, steps=steps, tol=tol, max_turn=max_turn)


def _result(
    pt: _Point,
    ref: GameReference,
    game: WinProbabilities,
    *,
    steps: int,
    tol: float,
    max_turn: float,
) -> EquilibriumResult:
    residual = pt.nash_conv
    ratings = pt.u - pt.x @ pt.u
    contributions = pt.z[:, None] * (pt.b - (pt.b @ pt.x)[:, None])
    return EquilibriumResult(
        method="ne",
        names=game.names,
        prompt_names=game.prompt_names,
        ratings=ratings,
        marginals=pt.x,
        prompt_ratings=pt.cost - pt.z @ pt.cost,
        prompt_marginals=pt.z,
        contributions=contributions,
        residual=residual,
        reference=ref,
        converged=residual < tol,
        n_iter=steps,
        params=(
            ("alpha", game.alpha),
            ("prior", game.prior),
            ("reference", ref.kind),
            ("sigma2", ref.sigma2),
            ("tol", tol),
            ("max_turn", max_turn),
            ("inverse_temperature", pt.t),
        ),
    )


def logit_equilibrium(
    game: WinProbabilities,
    inverse_temperature: float,
    *,
    reference: Reference = "affinity",
    sigma2: float = DEFAULT_SIGMA2,
    max_steps: int = 5_000,
) -> EquilibriumResult:
    """The logit (quantal-response) equilibrium at ``t = 1 / lambda`` on the principal branch.

    The point the continuation of :func:`equilibrium_ne` passes through at this inverse
    temperature: ``x = softmax(log tau_M + t Abar(z) x)``, ``z = softmax(log tau_P + t c(x))``.
    Its ratings are the (unregularised) payoff gains against that profile; ``residual`` is its
    NashConv, which shrinks like ``1 / t``.

    Parameters
    ----------
    game : WinProbabilities
        The payoff tensor.
    inverse_temperature : float
        ``t > 0``.
    reference : {"affinity", "uniform"}, default "affinity"
        The branch's start and the logit prior.
    sigma2 : float, default 1e-6
        Affinity kernel variance.
    max_steps : int, default 5000
        Cap on continuation steps.

    Returns
    -------
    EquilibriumResult
        ``converged`` says whether the branch reached ``t``.

    Raises
    ------
    ValueError
        If ``inverse_temperature`` is not positive or ``reference`` unknown.

    References
    ----------
    McKelvey, Palfrey, "Quantal response equilibria for normal form games", Games Econ. Behav.
    10 (1995), doi:10.1006/game.1995.1023.
    """
    if not inverse_temperature > 0:
        raise ValueError(f"inverse_temperature must be positive, got {inverse_temperature}")
    ref = game_reference(game.payoff, reference, sigma2)
    opts = _Options(0.0, max_steps, 0.15, 0.0, stop_at=float(inverse_temperature))
    pt, steps = _trace((game.payoff, np.abs(game.payoff)), ref, opts)
    res = _result(pt, ref, game, steps=steps, tol=np.inf, max_turn=opts.max_turn)
    reached = abs(pt.t - inverse_temperature) <= 1e-9 * inverse_temperature
    return replace(res, method="logit", converged=reached)
