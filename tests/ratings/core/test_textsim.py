"""Answer dissimilarity: word 3-gram Jaccard, the one definition served, stored and replayed."""

from __future__ import annotations

import pytest

from ratings.core.textsim import (
    mean_pairwise_similarity,
    shingles,
    text_dissimilarity,
    text_similarity,
)


def test_shingles_are_lower_cased_word_trigrams_or_the_words_of_a_short_text():
    assert shingles("The cat sat on") == {("the", "cat", "sat"), ("cat", "sat", "on")}
    assert shingles("Two words!") == {("two", "words")}
    assert shingles("  ") == set()


def test_similarity_is_jaccard_of_trigram_sets():
    # {abc, bcd} against {abc, bce}: one shared of three.
    assert text_similarity("a b c d", "A b c e") == pytest.approx(1 / 3)
    assert text_similarity("The cat sat", "the CAT sat!") == 1.0
    assert text_similarity("", "") == 1.0
    assert text_similarity("x", "y") == 0.0


def test_dissimilarity_is_one_minus_similarity_and_word_order_counts():
    assert text_dissimilarity("a b c d", "a b c e") == pytest.approx(1 - 1 / 3)
    assert text_dissimilarity("", "") == 0.0
    # The same words in another order share no 3-gram (word sets would call them identical).
    assert text_dissimilarity("a b c", "c b a") == 1.0


def test_mean_pairwise_similarity():
    assert mean_pairwise_similarity(["a b c", "a b c", "x y z"]) == pytest.approx(1 / 3)
    assert mean_pairwise_similarity(["only one"]) is None
