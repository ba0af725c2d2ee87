"""Style control: the feature transform by hand, the fit against a generic scipy optimiser on
the same likelihood, and recovery of known coefficients from simulated votes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from ratings.core import (
    Comparisons,
    Outcome,
    bradley_terry,
    normal_intervals,
    style_bradley_terry,
    style_features,
    style_intervals,
)


def _with_features(
    rng: np.random.Generator, n_items: int, n_votes: int, beta: np.ndarray, ties: float = 0.2
) -> tuple[Comparisons, np.ndarray]:
    a = rng.integers(0, n_items, n_votes)
    b = (a + rng.integers(1, n_items, n_votes)) % n_items
    fa = rng.integers(0, 2000, (n_votes, 4)).astype(float)
    fb = rng.integers(0, 2000, (n_votes, 4)).astype(float)
    c = Comparisons(
        names=tuple(f"c{k}" for k in range(n_items)),
        a=a,
        b=b,
        outcome=np.ones(n_votes, np.int8),
        weight=np.ones(n_votes),
        features_a=fa,
        features_b=fb,
        feature_names=("tokens", "h", "l", "bold"),
    )
    strength = rng.normal(0, 1, n_items)
    logit = strength[a] - strength[b] + style_features(c) @ beta
    wins = rng.random(n_votes) < 1 / (1 + np.exp(-logit))
    outcome = np.where(wins, Outcome.A, Outcome.B).astype(np.int8)
    outcome[rng.random(n_votes) < ties] = Outcome.TIE
    return Comparisons(
        names=c.names,
        a=a,
        b=b,
        outcome=outcome,
        weight=c.weight,
        features_a=fa,
        features_b=fb,
        feature_names=c.feature_names,
    ), strength


def test_features_are_standardised_normalised_differences() -> None:
    rng = np.random.default_rng(0)
    c, _ = _with_features(rng, 4, 50, np.zeros(4))
    assert c.features_a is not None
    assert c.features_b is not None
    for k in range(4):
        raw = [
            (x - y) / (x + y + 1)
            for x, y in zip(c.features_a[:, k], c.features_b[:, k], strict=True)
        ]
        expected = (np.array(raw) - np.mean(raw)) / np.std(raw)
        np.testing.assert_allclose(style_features(c)[:, k], expected)


def test_fit_matches_scipy_on_the_same_likelihood() -> None:
    rng = np.random.default_rng(1)
    c, _ = _with_features(rng, 6, 3000, np.array([0.5, -0.2, 0.1, 0.0]))
    z, n, y = style_features(c), c.n_items, c.score_a()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        s = np.concatenate([[0.0], theta[: n - 1]])
        d = s[c.a] - s[c.b] + z @ theta[n - 1 :]
        r = y - 1 / (1 + np.exp(-d))
        g = np.bincount(c.a, r, n) - np.bincount(c.b, r, n)
        return -float(np.sum(y * d - np.logaddexp(0, d))), -np.concatenate([g[1:], z.T @ r])

    ref = minimize(
        loss,
        np.zeros(n + 3),
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 10_000},
    )
    assert np.max(np.abs(ref.jac)) < 1e-5
    fit = style_bradley_terry(c)
    s = np.concatenate([[0.0], ref.x[: n - 1]])
    np.testing.assert_allclose(fit.scores, s - s.mean(), atol=1e-5)
    assert fit.coefficients is not None
    np.testing.assert_allclose(fit.coefficients, ref.x[n - 1 :], atol=1e-5)
    assert fit.feature_names == ("tokens", "h", "l", "bold")


@pytest.mark.slow
def test_recovers_simulated_style_coefficients() -> None:
    beta = np.array([0.6, -0.3, 0.2, 0.0])
    # random ties would shrink every logistic coefficient towards 0, so none here
    c, strength = _with_features(np.random.default_rng(2), 10, 60_000, beta, ties=0.0)
    fit = style_bradley_terry(c)
    assert fit.converged
    assert fit.coefficients is not None
    np.testing.assert_allclose(fit.coefficients, beta, atol=0.06)
    np.testing.assert_allclose(fit.scores, strength - strength.mean(), atol=0.1)


def test_identical_styles_give_zero_coefficients_and_plain_bradley_terry() -> None:
    rng = np.random.default_rng(3)
    c, _ = _with_features(rng, 5, 800, np.zeros(4))
    same = Comparisons(
        names=c.names,
        a=c.a,
        b=c.b,
        outcome=c.outcome,
        weight=c.weight,
        features_a=c.features_a,
        features_b=c.features_a,
        feature_names=c.feature_names,
    )
    fit = style_bradley_terry(same)
    assert fit.coefficients is not None
    np.testing.assert_array_equal(fit.coefficients, 0.0)
    np.testing.assert_allclose(fit.scores, bradley_terry(same).scores, atol=1e-9)


def test_votes_without_style_features_are_rejected() -> None:
    c = Comparisons(
        names=("a", "b"),
        a=np.array([0]),
        b=np.array([1]),
        outcome=np.array([1], np.int8),
        weight=np.ones(1),
    )
    with pytest.raises(ValueError, match="style features"):
        style_bradley_terry(c)


def test_identical_styles_give_the_plain_bradley_terry_intervals() -> None:
    c, _ = _with_features(np.random.default_rng(5), 5, 900, np.zeros(4))
    same = Comparisons(
        names=c.names,
        a=c.a,
        b=c.b,
        outcome=c.outcome,
        weight=c.weight,
        features_a=c.features_a,
        features_b=c.features_a,
        feature_names=c.feature_names,
    )
    fit, plain = style_bradley_terry(same), bradley_terry(same)
    for kind in ("sandwich", "fisher"):
        ours = style_intervals(same, fit, kind=kind, anchor=1)
        reference = normal_intervals(same, plain, kind=kind, anchor=1)
        np.testing.assert_allclose(ours.low, reference.low, atol=1e-9)
        np.testing.assert_allclose(ours.high, reference.high, atol=1e-9)


def test_fisher_intervals_match_a_finite_difference_hessian() -> None:
    c, _ = _with_features(np.random.default_rng(6), 4, 2000, np.array([0.4, 0.0, -0.2, 0.1]))
    fit = style_bradley_terry(c)
    assert fit.coefficients is not None
    z, n, y = style_features(c), c.n_items, c.score_a()

    def loglik(theta: np.ndarray) -> float:  # competitor 0 fixed at 0
        s = np.concatenate([[0.0], theta[: n - 1]])
        d = s[c.a] - s[c.b] + z @ theta[n - 1 :]
        return float(np.sum(y * d - np.logaddexp(0, d)))

    theta = np.concatenate([fit.scores[1:] - fit.scores[0], fit.coefficients])
    step, k = 1e-4, theta.shape[0]
    hess = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * step, np.eye(k)[j] * step
            hess[i, j] = (
                loglik(theta + ei + ej)
                - loglik(theta + ei - ej)
                - loglik(theta - ei + ej)
                + loglik(theta - ei - ej)
            ) / (4 * step**2)
    # relative to competitor 0, the variance of s_i - s_0 is the inverse information
    var = np.diag(np.linalg.inv(-hess))[: n - 1]
    ci = style_intervals(c, fit, kind="fisher", anchor=0)
    half = (ci.high - ci.low)[1:] / 2
    np.testing.assert_allclose(half, 1.959963984540054 * np.sqrt(var), rtol=1e-4)


def _repeated(c: Comparisons) -> Comparisons:
    rows = np.repeat(np.arange(c.n_comparisons), c.weight.astype(int))
    assert c.features_a is not None
    assert c.features_b is not None
    return Comparisons(
        names=c.names,
        a=c.a[rows],
        b=c.b[rows],
        outcome=c.outcome[rows],
        weight=np.ones(rows.shape[0]),
        features_a=c.features_a[rows],
        features_b=c.features_b[rows],
        feature_names=c.feature_names,
    )


def test_a_weighted_verdict_fits_as_that_many_repeated_verdicts() -> None:
    """arena-hard repeats a strong verdict three times and standardises the features over the
    repeated rows; a weight must do the same, or every rating moves against the others."""
    c, _ = _with_features(np.random.default_rng(7), 5, 1500, np.array([0.5, 0.2, 0.0, -0.1]))
    weighted = Comparisons(
        names=c.names,
        a=c.a,
        b=c.b,
        outcome=c.outcome,
        weight=np.random.default_rng(8).choice([1.0, 3.0], c.n_comparisons),
        features_a=c.features_a,
        features_b=c.features_b,
        feature_names=c.feature_names,
    )
    np.testing.assert_allclose(
        style_features(weighted),
        style_features(_repeated(weighted))[np.cumsum(weighted.weight.astype(int)) - 1],
    )
    for l2 in (0.0, 0.5):
        fit, reference = (
            style_bradley_terry(weighted, l2=l2),
            style_bradley_terry(_repeated(weighted), l2=l2),
        )
        np.testing.assert_allclose(fit.scores, reference.scores, atol=1e-9)
        assert fit.coefficients is not None
        np.testing.assert_allclose(fit.coefficients, reference.coefficients, atol=1e-9)


def test_self_battles_do_not_shift_the_feature_centre() -> None:
    c, _ = _with_features(np.random.default_rng(9), 4, 600, np.array([0.3, 0.0, 0.0, 0.0]))
    assert c.features_a is not None
    assert c.features_b is not None
    selfish = Comparisons(
        names=c.names,
        a=np.concatenate([c.a, [0, 1]]),
        b=np.concatenate([c.b, [0, 1]]),
        outcome=np.concatenate([c.outcome, [Outcome.A, Outcome.B]]).astype(np.int8),
        weight=np.ones(c.n_comparisons + 2),
        features_a=np.vstack([c.features_a, [[5000.0] * 4, [0.0] * 4]]),
        features_b=np.vstack([c.features_b, [[0.0] * 4, [5000.0] * 4]]),
        feature_names=c.feature_names,
    )
    np.testing.assert_allclose(
        style_bradley_terry(selfish).scores, style_bradley_terry(c).scores, atol=1e-9
    )


def test_ridge_minimises_the_penalised_likelihood_in_the_score_unit() -> None:
    """With ``score_unit`` u the penalty is ``l2/2 · (Σ (s/u)² + Σ β²)``: checked against a
    generic optimiser on that objective."""
    c, _ = _with_features(np.random.default_rng(10), 5, 400, np.array([0.4, -0.2, 0.1, 0.0]))
    z, n, y = style_features(c), c.n_items, c.score_a()
    l2, unit = 3.0, np.log(10.0)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        d = theta[c.a] - theta[c.b] + z @ theta[n:]
        r = y - 1 / (1 + np.exp(-d))
        scale = np.concatenate([np.full(n, 1 / unit**2), np.ones(4)])
        g = np.concatenate([np.bincount(c.a, r, n) - np.bincount(c.b, r, n), z.T @ r])
        value = -float(np.sum(y * d - np.logaddexp(0, d))) + 0.5 * l2 * theta @ (scale * theta)
        return value, -g + l2 * scale * theta

    ref = minimize(
        loss,
        np.zeros(n + 4),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-9, "maxiter": 10_000},
    )
    assert np.max(np.abs(ref.jac)) < 1e-8
    fit = style_bradley_terry(c, l2=l2, score_unit=unit)
    assert fit.score_unit == unit
    np.testing.assert_allclose(fit.scores, ref.x[:n], atol=1e-6)
    assert fit.coefficients is not None
    np.testing.assert_allclose(fit.coefficients, ref.x[n:], atol=1e-6)
