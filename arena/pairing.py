"""The hook through which the ratings app gives the battle service its adaptive pairing.

``arena`` does not import ``ratings`` (a layering rule checked by import-linter), yet the
adaptive policies read the newest rating of the arena. So ``ratings`` registers a provider
when it loads (``RatingsConfig.ready``), and the battle service asks it for the probability of
every pair, and for prompt prioritisation the probability of each prompt. Without a provider
(``ratings`` not installed) every arena pairs by fewest votes and picks prompts at random.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from arena.models import Arena

#: ``(arena, policy, competitor ids (sorted), votes per (smaller id, larger id)) -> a symmetric
#: matrix of each pair's probability over those ids``; the pairs' probabilities sum to 1.
PairProbabilities = Callable[[Arena, str, Sequence[int], Mapping[tuple[int, int], int]], np.ndarray]

#: ``(dissimilarity, undecided verdicts, votes), one value per candidate prompt -> probability
#: of each prompt``.
PromptProbabilities = Callable[[Sequence[float], Sequence[float], Sequence[float]], list[float]]

_providers: list[PairProbabilities] = []
_prompt_providers: list[PromptProbabilities] = []


def provider_register(provider: PairProbabilities) -> None:
    """Make ``provider`` the source of adaptive pair probabilities (replacing any earlier one)."""
    _providers[:] = [provider]


def pair_probabilities(
    arena: Arena,
    policy: str,
    competitors: Sequence[int],
    counts: Mapping[tuple[int, int], int],
) -> np.ndarray | None:
    """Each pair's probability under ``policy`` as a matrix over ``competitors``; None when no
    provider is registered."""
    if not _providers:
        return None
    return _providers[0](arena, policy, competitors, counts)


def prompt_provider_register(provider: PromptProbabilities) -> None:
    """Make ``provider`` the source of prompt probabilities (replacing any earlier one)."""
    _prompt_providers[:] = [provider]


def prompt_probabilities(
    dissimilarity: Sequence[float], undecided: Sequence[float], votes: Sequence[float]
) -> list[float] | None:
    """Each candidate prompt's probability for a pair; None when no provider is registered."""
    if not _prompt_providers:
        return None
    return _prompt_providers[0](dissimilarity, undecided, votes)
