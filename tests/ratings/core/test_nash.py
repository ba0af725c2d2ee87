"""Nash averaging: maximum-entropy equilibrium of logit(P), Shannon and affinity selection."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog, minimize

from ratings.core import nash_average


def _degenerate(copies: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """a ~ b > d from the method notes, with ``copies`` copies of a."""
    names = tuple([f"a{i}" for i in range(copies)] + ["b", "d"])
    n = copies + 2
    logits = np.zeros((n, n))
    logits[:copies, -1], logits[copies, -1] = 0.9, 2.1
    return logits - logits.T, names


def _solve_lp(logits: np.ndarray) -> np.ndarray:
    """An equilibrium of the symmetric zero-sum game by LP: A p <= 0, p in the simplex."""
    m = logits.shape[0]
    res = linprog(
        np.zeros(m),
        A_ub=logits,
        b_ub=np.zeros(m),
        A_eq=np.ones((1, m)),
        b_eq=[1.0],
        bounds=[(0, None)] * m,
        method="highs",
    )
    assert res.success
    return np.asarray(res.x)


def test_shannon_selection_moves_with_copies_and_affinity_selection_does_not() -> None:
    for selection, expected_with_copies in (("shannon", -1.2), ("affinity", -1.5)):
        one = nash_average(*_degenerate(1), selection=selection)  # type: ignore[arg-type]
        three = nash_average(*_degenerate(3), selection=selection)  # type: ignore[arg-type]
        assert one.ratings[-1] == pytest.approx(-1.5, abs=1e-9)
        assert three.ratings[-1] == pytest.approx(expected_with_copies, abs=1e-9)
    affinity = nash_average(*_degenerate(3), selection="affinity")
    assert np.allclose(affinity.marginals, [1 / 6, 1 / 6, 1 / 6, 1 / 2, 0])
    assert list(affinity.groups) == [0, 0, 0, 1, 2]


@pytest.mark.parametrize("seed", range(4))
def test_unique_equilibrium_matches_linear_programme(seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=(12, 12))
    logits = x - x.T  # generic: the equilibrium is unique
    lp = _solve_lp(logits)
    for selection in ("shannon", "affinity"):
        res = nash_average(logits, tuple(map(str, range(12))), selection=selection)  # type: ignore[arg-type]
        assert res.converged
        assert np.allclose(res.marginals, lp, atol=1e-7)
        assert np.allclose(res.ratings, logits @ lp, atol=1e-7)
        assert res.ratings.max() <= 1e-9


def test_shannon_selection_is_the_maximum_entropy_point_of_the_equilibrium_set() -> None:
    # Two blocks of mutually tied models that both beat the rest: a polytope of equilibria.
    rng = np.random.default_rng(7)
    logits = np.zeros((6, 6))
    logits[:3, 3:] = rng.uniform(0.5, 2.0, size=(3, 3))
    logits = logits - logits.T
    res = nash_average(logits, tuple(map(str, range(6))), selection="shannon")

    def neg_entropy(p: np.ndarray) -> float:
        q = np.clip(p, 1e-300, None)
        return float(np.sum(q * np.log(q)))

    direct = minimize(
        neg_entropy,
        np.full(6, 1 / 6),
        method="SLSQP",
        bounds=[(0, 1)] * 6,
        constraints=[
            {"type": "ineq", "fun": lambda p: -(logits @ p)},
            {"type": "eq", "fun": lambda p: p.sum() - 1},
        ],
        options={"ftol": 1e-12, "maxiter": 5000},
    )
    assert direct.success
    assert np.allclose(res.marginals, direct.x, atol=1e-5)
    assert np.allclose(res.marginals[:3], 1 / 3, atol=1e-9)


def test_affinity_selection_ignores_copies_of_any_model() -> None:
    x = np.random.default_rng(3).normal(size=(8, 8))
    logits = x - x.T
    base = nash_average(logits, tuple(map(str, range(8))))
    for item in range(8):
        idx = np.r_[np.arange(8), [item] * 3]
        copied = nash_average(logits[np.ix_(idx, idx)], tuple(map(str, idx)))
        assert np.allclose(copied.ratings[:8], base.ratings, atol=1e-9)
        assert np.allclose(copied.ratings[8:], base.ratings[item], atol=1e-9)
        assert copied.marginals[idx == item].sum() == pytest.approx(base.marginals[item], abs=1e-9)


def test_rejects_a_matrix_that_is_not_antisymmetric() -> None:
    with pytest.raises(ValueError, match="antisymmetric"):
        nash_average(np.ones((3, 3)), ("a", "b", "c"))
