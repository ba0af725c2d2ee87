"""How much two texts differ, by word 3-gram overlap: the one definition the arena serves and
stores (prompt prioritisation's completion distances), the comparator shows and the replay
study uses.

Cheap, language-neutral, and enough to tell a text that changes with its prompt from one that
does not.
"""

from __future__ import annotations

import itertools
import re

_WORD = re.compile(r"\w+", re.UNICODE)
Shingles = set[tuple[str, ...]]


def shingles(text: str, k: int = 3) -> Shingles:
    """The word k-grams of a text (lower case), or its words when it has fewer than k."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < k:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: Shingles, b: Shingles) -> float:
    """Jaccard similarity of two shingle sets; 1 for two empty ones."""
    return len(a & b) / len(a | b) if a or b else 1.0


def text_similarity(x: str, y: str) -> float:
    """Jaccard similarity of the two texts' sets of lower-cased word 3-grams.

    A text of fewer than three words counts as one shingle, its whole word sequence.

    Parameters
    ----------
    x, y : str
        The two texts.

    Returns
    -------
    float
        In [0, 1]: 1 for the same text (or two without words), near 0 for unrelated ones.

    References
    ----------
    A. Z. Broder, "On the resemblance and containment of documents", Compression and Complexity
    of Sequences (1997), doi:10.1109/SEQUEN.1997.666900 (w-shingling);
    P. Jaccard, "Étude comparative de la distribution florale", Bull. Soc. Vaud. Sci. Nat. 37
    (1901), doi:10.5169/seals-266450.
    """
    return jaccard(shingles(x), shingles(y))


def text_dissimilarity(x: str, y: str) -> float:
    """One minus :func:`text_similarity`: 0 for the same text, 1 for no 3-gram in common.

    The arena stores this per pair of answers (``CompletionDistance.dissimilarity``) and prompt
    prioritisation (:func:`ratings.core.pairing.prompts.prompt_probabilities`) reads it.

    Parameters
    ----------
    x, y : str
        The two completions.

    Returns
    -------
    float
        The distance, in [0, 1].
    """
    return 1.0 - text_similarity(x, y)


def mean_pairwise_similarity(texts: list[str]) -> float | None:
    """Mean :func:`text_similarity` over all pairs of texts; None for fewer than two."""
    sets = [shingles(t) for t in texts]
    pairs = list(itertools.combinations(sets, 2))
    if not pairs:
        return None
    return sum(jaccard(a, b) for a, b in pairs) / len(pairs)


__all__ = [
    "jaccard",
    "mean_pairwise_similarity",
    "shingles",
    "text_dissimilarity",
    "text_similarity",
]
