"""Elo runs stepped side by side equal one plain loop per run (the oracle), to 1e-9.

The oracle is ``_plain_elo`` below, written out from the definition with ``10 ** (d / 400)``;
the code under test keeps its ratings as ``tanh`` arguments and steps many runs per numpy call,
so the two share no arithmetic. The draws are rebuilt with ``_bootstrap_orders``, the documented
random stream (rounds in groups of 128, 8,192 positions a block).
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from ratings.core import Comparisons, Outcome, elo, elo_bootstrap, elo_orderings
from ratings.core.elo import _bootstrap_orders
from tests.ratings.core.factories import comparisons, random_comparisons

# ``ratings.core.elo`` is the function there; the module holds the block sizes.
elo_module = importlib.import_module("ratings.core.elo")
POINTS = {Outcome.A: 1.0, Outcome.B: 0.0, Outcome.TIE: 0.5, Outcome.BOTH_BAD: 0.5}


def _plain_elo(
    c: Comparisons, order: np.ndarray, *, k: float, initial: float = 1000.0
) -> list[float]:
    """One Elo pass over ``order``: base 10, scale 400, a verdict's step k times its weight."""
    ratings = [initial] * c.n_items
    for t in order.tolist():
        i, j = int(c.a[t]), int(c.b[t])
        before_i, before_j = ratings[i], ratings[j]
        expected = 1.0 / (1.0 + 10.0 ** ((before_j - before_i) / 400.0))
        step = k * float(c.weight[t]) * (POINTS[Outcome(int(c.outcome[t]))] - expected)
        ratings[i] = before_i + step
        ratings[j] = before_j - step  # a self-battle ends with B's side, as in ``elo``
    return ratings


def _with_self_battles(c: Comparisons) -> Comparisons:
    """The same verdicts plus a few where a competitor meets itself (A's update, then B's)."""
    a = np.concatenate([c.a, [0, 1, 0]])
    b = np.concatenate([c.b, [0, 1, 0]])
    outcome = np.concatenate([c.outcome, [Outcome.A, Outcome.TIE, Outcome.B]])
    weight = np.concatenate([c.weight, [1.0, 1.0, 2.0]])
    return comparisons(a, b, outcome, weight=weight, n_items=c.n_items)


@pytest.mark.parametrize("n_resamples", [3, 40])  # one plain loop per round; rounds side by side
@pytest.mark.parametrize("weights", [False, True])
def test_bootstrap_rounds_equal_a_plain_loop_over_the_same_draws(
    n_resamples: int, weights: bool
) -> None:
    c = _with_self_battles(random_comparisons(np.random.default_rng(21), 9, 400, weights=weights))
    result = elo_bootstrap(c, n_resamples=n_resamples, rng=8, k=6.0)
    orders = _bootstrap_orders(np.random.default_rng(8), c.n_comparisons, n_resamples)
    oracle = np.array([_plain_elo(c, order, k=6.0) for order in orders])
    assert result.samples is not None
    np.testing.assert_allclose(result.samples, oracle, rtol=0, atol=1e-9)
    point = np.array(_plain_elo(c, np.arange(c.n_comparisons), k=6.0))
    low, high = np.percentile(oracle, [2.5, 97.5], axis=0)
    np.testing.assert_allclose(result.low, np.minimum(low, point), rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.high, np.maximum(high, point), rtol=0, atol=1e-9)


def test_draws_cross_blocks_of_positions_and_groups_of_rounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Small blocks and groups, so that every run carries its ratings across several blocks."""
    monkeypatch.setattr(elo_module, "_DRAW_POSITIONS", 37)
    monkeypatch.setattr(elo_module, "_GROUP_ROUNDS", 30)
    c = random_comparisons(np.random.default_rng(22), 7, 250, ties=0.3)
    result = elo_bootstrap(c, n_resamples=70, rng=np.random.default_rng(4))
    orders = _bootstrap_orders(np.random.default_rng(4), c.n_comparisons, 70)
    assert orders.shape == (70, c.n_comparisons)
    assert result.samples is not None
    for sample, order in zip(result.samples, orders, strict=True):
        np.testing.assert_allclose(sample, _plain_elo(c, order, k=4.0), rtol=0, atol=1e-9)
        np.testing.assert_allclose(sample, elo(c, order=order).ratings, rtol=0, atol=1e-9)


def test_the_stream_is_blocks_of_integers_drawn_group_by_group() -> None:
    """The documented stream, spelt out: a change to it must change this test."""
    m, rounds = 20_000, 130
    gen = np.random.default_rng(3)
    expected = np.empty((rounds, m), dtype=np.int64)
    for start, stop in ((0, 128), (128, 130)):
        for t0 in range(0, m, 8192):
            width = min(8192, m - t0)
            expected[start:stop, t0 : t0 + width] = gen.integers(0, m, (stop - start, width))
    np.testing.assert_array_equal(_bootstrap_orders(np.random.default_rng(3), m, rounds), expected)


def test_orderings_side_by_side_equal_a_plain_loop_with_weights_and_self_battles() -> None:
    c = _with_self_battles(random_comparisons(np.random.default_rng(23), 6, 300, weights=True))
    result = elo_orderings(c, n_orderings=50, rng=9, k=5.0)
    gen = np.random.default_rng(9)
    oracle = [_plain_elo(c, gen.permutation(c.n_comparisons), k=5.0) for _ in range(50)]
    np.testing.assert_allclose(result.samples, oracle, rtol=0, atol=1e-9)


def test_a_long_run_drifts_no_further_than_1e_9() -> None:
    """20,000 verdicts among 3 competitors: ratings far from the start, rounding accumulates."""
    rng = np.random.default_rng(5)
    a = rng.integers(0, 3, 20_000)
    b = (a + rng.integers(1, 3, 20_000)) % 3
    outcome = np.where(rng.random(20_000) < 0.9, Outcome.A, Outcome.B)
    outcome[a == 2] = Outcome.B
    c = comparisons(a, b, outcome, n_items=3)
    result = elo_bootstrap(c, n_resamples=30, rng=1, k=32.0)
    orders = _bootstrap_orders(np.random.default_rng(1), c.n_comparisons, 30)
    assert result.samples is not None
    assert np.ptp(result.samples) > 300.0
    np.testing.assert_allclose(
        result.samples[:3], [_plain_elo(c, o, k=32.0) for o in orders[:3]], rtol=0, atol=1e-9
    )
