"""Comparisons.from_labels: the one constructor from competitor names, as call sites built it."""

from __future__ import annotations

import numpy as np
import pytest

from ratings.core.types import Comparisons


def hand_built(a_names, b_names, outcomes, keys) -> Comparisons:
    """The arrays as ``comparisons_for_leaderboard`` built them by hand before."""
    names = sorted(set(a_names) | set(b_names))
    index = {name: i for i, name in enumerate(names)}
    groups = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    return Comparisons(
        names=tuple(names),
        a=np.array([index[x] for x in a_names], dtype=np.intp),
        b=np.array([index[y] for y in b_names], dtype=np.intp),
        outcome=np.array(outcomes, dtype=np.int8),
        weight=np.ones(len(a_names)),
        prompt=np.array([groups[k] for k in keys], dtype=np.intp),
        prompt_names=tuple(groups),
    )


def assert_same(x: Comparisons, y: Comparisons) -> None:
    assert (x.names, x.prompt_names, x.feature_names) == (y.names, y.prompt_names, y.feature_names)
    for column in ("a", "b", "outcome", "weight", "prompt"):
        left, right = getattr(x, column), getattr(y, column)
        assert left.dtype == right.dtype
        np.testing.assert_array_equal(left, right)


def test_equals_the_hand_built_arrays_names_sorted_prompts_first_seen():
    a = ["zeta", "alpha", "mid", "alpha"]
    b = ["alpha", "mid", "zeta", "zeta"]
    outcomes = [1, 2, 3, 4]
    keys = ["q9", "q1", "q9", "q5"]
    found = Comparisons.from_labels(a, b, outcomes, prompts=keys)
    assert_same(found, hand_built(a, b, outcomes, keys))
    assert found.names == ("alpha", "mid", "zeta")
    assert found.prompt_names == ("q9", "q1", "q5")


def test_given_names_fix_the_order_and_may_include_unvoted_competitors():
    found = Comparisons.from_labels(["b"], ["a"], [1], names=["b", "c", "a"])
    assert found.names == ("b", "c", "a")
    assert (found.a.tolist(), found.b.tolist()) == ([0], [2])
    with pytest.raises(KeyError):
        Comparisons.from_labels(["x"], ["a"], [1], names=["a"])


def test_weights_features_and_no_votes():
    feats = np.arange(4.0).reshape(2, 2)
    found = Comparisons.from_labels(
        ["a", "b"],
        ["b", "a"],
        np.array([1, 2]),
        weight=[0.5, 2.0],
        prompts=[7, 7],
        features_a=feats,
        features_b=feats + 1,
        feature_names=("tokens", "bold"),
    )
    assert found.weight.tolist() == [0.5, 2.0]
    assert found.prompt_names == ("7",)
    assert found.features_a is feats
    empty = Comparisons.from_labels([], [], [])
    assert (empty.names, empty.n_comparisons, empty.weight.dtype) == ((), 0, np.float64)
    assert empty.prompt is None
