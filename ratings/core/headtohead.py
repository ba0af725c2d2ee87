"""Two competitors side by side: head-to-head counts with intervals, splits, length effects.

Outcomes here are seen from the first competitor of the comparison (``X``): ``Outcome.A`` means
X won, whatever side of the screen X was on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

from ratings.core.types import FloatArray, Outcome


@dataclass(frozen=True, slots=True)
class HeadToHead:
    """Wins, losses, ties and both-bad of X against Y, and X's share of the decisive verdicts.

    ``low``/``high`` is the Wilson interval of that share; all three are None without a decisive
    verdict.
    """

    n: int
    wins: int
    losses: int
    ties: int
    both_bad: int
    win_share: float | None
    low: float | None
    high: float | None


K = TypeVar("K", bound=Hashable)


def wilson_interval(successes: int, n: int, *, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion, sensible also near 0 and 1 and for small n.

    References
    ----------
    E. B. Wilson, "Probable inference, the law of succession, and statistical inference", JASA 22
    (1927), doi:10.1080/01621459.1927.10502953.
    """
    if n <= 0:
        raise ValueError("need n > 0")
    z = float(norm.ppf(0.5 + level / 2.0))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def head_to_head(outcome: NDArray[np.int8], *, level: float = 0.95) -> HeadToHead:
    """Counts and the decisive win share of X, from outcomes seen from X."""
    counts = Counter(int(o) for o in outcome)
    wins, losses = counts[Outcome.A], counts[Outcome.B]
    share = low = high = None
    if wins + losses:
        share = wins / (wins + losses)
        low, high = wilson_interval(wins, wins + losses, level=level)
    return HeadToHead(
        n=int(outcome.size),
        wins=wins,
        losses=losses,
        ties=counts[Outcome.TIE],
        both_bad=counts[Outcome.BOTH_BAD],
        win_share=share,
        low=low,
        high=high,
    )


def head_to_head_by(
    groups: Sequence[str], outcome: NDArray[np.int8], *, level: float = 0.95
) -> dict[str, HeadToHead]:
    """:func:`head_to_head` for each group (a category, a judge), groups in sorted order."""
    labels = np.asarray(groups, dtype=object)
    return {g: head_to_head(outcome[labels == g], level=level) for g in sorted(set(groups))}


def majority(outcomes: Sequence[int]) -> int | None:
    """The most frequent outcome, None when the top is shared (no majority to compare)."""
    top = Counter(outcomes).most_common()
    if not top or (len(top) > 1 and top[0][1] == top[1][1]):
        return None
    return int(top[0][0])


def crowd_judge_disagreements(
    keys: Sequence[K], is_crowd: Sequence[bool], outcome: Sequence[int]
) -> list[tuple[K, int, int]]:
    """Keys (a prompt) where the crowd's majority verdict differs from the judges' majority.

    Returns ``(key, crowd verdict, judges' verdict)`` for each, in the order keys first appear.
    """
    crowd: dict[K, list[int]] = defaultdict(list)
    judges: dict[K, list[int]] = defaultdict(list)
    for key, from_crowd, o in zip(keys, is_crowd, outcome, strict=True):
        (crowd if from_crowd else judges)[key].append(int(o))
    out = []
    for key in dict.fromkeys(keys):
        x, y = majority(crowd.get(key, [])), majority(judges.get(key, []))
        if x is not None and y is not None and x != y:
            out.append((key, x, y))
    return out


def outcome_by_length_difference(
    length_difference: FloatArray, outcome: NDArray[np.int8], *, n_bins: int = 8
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """X's mean score (win 1, tie or both-bad ½, loss 0) in quantile bins of ``len_X − len_Y``.

    Returns bin centres (the mean difference in each bin), mean scores and counts.
    """
    if outcome.size == 0:
        empty = np.zeros(0)
        return empty, empty, np.zeros(0, dtype=np.int64)
    score = np.where(outcome == Outcome.A, 1.0, np.where(outcome == Outcome.B, 0.0, 0.5))
    edges = np.unique(np.quantile(length_difference, np.linspace(0, 1, n_bins + 1)))
    which = np.clip(
        np.searchsorted(edges, length_difference, side="right") - 1, 0, max(edges.size - 2, 0)
    )
    counts = np.bincount(which, minlength=max(edges.size - 1, 1))
    keep = counts > 0
    centres = np.bincount(which, length_difference, counts.size)[keep] / counts[keep]
    means = np.bincount(which, score, counts.size)[keep] / counts[keep]
    return centres, means, counts[keep].astype(np.int64)
