"""The limit of the logit branch from one of its points: Newton on the Nash conditions.

The branch converges to its limit only like ``1 / t``; once the supports are clear, Newton on
``(Abar x)_k = 0`` (``k`` in the model support) and ``c_p(x) = c*`` (``p`` in the prompt
support) finds the limit itself. Minimum-norm steps leave the directions the conditions do not
fix, such as the split among copies, near where the branch puts them: the start is the
branch's point extrapolated to ``t = inf`` along its tangent, which removes the ``1 / t`` term
of its approach. Actions whose mass turns negative leave the support and actions with a
positive deviation gain join it, for a few rounds (an active-set method). Every pass here has
the models outside the support at exactly zero mass, so it reads only their payoff columns.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ratings.core.equilibrium.game import GameReference
from ratings.core.equilibrium.ne_branch import Passes, Point, Triple
from ratings.core.types import FloatArray, IntArray

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


def polish(passes: Passes, pt: Point, ref: GameReference, tangent: Triple) -> Point | None:
    """Solve the Nash conditions on the supports the branch has reached, from its point ``pt``.

    Returns the polished point, or None when no support near the branch's satisfies them.
    """
    x0 = _extrapolate(pt.x, tangent[0], pt.t, tangent[2])
    z0 = _extrapolate(pt.z, tangent[1], pt.t, tangent[2])
    rx, rz = pt.x / ref.models.marginals, pt.z / ref.prompts.marginals
    sx = np.flatnonzero(rx > _SUPPORT * rx.max())
    sz = np.flatnonzero(rz > _SUPPORT * rz.max())
    for _ in range(_ACTIVE_SET_ROUNDS):
        cur, drop_x, drop_z = _solve_on_support(passes, pt, (x0, z0), (sx, sz))
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
    sx: IntArray, sz: IntArray, rx: FloatArray, rz: FloatArray
) -> tuple[IntArray, IntArray]:
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
    passes: Passes,
    pt: Point,
    start: tuple[FloatArray, FloatArray],
    support: tuple[IntArray, IntArray],
) -> tuple[Point | None, IntArray, IntArray]:
    """Newton on the Nash conditions over supports ``sx``, ``sz``; or the actions gone negative."""
    (x0, z0), (sx, sz) = start, support
    ns, nt = sx.size, sz.size
    x, z = np.zeros_like(x0), np.zeros_like(z0)
    x[sx], z[sz] = x0[sx] / x0[sx].sum(), z0[sz] / z0[sz].sum()
    logits = (pt.v, pt.w, pt.t)
    cur = passes.point(logits, x, z, keep=sx)
    value = float(cur.cost[sz] @ z[sz])
    none: NDArray[np.intp] = np.zeros(0, dtype=np.intp)
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
        cur = passes.point(logits, x / x.sum(), z / z.sum(), keep=sx)
        if float(np.abs(delta).max()) < _DONE:
            break
    return cur, none, none


def _extrapolate(x: FloatArray, dv: FloatArray, t: float, dt: float) -> FloatArray:
    """``x + t dx/dt`` from the tangent (``x(t) = x* + c / t + ...``), or ``x`` if that leaves
    the simplex."""
    if dt <= 0.0:
        return x
    dx = x * (dv - x @ dv) / dt
    out = x + t * dx
    return out if out.min() >= 0.0 else x
