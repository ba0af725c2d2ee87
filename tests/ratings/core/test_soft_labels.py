"""Every fit uses soft labels ``p_b`` where a vote has one, checked by explicit computations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import log_expit

from ratings.core import (
    Comparisons,
    Outcome,
    bradley_terry,
    davidson,
    elo,
    style_bradley_terry,
    win_probabilities,
    win_rate_vs,
)
from ratings.core.judges import soft_verdicts
from ratings.core.pairs import aggregate
from ratings.engine import BradleyTerryOptions, rate


def _soft(rng: np.random.Generator, n_items: int = 4, n_votes: int = 300) -> Comparisons:
    """Random verdicts, two thirds of them with a soft label, the rest hard (ties included)."""
    a = rng.integers(0, n_items, n_votes)
    b = (a + rng.integers(1, n_items, n_votes)) % n_items
    outcome = rng.choice([Outcome.A, Outcome.B, Outcome.TIE], n_votes)
    p_b = np.where(rng.random(n_votes) < 2 / 3, rng.random(n_votes), np.nan)
    return Comparisons(
        names=tuple(f"c{k}" for k in range(n_items)),
        a=a.astype(np.intp),
        b=b.astype(np.intp),
        outcome=outcome.astype(np.int8),
        weight=rng.choice([1.0, 2.0], n_votes),
        p_b=p_b,
        prompt=rng.integers(0, 3, n_votes).astype(np.intp),
        prompt_names=("q0", "q1", "q2"),
    )


def _as_hard(c: Comparisons, p_b: np.ndarray) -> Comparisons:
    """The same votes with p_b ∈ {0, 1} written as hard verdicts."""
    outcome = np.where(p_b == 1.0, Outcome.B, Outcome.A).astype(np.int8)
    return dataclasses.replace(c, outcome=outcome, p_b=None)


def _explicit_bt(c: Comparisons) -> np.ndarray:
    """Maximise Σ w [(1 − p_b) log σ(s_a − s_b) + p_b log σ(s_b − s_a)] with scipy, centred."""
    sa, w = c.score_a(), c.weight

    def neg(theta: np.ndarray) -> float:
        d = theta[c.a] - theta[c.b]
        return float(
            -np.sum(w * (sa * log_expit(d) + (1 - sa) * log_expit(-d))) + theta.mean() ** 2
        )

    res = minimize(neg, np.zeros(c.n_items), method="BFGS", options={"gtol": 1e-10})
    return res.x - res.x.mean()


def test_aggregate_keeps_fractional_points() -> None:
    c = _soft(np.random.default_rng(0))
    table = aggregate(c)
    _, points = table.totals()
    lo = np.minimum(c.a, c.b)
    to_lo = np.where(c.a == lo, c.score_a(), 1 - c.score_a())
    pair = lo * c.n_items + np.maximum(c.a, c.b)
    keys = table.pair_i * c.n_items + table.pair_j
    expected = [np.sum((c.weight * to_lo)[pair == k]) for k in keys]
    np.testing.assert_allclose(points, expected, rtol=1e-12)
    assert np.unique(table.cell_points).size > 3  # not just 0, ½ and 1


def test_bradley_terry_soft_equals_explicit_likelihood() -> None:
    c = _soft(np.random.default_rng(1))
    fit = bradley_terry(c, l2=0.0)
    np.testing.assert_allclose(fit.scores, _explicit_bt(c), atol=1e-6)


def test_bradley_terry_two_players_closed_form() -> None:
    p_b = [0.2, 0.9, 0.35, 0.6]
    c = Comparisons.from_labels(["x", "y", "x", "y"], ["y", "x", "y", "x"], [1] * 4, p_b=p_b)
    x_points = (1 - 0.2) + 0.9 + (1 - 0.35) + 0.6
    fit = bradley_terry(c, l2=0.0)
    assert fit.scores[0] - fit.scores[1] == pytest.approx(np.log(x_points / (4 - x_points)))


def test_bradley_terry_zero_one_soft_labels_equal_hard() -> None:
    rng = np.random.default_rng(2)
    c = _soft(rng)
    p_b = rng.integers(0, 2, c.n_comparisons).astype(float)
    soft = dataclasses.replace(c, p_b=p_b)
    np.testing.assert_allclose(
        bradley_terry(soft).scores, bradley_terry(_as_hard(c, p_b)).scores, atol=1e-12
    )


def test_style_bt_soft_equals_explicit_likelihood() -> None:
    rng = np.random.default_rng(3)
    c = _soft(rng, n_votes=400)
    z = rng.normal(size=(c.n_comparisons, 1))
    fit = style_bradley_terry(c, features=z)
    sa, w, n = c.score_a(), c.weight, c.n_items

    def neg(theta: np.ndarray) -> float:
        d = theta[c.a] - theta[c.b] + z[:, 0] * theta[n]
        ll = np.sum(w * (sa * log_expit(d) + (1 - sa) * log_expit(-d)))
        return float(-ll + theta[:n].mean() ** 2)

    res = minimize(neg, np.zeros(n + 1), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.scores, res.x[:n] - res.x[:n].mean(), atol=1e-5)
    assert fit.coefficients is not None
    assert fit.coefficients[0] == pytest.approx(res.x[n], abs=1e-5)


def test_davidson_soft_label_is_fractional_wins_without_tie() -> None:
    c = _soft(np.random.default_rng(4))
    fit = davidson(c)
    soft = ~np.isnan(c.p_b)
    sa = c.score_a()
    a_won = np.where(soft, sa, c.outcome == Outcome.A)
    b_won = np.where(soft, 1 - sa, c.outcome == Outcome.B)
    tie = np.where(soft, 0.0, c.outcome == Outcome.TIE)

    def neg(theta: np.ndarray) -> float:
        s, lam = theta[:-1], theta[-1]
        d = s[c.a] - s[c.b]
        log_q = np.logaddexp(np.logaddexp(d / 2, -d / 2), lam)
        ll = c.weight * (a_won * (d / 2 - log_q) + b_won * (-d / 2 - log_q) + tie * (lam - log_q))
        return float(-np.sum(ll) + s.mean() ** 2)

    res = minimize(neg, np.zeros(c.n_items + 1), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.scores, res.x[:-1] - res.x[:-1].mean(), atol=1e-5)
    assert np.log(fit.nu) == pytest.approx(res.x[-1], abs=1e-5)


def test_davidson_zero_one_soft_labels_equal_hard() -> None:
    rng = np.random.default_rng(5)
    c = _soft(rng)
    p_b = np.where(np.isnan(c.p_b), np.nan, (c.p_b > 0.5).astype(float))
    hard_outcome = np.where(p_b == 1, Outcome.B, np.where(p_b == 0, Outcome.A, c.outcome))
    hard = dataclasses.replace(c, outcome=hard_outcome.astype(np.int8), p_b=None)
    soft = dataclasses.replace(c, p_b=p_b)
    np.testing.assert_allclose(davidson(soft).scores, davidson(hard).scores, atol=1e-10)


def test_elo_scores_one_minus_p_b() -> None:
    c = _soft(np.random.default_rng(6), n_votes=200)
    ratings = [1000.0] * c.n_items
    for a, b, o, p, w in zip(c.a, c.b, c.outcome, c.p_b, c.weight, strict=True):
        s = 1 - p if not np.isnan(p) else {Outcome.A: 1.0, Outcome.B: 0.0}.get(o, 0.5)
        e = 1 / (1 + 10 ** ((ratings[b] - ratings[a]) / 400))
        ratings[a] += 4 * w * (s - e)
        ratings[b] -= 4 * w * (s - e)
    np.testing.assert_allclose(elo(c).ratings, ratings, rtol=1e-12)


def test_observed_win_rate_uses_soft_labels() -> None:
    c = Comparisons.from_labels(
        ["x", "base", "x"], ["base", "x", "base"], [1, 1, 3], p_b=[0.3, 0.8, np.nan]
    )
    rates = win_rate_vs(c, np.zeros(2), "base")
    assert rates.observed[c.names.index("x")] == pytest.approx((0.7 + 0.8 + 0.5) / 3)


def test_equilibrium_payoff_is_the_expected_margin() -> None:
    c = _soft(np.random.default_rng(7))
    game = win_probabilities(c, alpha=0.0)
    hard = (c.outcome == Outcome.A).astype(float) - (c.outcome == Outcome.B)
    margin = c.weight * np.where(np.isnan(c.p_b), hard, 1 - 2 * np.nan_to_num(c.p_b))
    q, i, j = 1, 0, 1
    on = (c.prompt == q) & (((c.a == i) & (c.b == j)) | ((c.a == j) & (c.b == i)))
    signed = np.where(c.a[on] == i, margin[on], -margin[on])
    assert game.payoff[q, i, j] == pytest.approx(np.sum(signed) / np.sum(c.weight[on]))


def test_hard_labels_option_ignores_p_b() -> None:
    c = _soft(np.random.default_rng(8))
    soft = rate(c, "bt", BradleyTerryOptions())
    hard = rate(c, "bt", BradleyTerryOptions(hard_labels=True))
    plain = rate(c.hard_labels(), "bt", BradleyTerryOptions())
    assert hard["competitors"] == plain["competitors"]
    assert soft["competitors"] != hard["competitors"]
    assert soft["params"]["n_soft_labels"] == int(np.sum(~np.isnan(c.p_b)))
    assert hard["params"]["hard_labels"] is True


def test_judges_read_a_soft_label_as_the_verdict_it_favours() -> None:
    outcome = np.array([Outcome.TIE, Outcome.A, Outcome.B, Outcome.A], dtype=np.int8)
    p_b = np.array([0.9, 0.5, 0.1, np.nan])
    verdicts = soft_verdicts(outcome, p_b)
    assert verdicts.tolist() == [Outcome.B, Outcome.TIE, Outcome.A, Outcome.A]
