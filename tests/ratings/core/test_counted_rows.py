"""Counted rows (``Comparisons.count``): verdicts merged by every column give the cells, fits,
sandwich covariance and bootstrap of the verdicts one by one, bit for bit; a weight of the
same size would not (the sandwich sees it squared, the bootstrap draws it once)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings.core import bootstrap, bradley_terry, covariance
from ratings.core.pairs import aggregate
from ratings.core.types import Comparisons


def _votes(seed: int, n_items: int, n_votes: int, soft: bool) -> Comparisons:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n_items, n_votes)
    b = (a + 1 + rng.integers(0, n_items - 1, n_votes)) % n_items
    strength = np.linspace(1.0, -1.0, n_items)
    outcome = np.where(rng.random(n_votes) < 1 / (1 + np.exp(strength[b] - strength[a])), 1, 2)
    outcome[rng.random(n_votes) < 0.15] = 3
    p_b = np.where(rng.random(n_votes) < 0.3, rng.choice([0.2, 0.7], n_votes), np.nan)
    return Comparisons(
        names=tuple(f"m{k}" for k in range(n_items)),
        a=a.astype(np.intp),
        b=b.astype(np.intp),
        outcome=outcome.astype(np.int8),
        weight=np.ones(n_votes),
        p_b=p_b if soft else None,
    )


def _merged(votes: Comparisons) -> Comparisons:
    """The votes merged by every column, as the GROUP BY read does, in first-seen order."""
    p_b = (
        np.full(votes.n_comparisons, -1.0)
        if votes.p_b is None
        else np.nan_to_num(votes.p_b, nan=-1.0)
    )
    keys = np.stack([votes.a, votes.b, votes.outcome, p_b]).T
    rows, first, count = np.unique(keys, axis=0, return_index=True, return_counts=True)
    order = np.argsort(first)
    rows, count = rows[order], count[order].astype(np.float64)
    return Comparisons(
        names=votes.names,
        a=rows[:, 0].astype(np.intp),
        b=rows[:, 1].astype(np.intp),
        outcome=rows[:, 2].astype(np.int8),
        weight=np.ones(len(rows)),
        p_b=None if votes.p_b is None else np.where(rows[:, 3] < 0, np.nan, rows[:, 3]),
        count=count,
    )


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), soft=st.booleans())
def test_counted_rows_give_the_numbers_of_the_verdicts(seed: int, soft: bool) -> None:
    votes = _votes(seed, 6, 400, soft)
    merged = _merged(votes)
    assert merged.n_comparisons < votes.n_comparisons
    assert merged.n_verdicts == votes.n_comparisons
    one, other = aggregate(votes), aggregate(merged)
    for field in ("pair_i", "pair_j", "cell_pair", "cell_count", "cell_weight", "cell_points"):
        np.testing.assert_array_equal(getattr(one, field), getattr(other, field))
    fit, fit_merged = bradley_terry(votes), bradley_terry(merged)
    np.testing.assert_array_equal(fit.scores, fit_merged.scores)
    np.testing.assert_array_equal(covariance(votes, fit), covariance(merged, fit_merged))
    boot = bootstrap(votes, n_resamples=20, rng=seed, point=fit)
    boot_merged = bootstrap(merged, n_resamples=20, rng=seed, point=fit_merged)
    np.testing.assert_array_equal(boot.samples, boot_merged.samples)


def test_a_weight_of_the_same_size_is_not_a_count() -> None:
    votes = _votes(3, 5, 300, soft=False)
    merged = _merged(votes)
    weighted = Comparisons(
        names=merged.names, a=merged.a, b=merged.b, outcome=merged.outcome, weight=merged.count
    )
    fit = bradley_terry(votes)
    np.testing.assert_allclose(bradley_terry(weighted).scores, fit.scores, atol=1e-9)
    assert not np.allclose(covariance(weighted, fit), covariance(votes, fit))
