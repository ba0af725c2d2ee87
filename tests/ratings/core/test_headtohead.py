"""Head-to-head counts, the Wilson interval, splits, disagreements, text similarity, length bins."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from ratings.core.headtohead import (
    crowd_judge_disagreements,
    head_to_head,
    head_to_head_by,
    outcome_by_length_difference,
    wilson_interval,
)
from ratings.core.types import Outcome

A, B, T, X = Outcome.A, Outcome.B, Outcome.TIE, Outcome.BOTH_BAD


def test_wilson_interval_closed_form_at_zero_and_scipy_elsewhere():
    low, high = wilson_interval(0, 10)
    z2 = 1.959963984540054**2
    assert low == 0.0
    assert high == pytest.approx(z2 / (10 + z2))  # the closed form when no success
    for k, n in ((3, 10), (47, 120), (99, 100)):
        expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson_interval(k, n) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_counts_share_and_interval_from_the_first_competitors_side():
    found = head_to_head(np.array([A, A, A, B, T, X, X], dtype=np.int8))
    assert (found.n, found.wins, found.losses, found.ties, found.both_bad) == (7, 3, 1, 1, 2)
    assert found.win_share == pytest.approx(0.75)
    assert (found.low, found.high) == pytest.approx(wilson_interval(3, 4))
    assert head_to_head(np.array([T], dtype=np.int8)).win_share is None


def test_split_by_group():
    found = head_to_head_by(["x", "y", "x"], np.array([A, B, B], dtype=np.int8))
    assert list(found) == ["x", "y"]
    assert (found["x"].wins, found["x"].losses, found["y"].losses) == (1, 1, 1)


def test_disagreements_need_a_majority_on_both_sides():
    keys = [1, 1, 1, 2, 2, 3, 3, 3]
    crowd = [True, True, False, True, False, True, True, False]
    outcome = [A, A, B, A, A, A, B, B]  # 1: crowd A, judges B; 2: agree; 3: crowd split
    assert crowd_judge_disagreements(keys, crowd, outcome) == [(1, int(A), int(B))]


def test_length_bins_hold_the_mean_score_of_their_votes():
    diff = np.array([-300.0, -200.0, -100.0, 100.0, 200.0, 300.0])
    outcome = np.array([B, B, T, A, A, X], dtype=np.int8)
    centres, means, counts = outcome_by_length_difference(diff, outcome, n_bins=2)
    assert counts.tolist() == [3, 3]
    assert centres == pytest.approx([-200.0, 200.0])
    assert means == pytest.approx([0.5 / 3, 2.5 / 3])
