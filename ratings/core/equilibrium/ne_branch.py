"""Points of the logit branch and the Newton steps that follow it, for :mod:`equilibrium_ne`.

A point is ``(v, w, t)``: model logits, prompt logits and inverse temperature, with the
quantities one pass over the payoff tensor gives. The branch solves
``F_v = v - log tau_M - t Abar(z) x = 0`` and ``F_w = w - log tau_P - t c(x) = 0``; the prompt
block of the Jacobian is the identity, so a Schur complement leaves an ``(M + 1) x (M + 1)``
bordered system per Newton step.

Passes skip the models whose mass is negligible: along the branch most models lose their mass
like ``exp(-t * gap)``, and on the polish's supports the others have none. A model of mass
below :data:`NEGLIGIBLE` moves any payoff by less than ``NEGLIGIBLE``, far below the rounding
of the sums it would enter, so only the payoff columns of the kept models are read.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ratings.core.equilibrium.affinity import WORKERS
from ratings.core.equilibrium.game import blocks, softmax
from ratings.core.types import FloatArray, IntArray

#: Model mass below which a pass leaves the model out (its payoff column is not read).
NEGLIGIBLE = 1e-20
_STALLED = 1e-8  # corrector: changes this small that stop shrinking are rounding noise
_SHRINK = 0.5  # re-gather the kept columns once fewer than this share of them are needed

#: A direction or point in ``(v, w, t)``.
Triple = tuple[FloatArray, FloatArray, float]


@dataclass(frozen=True, slots=True)
class Point:
    """A point ``(v, w, t)`` of the branch with the quantities the Newton step needs.

    ``c`` and ``mean`` hold only the columns of the models a pass kept (zero elsewhere); every
    use scales them by those models' masses.
    """

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
        """Sum over the three players of the best deviation gain (king = rebel)."""
        king = float(self.u.max() - self.x @ self.u)
        prompt = float(self.cost.max() - self.z @ self.cost)
        return 2.0 * king + prompt


class Passes:
    """Passes over ``A`` at symmetric profiles, reading only the columns of the kept models.

    It holds ``A[:, :, K]`` and ``|A[:, K, K]|`` for a set ``K`` of models, re-gathered when a
    profile needs a model outside ``K`` or much fewer than ``K``.
    """

    def __init__(self, payoff: NDArray[np.floating]) -> None:
        self.payoff = payoff
        self.n_prompts, self.n_items, _ = payoff.shape
        self.n_passes = 0
        self._kept = np.arange(self.n_items)
        self._columns: NDArray[np.floating] = payoff
        self._square = np.abs(payoff)

    def _gather(self, keep: IntArray) -> None:
        del self._square  # |A| of the old columns is not needed to gather: free it first
        if keep.size == self.n_items:
            self._columns, self._square = self.payoff, np.abs(self.payoff)
        else:
            source, index = self.payoff, keep
            if np.isin(keep, self._kept).all():
                source, index = self._columns, np.searchsorted(self._kept, keep)
            self._columns = np.take(source, index, axis=2)
            self._square = np.abs(np.take(self._columns, keep, axis=1))
        self._kept = keep

    def __call__(
        self, x: FloatArray, z: FloatArray, keep: IntArray | None = None
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``A_p x``, ``|A_p| x`` and ``sum_p z_p A_p`` (the last two on kept columns only).

        ``keep`` must hold every model of non-negligible mass; by default, exactly those.
        """
        need = np.flatnonzero(x > NEGLIGIBLE) if keep is None else keep
        # The polish's small supports (``keep``) reuse the branch's columns rather than shrink
        # them, since the branch returns to them.
        shrink = keep is None and need.size < _SHRINK * self._kept.size
        if shrink or not np.isin(need, self._kept).all():
            self._gather(np.union1d(need, np.flatnonzero(x > NEGLIGIBLE)))
        self.n_passes += 1
        kept = self._kept
        b, c_kept, mean_kept = _blocked_pass(self._columns, self._square, x[kept], z)
        c = np.zeros((self.n_prompts, self.n_items))
        mean = np.zeros((self.n_items, self.n_items))
        c[:, kept] = c_kept
        mean[:, kept] = mean_kept
        return b, c, mean

    def point(
        self, logits: Triple, x: FloatArray, z: FloatArray, keep: IntArray | None = None
    ) -> Point:
        """The point with these logits, evaluated at the strategies ``x``, ``z``."""
        b, c, mean = self(x, z, keep)
        v, w, t = logits
        return Point(v, w, t, x, z, b, c, mean, z @ b, c @ x)

    def evaluate(self, v: FloatArray, w: FloatArray, t: float) -> Point:
        """The point with logits ``(v, w)`` at ``t``."""
        return self.point((v, w, t), softmax(v), softmax(w))


