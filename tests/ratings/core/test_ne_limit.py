"""``equilibrium-ne`` is the *limiting* logit equilibrium, checked by an independent follower.

The method's definition (docs/EQUILIBRIUM.md) is the limit of the principal logit branch from
the reference marginals. Where the Nash equilibria form a continuum (LLMFAO's crowd votes: the
prompt masses are not pinned down by the conditions), a Newton polish on the supports lands on
*an* equilibrium near the branch point it starts from, not necessarily on the branch's limit;
an earlier solver stopped at ``t = 16,384`` and differed from the limit by 2.3e-3 in ratings and
1.7e-2 in prompt masses.

The follower written here shares nothing with the solver but the payoff tensor and the
reference marginals: natural-parameter continuation in ``log t`` with a dense Newton on the full
logit system, Richardson extrapolation of the branch to ``t = inf``, and a final Newton on the
Nash conditions over the support, down to NashConv < 1e-12.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ratings.core import Comparisons, equilibrium_ne, win_probabilities
from ratings.core.equilibrium.game import game_reference
from ratings.core.types import FloatArray
from ratings.engine.votefile import read_comparisons

TOL = 1e-6


def _softmax(v: FloatArray) -> FloatArray:
    e = np.exp(v - v.max())
    return e / e.sum()


class Follower:
    """The logit branch: ``x = softmax(log tau_M + t Abar(z) x)``,
    ``z = softmax(log tau_P + t c(x))``."""

    def __init__(self, payoff: FloatArray, tau_m: FloatArray, tau_p: FloatArray) -> None:
        self.a = payoff
        self.abs_a = np.abs(payoff)
        self.log_m, self.log_p = np.log(tau_m), np.log(tau_p)
        self.m, self.p = payoff.shape[1], payoff.shape[0]

    def parts(self, x: FloatArray, z: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Model payoffs ``Abar(z) x``, prompt payoffs ``x'|A_p|x`` and ``Abar(z)``."""
        mean = np.einsum("p,pij->ij", z, self.a)
        cost = np.einsum("i,pij,j->p", x, self.abs_a, x)
        return mean @ x, cost, mean

    def residual(self, y: FloatArray, t: float) -> FloatArray:
        v, w = y[: self.m], y[self.m :]
        x, z = _softmax(v), _softmax(w)
        u, cost, _ = self.parts(x, z)
        return np.concatenate([v - self.log_m - t * u, w - self.log_p - t * cost])

    def jacobian(self, y: FloatArray, t: float) -> FloatArray:
        v, w = y[: self.m], y[self.m :]
        x, z = _softmax(v), _softmax(w)
        _, _, mean = self.parts(x, z)
        jx = np.diag(x) - np.outer(x, x)
        jz = np.diag(z) - np.outer(z, z)
        b = np.einsum("pij,j->pi", self.a, x)  # b[p] = A_p x
        c = np.einsum("pij,j->pi", self.abs_a, x)  # c[p] = |A_p| x
        jac = np.eye(self.m + self.p)
        jac[: self.m, : self.m] -= t * mean @ jx
        jac[: self.m, self.m :] -= t * b.T @ jz
        jac[self.m :, : self.m] -= t * 2.0 * c @ jx
        return jac

    def solve(self, y: FloatArray, t: float) -> FloatArray | None:
        """Newton at fixed ``t``; None when it does not converge in a few steps."""
        for _ in range(30):
            f = self.residual(y, t)
            step = np.linalg.solve(self.jacobian(y, t), -f)
            y = y + step
            x, z = _softmax(y[: self.m]), _softmax(y[self.m :])
            moved = max(np.abs(x * step[: self.m]).max(), np.abs(z * step[self.m :]).max())
            if moved < 1e-14 + 1e-16 * t:
                return y
        return None

    def trace(self, t_end: float) -> dict[float, FloatArray]:
        """Branch points at each power of ten of ``t`` up to ``t_end``, by stepping ``log t``."""
        s, y = np.log(1e-3), np.concatenate([self.log_m, self.log_p])
        found = self.solve(y, float(np.exp(s)))
        assert found is not None
        y, dy, ds = found, np.zeros_like(found), 0.1
        marks = {float(10.0**k): None for k in range(0, int(np.log10(t_end)) + 1)}
        points: dict[float, FloatArray] = {}
        while s < np.log(t_end) - 1e-12:
            target = next((np.log(m) for m in marks if np.log(m) > s + 1e-12), np.log(t_end))
            step = min(ds, target - s)
            guess = y + dy * step  # secant predictor in log t
            new = self.solve(guess, float(np.exp(s + step)))
            if new is None:
                ds = step / 4.0
                assert ds > 1e-9, f"the follower stalled at t = {np.exp(s):.4g}"
                continue
            dy, y, s = (new - y) / step, new, s + step
            ds = min(2.0 * step, 1.0)
            for mark in marks:
                if abs(np.log(mark) - s) < 1e-9:
                    points[mark] = y
        return points

    def nash_conditions(
        self, x: FloatArray, z: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Deviation gains of the king (= rebel) and of the prompt player, and ``Abar``."""
        u, cost, mean = self.parts(x, z)
        return u - x @ u, cost - z @ cost, mean

    def nash_conv(self, x: FloatArray, z: FloatArray) -> float:
        gain_x, gain_z, _ = self.nash_conditions(x, z)
        return float(2.0 * gain_x.max() + gain_z.max())

    def settle(
        self, x: FloatArray, z: FloatArray, floor: float = 1e-9
    ) -> tuple[FloatArray, FloatArray]:
        """Gauss–Newton (minimum-norm steps) on the Nash conditions over the supports: the
        actions of mass above ``floor`` times their player's largest."""
        keep_x, keep_z = x > floor * x.max(), z > floor * z.max()
        sx, sz = np.flatnonzero(keep_x), np.flatnonzero(keep_z)
        x, z = np.where(keep_x, x, 0.0), np.where(keep_z, z, 0.0)
        x, z = x / x.sum(), z / z.sum()
        value = float(z @ self.parts(x, z)[1])
        for _ in range(50):
            u, cost, mean = self.parts(x, z)
            b = np.einsum("pij,j->pi", self.a, x)
            c = np.einsum("pij,j->pi", self.abs_a, x)
            res = np.concatenate([u[sx], cost[sz] - value, [x.sum() - 1.0, z.sum() - 1.0]])
            ns, nt = sx.size, sz.size
            jac = np.zeros((ns + nt + 2, ns + nt + 1))
            jac[:ns, :ns] = mean[np.ix_(sx, sx)]
            jac[:ns, ns : ns + nt] = b[np.ix_(sz, sx)].T
            jac[ns : ns + nt, :ns] = 2.0 * c[np.ix_(sz, sx)]
            jac[ns : ns + nt, -1] = -1.0
            jac[-2, :ns] = 1.0
            jac[-1, ns : ns + nt] = 1.0
            d = np.linalg.lstsq(jac, -res, rcond=None)[0]
            x[sx] += d[:ns]
            z[sz] += d[ns : ns + nt]
            value += float(d[-1])
            if np.abs(d).max() < 1e-15:
                break
        assert x.min() > -1e-12, "the model support guess was wrong"
        assert z.min() > -1e-12, "the prompt support guess was wrong"
        return np.maximum(x, 0.0), np.maximum(z, 0.0)

    def limit(self, t_end: float = 1e9) -> tuple[FloatArray, FloatArray]:
        """The branch's limit: Richardson from two far points, then the Nash conditions."""
        points = self.trace(t_end)
        t1, t2 = t_end / 10.0, t_end
        y1, y2 = points[t1], points[t2]
        x1, x2 = _softmax(y1[: self.m]), _softmax(y2[: self.m])
        z1, z2 = _softmax(y1[self.m :]), _softmax(y2[self.m :])
        # p(t) = p* + c / t + O(1 / t^2)
        x = (t2 * x2 - t1 * x1) / (t2 - t1)
        z = (t2 * z2 - t1 * z1) / (t2 - t1)
        return self.settle(np.maximum(x, 0.0), np.maximum(z, 0.0))


@pytest.fixture(scope="module")
def llmfao_crowd(shared_data: Path) -> Comparisons:
    return read_comparisons(shared_data / "llmfao" / "votes.jsonl", where={"judge_type": "human"})


def test_ne_equals_an_independent_branch_follower_on_llmfao(llmfao_crowd: Comparisons) -> None:
    game = win_probabilities(llmfao_crowd, alpha=1.0, prior="half")
    ref = game_reference(game.payoff, "affinity", 1e-6)
    follower = Follower(
        np.asarray(game.payoff, dtype=np.float64), ref.models.marginals, ref.prompts.marginals
    )
    x, z = follower.limit()
    assert follower.nash_conv(x, z) < 1e-12
    gain_x, gain_z, _ = follower.nash_conditions(x, z)

    ne = equilibrium_ne(game)

    assert ne.converged
    np.testing.assert_allclose(ne.marginals, x, atol=TOL)
    np.testing.assert_allclose(ne.prompt_marginals, z, atol=TOL)
    np.testing.assert_allclose(ne.ratings, gain_x, atol=TOL)
    np.testing.assert_allclose(ne.prompt_ratings, gain_z, atol=TOL)
    # The same models are played (rating 0) in both.
    assert set(np.flatnonzero(np.abs(ne.ratings) <= TOL)) == set(np.flatnonzero(gain_x >= -TOL))


def test_the_follower_sees_the_continuum_the_early_polish_fell_into(
    llmfao_crowd: Comparisons,
) -> None:
    """The finding: an equilibrium settled from an early branch point is an equilibrium, but
    another one (the earlier solver polished at ``t = 16,384``; here ``t = 1e5``).

    This keeps the follower honest: it tells the limit from a neighbouring equilibrium.
    """
    game = win_probabilities(llmfao_crowd, alpha=1.0, prior="half")
    ref = game_reference(game.payoff, "affinity", 1e-6)
    follower = Follower(
        np.asarray(game.payoff, dtype=np.float64), ref.models.marginals, ref.prompts.marginals
    )
    points = follower.trace(1e5)
    y = points[1e5]
    early_x, early_z = follower.settle(
        _softmax(y[: follower.m]), _softmax(y[follower.m :]), floor=1e-3
    )
    _, limit_z = follower.limit()
    assert follower.nash_conv(early_x, early_z) < 1e-12  # an equilibrium …
    assert np.abs(early_z - limit_z).max() > 1e-3  # … far from the limit
