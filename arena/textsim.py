"""Text similarity by word 3-gram overlap: cheap, language-neutral, and enough to tell a text that
changes with its prompt from one that does not."""

from __future__ import annotations

import itertools
import re

_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, k: int = 3) -> set[tuple[str, ...]]:
    """The word k-grams of a text (lower case), or its words when it has fewer than k."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < k:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    """Jaccard similarity of two shingle sets; 1 for two empty ones."""
    return len(a & b) / len(a | b) if a or b else 1.0


def text_similarity(x: str, y: str) -> float:
    """Jaccard similarity of word 3-gram sets: 1 for the same text, near 0 for unrelated ones."""
    return jaccard(shingles(x), shingles(y))


def mean_pairwise_similarity(texts: list[str]) -> float | None:
    """Mean :func:`text_similarity` over all pairs of texts; None for fewer than two."""
    sets = [shingles(t) for t in texts]
    pairs = list(itertools.combinations(sets, 2))
    if not pairs:
        return None
    return sum(jaccard(a, b) for a, b in pairs) / len(pairs)
