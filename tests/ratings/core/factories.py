"""Small builders of :class:`Comparisons` and independent reference computations for tests."""

from __future__ import annotations

from collections.abc import Sequence

import choix
import numpy as np

from ratings.core import Comparisons, Outcome


def comparisons(
    a: Sequence[int],
    b: Sequence[int],
    outcome: Sequence[int],
    *,
    weight: Sequence[float] | None = None,
    n_items: int | None = None,
    names: Sequence[str] | None = None,
) -> Comparisons:
    """Comparisons from plain lists; names default to ``c0``, ``c1``, …"""
    n = n_items if n_items is not None else max([*a, *b], default=-1) + 1
    return Comparisons(
        names=tuple(names) if names is not None else tuple(f"c{k}" for k in range(n)),
        a=np.asarray(a, dtype=np.intp),
        b=np.asarray(b, dtype=np.intp),
        outcome=np.asarray(outcome, dtype=np.int8),
        weight=np.ones(len(a)) if weight is None else np.asarray(weight, dtype=np.float64),
    )


def random_comparisons(
    rng: np.random.Generator,
    n_items: int,
    n_votes: int,
    *,
    ties: float = 0.2,
    weights: bool = False,
) -> Comparisons:
    """Random Bradley–Terry votes whose graph is strongly connected (a ring both ways)."""
    strength = rng.normal(0.0, 1.0, n_items)
    ring = np.arange(n_items)
    a = np.concatenate([ring, (ring + 1) % n_items, rng.integers(0, n_items, n_votes)])
    b = np.concatenate(
        [(ring + 1) % n_items, ring, (a[-n_votes:] + rng.integers(1, n_items, n_votes)) % n_items]
    )
    wins = rng.random(a.shape[0]) < 1.0 / (1.0 + np.exp(strength[b] - strength[a]))
    outcome = np.where(wins, Outcome.A, Outcome.B)
    outcome[2 * n_items :][rng.random(n_votes) < ties] = Outcome.TIE
    outcome[:n_items], outcome[n_items : 2 * n_items] = Outcome.A, Outcome.A
    weight = rng.choice([1.0, 3.0], a.shape[0]) if weights else np.ones(a.shape[0])
    return comparisons(a, b, outcome, weight=weight, n_items=n_items)


def win_matrix(c: Comparisons) -> np.ndarray:
    """Dense matrix of points: ``W[i, j]`` = weighted points i took from j (a tie ½ each)."""
    n = c.n_items
    win = np.zeros((n, n))
    share = c.score_a() * c.weight
    np.add.at(win, (c.a, c.b), share)
    np.add.at(win, (c.b, c.a), c.weight - share)
    return win


def choix_scores(c: Comparisons) -> np.ndarray:
    """Centred maximum-likelihood scores from choix (ILSR on the dense matrix), converged."""
    params = choix.ilsr_pairwise_dense(win_matrix(c), max_iter=10_000, tol=1e-13)
    return params - params.mean()
