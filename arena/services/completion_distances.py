"""How much two answers to one prompt differ, stored once per pair of answers.

Prompt prioritisation reads these when it picks a prompt for a pair. The model owners' upload
fills them for the prompts it touched; the battle service computes any still missing the
first time it needs them, so every write path is covered.
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import combinations

from arena import selectors
from arena.models import CompletionDistance
from ratings.core.textsim import jaccard, shingles


def completion_distances_ensure(
    pairs: Collection[tuple[int, int]],
) -> dict[tuple[int, int], float]:
    """The dissimilarity of each pair of answers (smaller id first), computing and storing the
    ones not stored yet."""
    known = selectors.completion_distances(pairs)
    missing = [pair for pair in pairs if pair not in known]
    if missing:
        known.update(_store(missing))
    return known


def completion_distances_fill(*, prompt_ids: Collection[int]) -> int:
    """Store the dissimilarity of every pair of answers to these prompts; how many were new."""
    by_prompt = selectors.completion_ids_by_prompt(prompt_ids)
    pairs = [pair for ids in by_prompt.values() for pair in combinations(sorted(ids), 2)]
    known = selectors.completion_distances(pairs)
    return len(_store([pair for pair in pairs if pair not in known]))


def _store(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], float]:
    texts = selectors.completion_texts({c for pair in pairs for c in pair})
    # ratings.core.textsim.text_dissimilarity, with each answer's shingles made once.
    sets = {pk: shingles(text) for pk, text in texts.items()}
    found = {(a, b): 1.0 - jaccard(sets[a], sets[b]) for a, b in pairs if a in sets and b in sets}
    CompletionDistance.objects.bulk_create(
        [
            CompletionDistance(first_id=a, second_id=b, dissimilarity=d)
            for (a, b), d in found.items()
        ],
        ignore_conflicts=True,  # another request stored it meanwhile: the same value
        batch_size=5000,
    )
    return found
