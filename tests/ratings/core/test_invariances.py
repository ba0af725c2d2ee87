"""Properties (hypothesis): what Bradley–Terry must not depend on, what Elo does depend on, and
what the bootstrap promises."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings.core import Comparisons, Outcome, bootstrap, bradley_terry, elo
from tests.ratings.core.factories import comparisons

FLIP = np.array([0, Outcome.B, Outcome.A, Outcome.TIE, Outcome.BOTH_BAD], dtype=np.int8)


@st.composite
def vote_sets(draw: st.DrawFn) -> Comparisons:
    """Strongly connected votes: a ring won both ways, plus random extra votes with ties."""
    n = draw(st.integers(min_value=2, max_value=7))
    extra = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(1, n - 1),
                st.sampled_from([1, 2, 3, 4]),
                st.sampled_from([1.0, 1.0, 2.0, 0.5]),
            ),
            min_size=0,
            max_size=40,
        )
    )
    ring = list(range(n))
    a = ring + [(k + 1) % n for k in ring] + [i for i, _, _, _ in extra]
    b = [(k + 1) % n for k in ring] + ring + [(i + s) % n for i, s, _, _ in extra]
    outcome = [Outcome.A] * (2 * n) + [o for _, _, o, _ in extra]
    weight = [1.0] * (2 * n) + [w for _, _, _, w in extra]
    return comparisons(a, b, outcome, weight=weight, n_items=n)


@settings(max_examples=60, deadline=None)
@given(vote_sets(), st.randoms(use_true_random=False))
def test_bradley_terry_is_unchanged_by_reordering_votes(c: Comparisons, random) -> None:
    order = np.array(random.sample(range(c.n_comparisons), c.n_comparisons))
    shuffled = Comparisons(
        names=c.names, a=c.a[order], b=c.b[order], outcome=c.outcome[order], weight=c.weight[order]
    )
    np.testing.assert_allclose(bradley_terry(shuffled).scores, bradley_terry(c).scores, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(vote_sets(), st.randoms(use_true_random=False))
def test_bradley_terry_is_unchanged_by_renaming_competitors(c: Comparisons, random) -> None:
    perm = np.array(random.sample(range(c.n_items), c.n_items))  # old index -> new index
    names = [""] * c.n_items
    for old, new in enumerate(perm):
        names[new] = f"renamed-{c.names[old]}"
    renamed = Comparisons(
        names=tuple(names), a=perm[c.a], b=perm[c.b], outcome=c.outcome, weight=c.weight
    )
    np.testing.assert_allclose(
        bradley_terry(renamed).scores[perm], bradley_terry(c).scores, atol=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(vote_sets())
def test_bradley_terry_is_unchanged_by_swapping_sides_and_flipping_outcomes(c: Comparisons) -> None:
    swapped = Comparisons(names=c.names, a=c.b, b=c.a, outcome=FLIP[c.outcome], weight=c.weight)
    np.testing.assert_allclose(bradley_terry(swapped).scores, bradley_terry(c).scores, atol=1e-9)


def test_elo_depends_on_the_order_of_votes() -> None:
    c = comparisons([0, 1], [1, 0], [Outcome.A, Outcome.A])
    forward, backward = elo(c).ratings, elo(c, order=np.array([1, 0])).ratings
    # the later win counts for more, because it was less expected
    assert forward[1] > forward[0]
    assert backward[0] > backward[1]
    assert not np.allclose(forward, backward)


@settings(max_examples=40, deadline=None)
@given(vote_sets(), st.randoms(use_true_random=False))
def test_elo_conserves_the_total_rating_in_any_order(c: Comparisons, random) -> None:
    order = np.array(random.sample(range(c.n_comparisons), c.n_comparisons))
    ratings = elo(c, order=order, k=32.0, initial=1200.0).ratings
    assert ratings.sum() == np.float64(1200.0 * c.n_items) or np.isclose(
        ratings.sum(), 1200.0 * c.n_items, rtol=1e-12
    )


@settings(max_examples=25, deadline=None)
@given(vote_sets(), st.integers(0, 2**32 - 1))
def test_bootstrap_intervals_contain_the_point_estimate(c: Comparisons, seed: int) -> None:
    point = bradley_terry(c)
    ci = bootstrap(c, n_resamples=15, rng=seed, point=point, n_threads=1)
    assert np.all(ci.low <= point.scores + 1e-12)
    assert np.all(point.scores <= ci.high + 1e-12)


@settings(max_examples=25, deadline=None)
@given(vote_sets(), st.integers(0, 2**32 - 1))
def test_bootstrap_with_a_fixed_seed_gives_identical_intervals(c: Comparisons, seed: int) -> None:
    first = bootstrap(c, n_resamples=10, rng=seed)
    second = bootstrap(c, n_resamples=10, rng=np.random.default_rng(seed))
    np.testing.assert_array_equal(first.low, second.low)
    np.testing.assert_array_equal(first.high, second.high)
