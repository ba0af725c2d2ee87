"""Agreement between two raters on the items both rated: raw agreement and Cohen's kappa.

The one definition the arena's judge pages, its judge API, the leaderboards' judge report and
``python -m ratings judges`` all publish. A rater's label on an item is its modal verdict there
(:func:`modal_label`); kappa is the standard Cohen's kappa over the labels as given, with each
rater's own label frequencies (:func:`cohen_kappa`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
L = TypeVar("L", bound=Hashable)


@dataclass(frozen=True, slots=True)
class RaterAgreement:
    """Two raters on the items both rated: how many, the raw agreement rate, Cohen's kappa.

    ``rate`` and ``kappa`` are None without a shared item; ``kappa`` also when undefined.
    """

    shared: int
    rate: float | None
    kappa: float | None


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items.

    ``κ = (p_o − p_e) / (1 − p_e)``: ``p_o`` is the share of items both raters labelled alike,
    ``p_e = Σ_k f₁(k) f₂(k)`` the agreement expected by chance when each rater draws labels
    independently with its own observed frequencies ``f₁``, ``f₂``. Labels are nominal: any
    hashable values, compared for equality.

    Parameters
    ----------
    first, second : sequence of hashable
        The two raters' labels, item by item (same length).

    Returns
    -------
    float or None
        Kappa, in [-1, 1]; None without items, or when ``p_e`` is 1 (both raters always gave
        the one same label), where kappa is 0/0.

    Raises
    ------
    ValueError
        When the two sequences differ in length.

    References
    ----------
    J. Cohen, "A coefficient of agreement for nominal scales", Educational and Psychological
    Measurement 20(1) (1960), 37–46, doi:10.1177/001316446002000104.
    """
    n = len(first)
    if len(second) != n:
        raise ValueError(f"{n} labels against {len(second)}")
    if n == 0:
        return None
    agree = sum(x == y for x, y in zip(first, second, strict=True))
    counts_first, counts_second = Counter(first), Counter(second)
    # Integer counts, so "p_e is 1" is an exact test, not a tolerance.
    chance = sum(c * counts_second[k] for k, c in counts_first.items())
    if chance == n * n:
        return None
    p_o, p_e = agree / n, chance / (n * n)
    return (p_o - p_e) / (1.0 - p_e)


def rater_agreement(first: Mapping[K, L], second: Mapping[K, L]) -> RaterAgreement:
    """Raw agreement and :func:`cohen_kappa` of two raters (item → label) over shared items.

    Parameters
    ----------
    first, second : mapping
        Each rater's label per item; only items in both count.

    Returns
    -------
    RaterAgreement
        The number of shared items, the share of them labelled alike, and kappa.
    """
    shared = [k for k in first if k in second]
    if not shared:
        return RaterAgreement(0, None, None)
    x = [first[k] for k in shared]
    y = [second[k] for k in shared]
    rate = sum(p == q for p, q in zip(x, y, strict=True)) / len(shared)
    return RaterAgreement(len(shared), rate, cohen_kappa(x, y))


def modal_label(labels: Iterable[L], *, split: L) -> L:
    """The most frequent label; ``split`` when two or more labels are equally most frequent.

    For verdicts on a battle, ``split`` is the tie: a rater who said "A" once and "B" once has,
    on balance, called it even.

    Parameters
    ----------
    labels : iterable of hashable
        One rater's labels on one item (at least one).
    split : hashable
        The label of an item whose labels have no single mode.

    Returns
    -------
    hashable
        The single mode, or ``split``.
    """
    counts = Counter(labels).most_common(2)
    if not counts:
        raise ValueError("no labels")
    if len(counts) == 2 and counts[0][1] == counts[1][1]:  # noqa: PLR2004 - the top two
        return split
    return counts[0][0]


__all__ = ["RaterAgreement", "cohen_kappa", "modal_label", "rater_agreement"]
