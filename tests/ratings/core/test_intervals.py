"""Intervals: the sandwich against its two-competitor closed form, the bootstrap against a
brute-force resampling of votes refitted by choix, and rank intervals by counting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from ratings.core import (
    Comparisons,
    Outcome,
    aggregate,
    bootstrap,
    bradley_terry,
    covariance,
    normal_intervals,
    rank_intervals,
)
from tests.ratings.core.factories import choix_scores, comparisons, random_comparisons

Z95 = float(norm.ppf(0.975))


def _two_competitors(wins: int, losses: int, ties: int) -> Comparisons:
    n = wins + losses + ties
    return comparisons(
        [0] * n, [1] * n, [Outcome.A] * wins + [Outcome.B] * losses + [Outcome.TIE] * ties
    )


@pytest.mark.parametrize(("wins", "losses", "ties"), [(30, 20, 0), (30, 20, 25)])
def test_sandwich_matches_the_two_competitor_closed_form(wins: int, losses: int, ties: int) -> None:
    c = _two_competitors(wins, losses, ties)
    n = wins + losses + ties
    p = (wins + ties / 2) / n
    hessian = n * p * (1 - p)
    score_var = wins * (1 - p) ** 2 + losses * p**2 + ties * (0.5 - p) ** 2
    var_difference = score_var / hessian**2
    fit = bradley_terry(c)
    ci = normal_intervals(c, fit, kind="sandwich")
    # centred scores are ±difference/2, so each half-width is z * sd(difference) / 2
    np.testing.assert_allclose(ci.high - fit.scores, Z95 * math.sqrt(var_difference) / 2)


def test_fisher_matches_the_inverse_information_closed_form() -> None:
    c = _two_competitors(30, 20, 25)
    n, p = 75, (30 + 12.5) / 75
    fit = bradley_terry(c)
    cov = covariance(c, fit, kind="fisher")
    var_difference = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    assert var_difference == pytest.approx(1 / (n * p * (1 - p)))


def test_sandwich_equals_fisher_without_ties_at_the_optimum() -> None:
    c = random_comparisons(np.random.default_rng(3), 4, 4000, ties=0.0)
    fit = bradley_terry(c)
    sandwich, fisher = covariance(c, fit), covariance(c, fit, kind="fisher")
    # with binary outcomes per pair, G and H differ only by sampling noise per pair
    np.testing.assert_allclose(np.diag(sandwich), np.diag(fisher), rtol=0.15)


def test_anchored_interval_is_a_point_for_the_anchor() -> None:
    c = random_comparisons(np.random.default_rng(1), 6, 600)
    fit = bradley_terry(c)
    for ci in (normal_intervals(c, fit, anchor=2), bootstrap(c, n_resamples=10, rng=0, anchor=2)):
        assert ci.low[2] == pytest.approx(0.0, abs=1e-9)
        assert ci.high[2] == pytest.approx(0.0, abs=1e-9)


def test_bootstrap_replicates_are_exact_fits_of_multinomial_resamples() -> None:
    c = random_comparisons(np.random.default_rng(9), 7, 800, weights=True)
    table = aggregate(c)
    ci = bootstrap(table, n_resamples=5, rng=123)
    streams = np.random.default_rng(123).spawn(5)
    total = int(table.cell_count.sum())
    for r, stream in enumerate(streams):
        counts = stream.multinomial(total, table.cell_count / total)
        resampled = comparisons(
            np.repeat(table.pair_i[table.cell_pair], counts),
            np.repeat(table.pair_j[table.cell_pair], counts),
            np.repeat(
                np.where(table.cell_points == 1, 1, np.where(table.cell_points == 0, 2, 3)), counts
            ),
            weight=np.repeat(table.cell_weight, counts),
            n_items=c.n_items,
        )
        assert ci.samples is not None
        np.testing.assert_allclose(ci.samples[r], choix_scores(resampled), atol=1e-7)


def test_bootstrap_spread_matches_resampling_the_votes_directly() -> None:
    rng = np.random.default_rng(4)
    c = random_comparisons(rng, 5, 1500, ties=0.3)
    ours = bootstrap(c, n_resamples=300, rng=5)
    brute = []
    for _ in range(300):
        rows = rng.integers(0, c.n_comparisons, c.n_comparisons)
        brute.append(choix_scores(_take(c, rows)))
    assert ours.samples is not None
    np.testing.assert_allclose(ours.samples.std(axis=0), np.std(brute, axis=0), rtol=0.2)


def _take(c: Comparisons, rows: np.ndarray) -> Comparisons:
    return Comparisons(
        names=c.names, a=c.a[rows], b=c.b[rows], outcome=c.outcome[rows], weight=c.weight[rows]
    )


def test_bootstrap_does_not_depend_on_the_number_of_threads() -> None:
    c = random_comparisons(np.random.default_rng(2), 6, 500)
    one = bootstrap(c, n_resamples=12, rng=8, n_threads=1)
    two = bootstrap(c, n_resamples=12, rng=8, n_threads=2)
    np.testing.assert_array_equal(one.samples, two.samples)


def test_bootstrap_rejects_bad_arguments() -> None:
    c = random_comparisons(np.random.default_rng(2), 3, 50)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap(c, n_resamples=0)
    with pytest.raises(ValueError, match="level"):
        bootstrap(c, level=1.5)


def test_rank_intervals_count_wholly_better_and_wholly_worse_competitors() -> None:
    rng = np.random.default_rng(0)
    centre = rng.normal(size=12)
    low, high = centre - rng.random(12), centre + rng.random(12)
    names = tuple(f"c{k}" for k in range(12))
    ranks = rank_intervals(names, low, high)
    for i in range(12):
        better = sum(1 for j in range(12) if low[j] > high[i])
        worse = sum(1 for j in range(12) if high[j] < low[i])
        assert ranks.upper[i] == 1 + better
        assert ranks.lower[i] == 12 - worse
    assert np.all(ranks.upper <= ranks.lower)


def test_raw_percentiles_contain_the_point_estimate_with_enough_votes() -> None:
    """The widening to include the point estimate is only a guard for tiny samples."""
    c = random_comparisons(np.random.default_rng(12), 6, 3000)
    fit = bradley_terry(c)
    ci = bootstrap(c, n_resamples=200, rng=3, point=fit)
    assert ci.samples is not None
    low, high = np.percentile(ci.samples, [2.5, 97.5], axis=0)
    assert np.all(low < fit.scores)
    assert np.all(fit.scores < high)
    np.testing.assert_allclose(ci.low, low, atol=1e-12)
    np.testing.assert_allclose(ci.high, high, atol=1e-12)


def test_bootstrap_does_not_depend_on_how_competitors_are_numbered() -> None:
    """The server numbers competitors by name, the command line as first met in the file: the
    same votes and seed give each competitor the same interval either way."""
    rng = np.random.default_rng(8)
    names = [f"m{k}" for k in range(6)]
    a = rng.integers(0, 6, 400)
    b = (a + rng.integers(1, 6, 400)) % 6
    outcome = rng.integers(1, 4, 400)
    a_names, b_names = [names[i] for i in a], [names[j] for j in b]
    by_name = Comparisons.from_labels(a_names, b_names, outcome)
    reordered = Comparisons.from_labels(a_names, b_names, outcome, names=names[::-1])
    first = bootstrap(by_name, n_resamples=40, rng=3)
    second = bootstrap(reordered, n_resamples=40, rng=3)
    for k, name in enumerate(by_name.names):
        m = reordered.names.index(name)
        assert first.low[k] == pytest.approx(second.low[m], abs=1e-9)
        assert first.high[k] == pytest.approx(second.high[m], abs=1e-9)
