"""Fits of disconnected comparison graphs by groups, checked against independent computations:
choix on each group alone, a generic scipy optimiser on each group's likelihood, and the
pseudo-inverse of each group's information matrix built by loops."""

from __future__ import annotations

import choix
import numpy as np
import pytest
from scipy.optimize import minimize

from ratings.core import (
    ComparisonGroups,
    Comparisons,
    DisconnectedComparisonsError,
    bootstrap,
    bradley_terry,
    comparison_groups,
    covariance,
    davidson,
    davidson_intervals,
    normal_intervals,
    style_bradley_terry,
    style_intervals,
)

MAIN, SIDE = np.arange(6), np.arange(6, 9)  # six competitors, and three that never met them


def _votes(rng: np.random.Generator, members: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    a = rng.choice(members, n)
    b = members[(np.searchsorted(members, a) + rng.integers(1, members.size, n)) % members.size]
    strength = np.linspace(-1, 1, 9)
    p_a = 1 / (1 + np.exp(strength[b] - strength[a]))
    u = rng.random(n)
    outcome = np.where(u < 0.15, 3, np.where(u < 0.15 + 0.85 * p_a, 1, 2))
    return a, b, outcome


def _split(seed: int = 0, n_main: int = 400, n_side: int = 90, *, style: bool = False):
    rng = np.random.default_rng(seed)
    parts = [_votes(rng, MAIN, n_main), _votes(rng, SIDE, n_side)]
    a, b, o = (np.concatenate(col) for col in zip(*parts, strict=True))
    n = a.size
    extra = {}
    if style:
        extra = {
            "features_a": rng.integers(0, 900, (n, 2)).astype(float),
            "features_b": rng.integers(0, 900, (n, 2)).astype(float),
            "feature_names": ("tokens", "bold"),
        }
    return Comparisons(
        names=tuple(f"m{k}" for k in range(9)),
        a=a.astype(np.intp),
        b=b.astype(np.intp),
        outcome=o.astype(np.int8),
        weight=np.ones(n),
        **extra,
    )


def _choix_scores(c: Comparisons, members: np.ndarray) -> np.ndarray:
    """choix's maximum-likelihood fit of one group alone (a tie as a win each way, a win twice)."""
    at = {int(k): i for i, k in enumerate(members)}
    data: list[tuple[int, int]] = []
    for x, y, o in zip(c.a, c.b, c.outcome, strict=True):
        if int(x) not in at:
            continue
        i, j = at[int(x)], at[int(y)]
        data += [(i, j)] * 2 if o == 1 else [(j, i)] * 2 if o == 2 else [(i, j), (j, i)]
    scores = choix.opt_pairwise(members.size, data, alpha=0.0, method="Newton-CG", tol=1e-12)
    return scores - scores.mean()


def test_bradley_terry_by_groups_equals_choix_on_each_group_alone() -> None:
    c = _split()
    fit = bradley_terry(c, on_disconnected="groups")
    assert fit.converged
    assert fit.l2 == 0.0
    np.testing.assert_array_equal(fit.groups, [0] * 6 + [1] * 3)
    for members in (MAIN, SIDE):
        np.testing.assert_allclose(fit.scores[members], _choix_scores(c, members), atol=1e-6)
        assert abs(fit.scores[members].mean()) < 1e-12


def test_by_default_a_disconnected_graph_still_raises() -> None:
    with pytest.raises(DisconnectedComparisonsError):
        bradley_terry(_split())
    with pytest.raises(ValueError, match="on_disconnected"):
        bradley_terry(_split(), on_disconnected="ignore")


def test_a_connected_graph_gives_the_same_fit_bit_for_bit_either_way() -> None:
    c = _split()
    kept = c.subset(c.a < 6)
    main = Comparisons(c.names[:6], kept.a, kept.b, kept.outcome, kept.weight)
    plain, grouped = bradley_terry(main), bradley_terry(main, on_disconnected="groups")
    np.testing.assert_array_equal(plain.scores, grouped.scores)
    assert grouped.groups is None
    np.testing.assert_array_equal(covariance(main, plain), covariance(main, grouped))


def _information_pinv(c: Comparisons, scores: np.ndarray, members: np.ndarray) -> np.ndarray:
    """The Fisher covariance of one group: pinv of its information matrix, built by loops."""
    at = {int(k): i for i, k in enumerate(members)}
    info = np.zeros((members.size, members.size))
    for x, y, w in zip(c.a, c.b, c.weight, strict=True):
        if int(x) in at:
            i, j = at[int(x)], at[int(y)]
            p = 1 / (1 + np.exp(scores[y] - scores[x]))
            h = w * p * (1 - p)
            info[i, i] += h
            info[j, j] += h
            info[i, j] -= h
            info[j, i] -= h
    return np.linalg.pinv(info)


def test_covariance_is_each_groups_own_and_zero_between_groups() -> None:
    c = _split()
    fit = bradley_terry(c, on_disconnected="groups")
    cov = covariance(c, fit, kind="fisher")
    for members in (MAIN, SIDE):
        block = cov[np.ix_(members, members)]
        np.testing.assert_allclose(block, _information_pinv(c, fit.scores, members), atol=1e-10)
    assert np.all(cov[np.ix_(MAIN, SIDE)] == 0.0)
    intervals = normal_intervals(c, fit)
    assert np.all(intervals.low < fit.scores)
    assert np.all(fit.scores < intervals.high)


def test_bootstrap_by_groups_centres_each_replicate_group_by_group() -> None:
    c = _split()
    fit = bradley_terry(c, on_disconnected="groups")
    ci = bootstrap(c, n_resamples=40, rng=3, point=fit)
    assert ci.samples is not None
    np.testing.assert_allclose(ci.samples[:, SIDE].mean(axis=1), 0.0, atol=1e-9)
    np.testing.assert_allclose(ci.samples[:, MAIN].mean(axis=1), 0.0, atol=1e-9)
    assert np.all(ci.low <= fit.scores)
    assert np.all(fit.scores <= ci.high)


def test_an_unbeaten_competitor_inside_a_group_still_gets_the_automatic_ridge() -> None:
    c = _split()
    side_a, side_b = np.isin(c.a, SIDE), np.isin(c.b, SIDE)
    beats = (c.a == 8) & side_b
    lost = (c.b == 8) & side_a
    outcome = c.outcome.copy()
    outcome[beats], outcome[lost] = 1, 2  # m8 wins every game it plays
    fit = bradley_terry(Comparisons(c.names, c.a, c.b, outcome, c.weight), on_disconnected="groups")
    assert fit.l2 > 0
    assert fit.converged
    assert np.argmax(fit.scores[SIDE]) == 2
    assert abs(fit.scores[SIDE].mean()) < 1e-9


def _style_nll(theta: np.ndarray, c: Comparisons, z: np.ndarray, n: int) -> float:
    d = theta[c.a] - theta[c.b] + z @ theta[n:]
    return float(-np.sum(c.score_a() * d - np.logaddexp(0.0, d)))


def test_style_bt_by_groups_equals_a_generic_optimiser_with_one_competitor_fixed_per_group():
    from ratings.core import style_features

    c = _split(1, style=True)
    fit = style_bradley_terry(c, on_disconnected="groups")
    np.testing.assert_array_equal(fit.groups, [0] * 6 + [1] * 3)
    z, n = style_features(c), c.n_items
    free = np.ones(n + z.shape[1], dtype=bool)
    free[[0, 6]] = False  # one competitor per group pinned: the likelihood's own identification

    def nll(x: np.ndarray) -> float:
        theta = np.zeros(n + z.shape[1])
        theta[free] = x
        return _style_nll(theta, c, z, n)

    found = minimize(nll, np.zeros(free.sum()), method="BFGS", options={"gtol": 1e-7})
    theta = np.zeros(n + z.shape[1])
    theta[free] = found.x
    for members in (MAIN, SIDE):
        expected = theta[members] - theta[members].mean()
        np.testing.assert_allclose(fit.scores[members], expected, atol=1e-4)
    np.testing.assert_allclose(fit.coefficients, theta[n:], atol=1e-4)
    ci = style_intervals(c, fit)
    assert np.all(np.isfinite(ci.low))
    assert np.all(ci.low < fit.scores)
    with pytest.raises(DisconnectedComparisonsError):
        style_bradley_terry(c)


def _davidson_nll(theta: np.ndarray, c: Comparisons) -> float:
    s, lam = theta[:-1], theta[-1]
    d = s[c.a] - s[c.b]
    log_q = np.logaddexp(np.logaddexp(d / 2, -d / 2), lam)
    term = np.where(c.outcome == 1, d / 2, np.where(c.outcome == 2, -d / 2, lam))
    return float(-np.sum(term - log_q))


def test_davidson_by_groups_equals_a_generic_optimiser_with_one_competitor_fixed_per_group():
    c = _split(2)
    fit = davidson(c, on_disconnected="groups")
    np.testing.assert_array_equal(fit.groups, [0] * 6 + [1] * 3)
    free = np.ones(c.n_items + 1, dtype=bool)
    free[[0, 6]] = False

    def nll(x: np.ndarray) -> float:
        theta = np.zeros(c.n_items + 1)
        theta[free] = x
        return _davidson_nll(theta, c)

    found = minimize(nll, np.zeros(free.sum()), method="BFGS", options={"gtol": 1e-7})
    theta = np.zeros(c.n_items + 1)
    theta[free] = found.x
    for members in (MAIN, SIDE):
        expected = theta[members] - theta[members].mean()
        np.testing.assert_allclose(fit.scores[members], expected, atol=1e-4)
    assert fit.nu == pytest.approx(np.exp(theta[-1]), rel=1e-4)
    low, high = davidson_intervals(c, fit)
    assert np.all(low < fit.scores)
    assert np.all(fit.scores < high)
    with pytest.raises(DisconnectedComparisonsError):
        davidson(c)


def test_the_main_group_is_the_one_with_most_games_not_most_competitors() -> None:
    names = tuple("abcdefg")
    # a-b played 10 games; c..g (five competitors) played one game per pair in a chain
    pair_i = np.array([0, 2, 3, 4, 5], dtype=np.intp)
    pair_j = np.array([1, 3, 4, 5, 6], dtype=np.intp)
    games = np.array([10.0, 1, 1, 1, 1])
    groups = comparison_groups(names, pair_i, pair_j, games)
    np.testing.assert_array_equal(groups.labels, [0, 0, 1, 1, 1, 1, 1])
    assert groups.separate() == [["c", "d", "e", "f", "g"]]
    anchored = groups.with_main(4)
    np.testing.assert_array_equal(anchored.labels, [1, 1, 0, 0, 0, 0, 0])
    assert comparison_groups(names, pair_i, pair_j, main=4).labels[0] == 1


def test_projector_and_centre_of_the_groups() -> None:
    groups = ComparisonGroups(("a", "b", "c"), np.array([0, 0, 1], dtype=np.intp))
    np.testing.assert_allclose(groups.projector(), [[0.5, 0.5, 0], [0.5, 0.5, 0], [0, 0, 1]])
    np.testing.assert_allclose(groups.centre(np.array([3.0, 1.0, 5.0])), [1.0, -1.0, 0.0])
    assert groups.n_groups == 2
    assert not groups.connected
