"""Cohen's kappa and rater agreement: the one definition every endpoint publishes."""

from __future__ import annotations

import numpy as np
import pytest

from ratings.core.agreement import cohen_kappa, modal_label, rater_agreement


def test_cohen_kappa_matches_the_textbook_example():
    # Wikipedia's worked example ("Cohen's kappa"): 50 items, yes/yes 20, no/no 15, yes/no 5,
    # no/yes 10; p_o = 0.7, p_e = 0.5, published kappa 0.4.
    pairs = [(1, 1)] * 20 + [(2, 2)] * 15 + [(1, 2)] * 5 + [(2, 1)] * 10
    first, second = zip(*pairs, strict=True)
    assert cohen_kappa(first, second) == pytest.approx(0.4, abs=1e-15)


def test_cohen_kappa_equals_the_confusion_matrix_formula_on_four_verdicts():
    rng = np.random.default_rng(3)
    first = rng.integers(0, 4, 200)
    second = np.where(rng.random(200) < 0.6, first, rng.integers(0, 4, 200))
    confusion = np.zeros((4, 4))
    np.add.at(confusion, (first, second), 1.0)
    confusion /= confusion.sum()
    p_o = np.trace(confusion)
    p_e = confusion.sum(axis=1) @ confusion.sum(axis=0)
    expected = (p_o - p_e) / (1 - p_e)
    assert cohen_kappa(list(first), list(second)) == pytest.approx(expected, abs=1e-12)


def test_cohen_kappa_is_undefined_without_items_or_with_one_label():
    assert cohen_kappa([], []) is None
    assert cohen_kappa([1, 1], [1, 1]) is None  # chance agreement is total: 0/0
    assert cohen_kappa([1, 2], [2, 1]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="labels against"):
        cohen_kappa([1], [1, 2])


def test_rater_agreement_counts_only_shared_items():
    found = rater_agreement({"x": 1, "y": 2, "z": 3}, {"y": 2, "z": 4, "w": 1})
    assert (found.shared, found.rate) == (2, 0.5)
    assert found.kappa == pytest.approx(cohen_kappa([2, 3], [2, 4]))
    none = rater_agreement({"x": 1}, {"y": 1})
    assert (none.shared, none.rate, none.kappa) == (0, None, None)


def test_modal_label_is_the_single_mode_or_the_split_label():
    assert modal_label([2, 1, 2], split=3) == 2
    assert modal_label([2, 1, 2, 1], split=3) == 3
    assert modal_label([4], split=3) == 4
    with pytest.raises(ValueError, match="no labels"):
        modal_label([], split=3)
