"""Prompt prioritisation: the rule by hand, the random share, and the text distance."""

from __future__ import annotations

import numpy as np
import pytest

from ratings.core.pairing.prompts import prompt_probabilities


def test_the_most_different_prompt_with_fewest_ties_gets_the_focused_share():
    p = prompt_probabilities(
        np.array([0.9, 0.9, 0.2]),
        np.array([8.0, 1.0, 0.0]),
        np.array([10.0, 10.0, 10.0]),
        random_share=0.2,
    )
    # scores: 0.9·(1 − 9/13), 0.9·(1 − 2/13), 0.2·(1 − 1/13): the second wins.
    np.testing.assert_allclose(p, [0.2 / 3, 0.8 + 0.2 / 3, 0.2 / 3])


def test_equal_prompts_share_alike_and_a_random_share_of_one_is_uniform():
    d, t, v = np.array([0.5, 0.5]), np.zeros(2), np.zeros(2)
    np.testing.assert_allclose(prompt_probabilities(d, t, v), [0.5, 0.5])
    d = np.array([0.1, 0.7, 0.3])
    p = prompt_probabilities(d, np.zeros(3), np.zeros(3), random_share=1.0)
    np.testing.assert_allclose(p, 1 / 3)


def test_bad_candidates_are_refused():
    with pytest.raises(ValueError, match="candidate"):
        prompt_probabilities(np.array([]), np.array([]), np.array([]))
    with pytest.raises(ValueError, match="random_share"):
        prompt_probabilities(np.ones(2), np.zeros(2), np.zeros(2), random_share=1.5)
