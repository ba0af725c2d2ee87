"""Agreement between raters on shared battles: raw agreement rate and Cohen's kappa (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Agreement:
    """How two raters agree on the battles both judged."""

    shared: int
    rate: float | None
    kappa: float | None


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two raters' labels, (p_o − p_e) / (1 − p_e); None if undefined.

    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement 20(1), 37–46. doi:10.1177/001316446002000104
    """
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in first) / (n * n)
    if expected == 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def agreement(first: Mapping[Hashable, Hashable], second: Mapping[Hashable, Hashable]) -> Agreement:
    """Agreement of two raters' labels (item → label) over the items both labelled."""
    shared = sorted(first.keys() & second.keys(), key=repr)
    pairs = [(first[k], second[k]) for k in shared]
    rate = sum(a == b for a, b in pairs) / len(pairs) if pairs else None
    return Agreement(shared=len(pairs), rate=rate, kappa=cohen_kappa(pairs))


def majority(labels: Sequence[int]) -> int:
    """The most frequent label; the smallest among equally frequent ones, for determinism."""
    counts = Counter(labels)
    return min(counts, key=lambda label: (-counts[label], label))