def _blocked_pass(
    columns: NDArray[np.floating], square: NDArray[np.floating], x: FloatArray, z: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``columns @ x``, ``square @ x`` and ``sum_p z_p columns[p]``, block by block on threads."""
    n_p, m, k = columns.shape
    b = np.empty((n_p, m))
    c = np.empty((n_p, k))

    def one(s: slice) -> FloatArray:
        block = columns[s]
        b[s] = block @ x
        c[s] = square[s] @ x
        return np.asarray(np.tensordot(z[s], block, 1), dtype=np.float64)

    spans = list(blocks(n_p, max(1, int(np.sqrt(m * k)))))
    if len(spans) == 1:
        return b, c, one(spans[0])
    # numpy releases the GIL in its loops: blocks run in parallel on threads
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        mean = np.sum(list(pool.map(one, spans)), axis=0)
    return b, c, np.asarray(mean, dtype=np.float64)


def residual(pt: Point, log_tm: FloatArray, log_tp: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``F_v`` and ``F_w`` at ``pt``."""
    return pt.v - log_tm - pt.t * pt.u, pt.w - log_tp - pt.t * pt.cost


def _linear_parts(pt: Point) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``S`` and ``g`` of the Schur-reduced Jacobian, with ``B' J_z`` and ``2 t C J_x``."""
    x, z, t = pt.x, pt.z, pt.t
    bz = (pt.b * z[:, None]).T - np.outer(pt.b.T @ z, z)  # B' J_z, (M, P)
    cx = 2.0 * t * (pt.c * x[None, :] - np.outer(pt.cost, x))  # -dF_w/dv, (P, M)
    mean_jx = pt.mean * x[None, :] - np.outer(pt.u, x)  # Abar J_x
    s = np.eye(x.shape[0]) - t * mean_jx - t * (bz @ cx)
    g = -pt.u - t * (bz @ pt.cost)
    return s, g, bz, cx


def bordered_step(
    pt: Point, tangent: Triple, f_v: FloatArray, f_w: FloatArray, gap: float
) -> Triple:
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


def tangent_at(pt: Point, previous: Triple) -> Triple:
    """The unit tangent of the branch at ``pt``, oriented like ``previous``."""
    zeros_v, zeros_w = np.zeros_like(pt.v), np.zeros_like(pt.w)
    dv, dw, dt = bordered_step(pt, previous, zeros_v, zeros_w, -1.0)
    norm = float(np.sqrt(dv @ dv + dw @ dw + dt * dt))
    return dv / norm, dw / norm, dt / norm


def correct(
    passes: Passes,
    pt: Point,
    tangent: Triple,
    *,
    base: Triple,
    logs: tuple[FloatArray, FloatArray],
    max_newton: int,
    accuracy: float,
) -> tuple[Point, int] | None:
    """Newton corrector on the hyperplane through ``base`` orthogonal to ``tangent``."""
    tv, tw, tt = tangent
    previous = np.inf
    for it in range(1, max_newton + 1):
        f_v, f_w = residual(pt, *logs)
        gap = float(tv @ (pt.v - base[0]) + tw @ (pt.w - base[1]) + tt * (pt.t - base[2]))
        try:
            dv, dw, dt = bordered_step(pt, tangent, f_v, f_w, gap)
        except np.linalg.LinAlgError:
            return None
        if not (np.all(np.isfinite(dv)) and np.all(np.isfinite(dw)) and np.isfinite(dt)):
            return None
        pt = passes.evaluate(pt.v + dv, pt.w + dw, pt.t + dt)
        # Converged when the strategies, not the logits, stop moving (the logits of actions
        # with vanishing mass carry rounding noise that does not matter), or when the steps
        # stall at the rounding floor, which grows like t * eps.
        step = max(float(np.abs(pt.x * dv).max()), float(np.abs(pt.z * dw).max()))
        if step <= accuracy or (step <= _STALLED and step > 0.5 * previous):
            return pt, it
        previous = step
    return None


def distance(a: Triple, b: Triple) -> float:
    """Euclidean distance of two points in ``(v, w, t)``."""
    dv, dw, dt = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    return float(np.sqrt(dv @ dv + dw @ dw + dt * dt))


def cosine(a: Triple, b: Triple) -> float:
    """Inner product of two unit tangents."""
    return float(a[0] @ b[0] + a[1] @ b[1] + a[2] * b[2])
