"""Comparison groups: the parts of a comparison graph that never met, and one gauge per part.

When some competitors only ever met each other (two models that answer only their own prompt),
the comparison graph falls into groups, and the Bradley–Terry likelihood says nothing about how
strong one group is against another: adding a constant to every score of one group leaves it
unchanged. The fits of this package then identify the scores with one gauge per group, each
group's mean score 0, which is the limit of a vanishing Gaussian prior (ridge ``l2 → 0``): the
average competitor of every group sits at the same rating. Within a group the scores are the
maximum-likelihood estimate, exactly as if the group had been fitted alone; between groups
nothing is claimed, and the results say which group each competitor is in.

The *main* group is the one a board is about: the group holding a given competitor (a board's
anchor), else the one with the most (weighted) games, then the most competitors. Reaching it
takes votes, which an owner who uploads models cannot make up alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ratings.core.types import FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class ComparisonGroups:
    """Each competitor's group: ``labels[k]`` is 0 for the main group, 1, 2, … for the others
    (by decreasing games, then size)."""

    names: tuple[str, ...]
    labels: IntArray

    @property
    def n_groups(self) -> int:
        """How many groups the comparisons form (1 when connected)."""
        return int(self.labels.max(initial=-1)) + 1

    @property
    def connected(self) -> bool:
        """Whether every competitor met every other, directly or through others."""
        return self.n_groups <= 1

    def members(self, group: int) -> IntArray:
        """The indices of the competitors of ``group``."""
        return np.flatnonzero(self.labels == group).astype(np.intp)

    def separate(self) -> list[list[str]]:
        """The names of each group other than the main one, in group order."""
        return [[self.names[k] for k in self.members(g)] for g in range(1, self.n_groups)]

    def projector(self) -> FloatArray:
        """The orthogonal projector onto the gauge directions: ``Σ_g 1_g 1_gᵀ / n_g``.

        Added to a Bradley–Terry Hessian (a weighted graph Laplacian, whose null space these
        directions span) it makes the matrix definite; ``(H + P)⁻¹ − P`` is then ``H⁺``, the
        covariance in the gauge where every group's mean is 0.
        """
        same = self.labels[:, None] == self.labels[None, :]
        size = np.bincount(self.labels)[self.labels]
        out: FloatArray = same / size[:, None].astype(np.float64)
        return out

    def centre(self, scores: FloatArray) -> FloatArray:
        """``scores`` with each group's mean removed."""
        s = np.asarray(scores, dtype=np.float64)
        means = np.bincount(self.labels, s) / np.bincount(self.labels)
        out: FloatArray = s - means[self.labels]
        return out

    def with_main(self, competitor: int) -> ComparisonGroups:
        """The same groups with ``competitor``'s group as the main one (the others keep order)."""
        main = int(self.labels[competitor])
        order = [main, *(g for g in range(self.n_groups) if g != main)]
        relabel = np.empty(self.n_groups, dtype=np.intp)
        relabel[order] = np.arange(self.n_groups)
        return ComparisonGroups(self.names, relabel[self.labels])


def comparison_groups(
    names: tuple[str, ...],
    pair_i: IntArray,
    pair_j: IntArray,
    games: FloatArray | None = None,
    *,
    main: int | None = None,
) -> ComparisonGroups:
    """The groups of competitors that met, directly or through others.

    Parameters
    ----------
    names : tuple of str
        The competitors.
    pair_i, pair_j : array of int
        The pairs that met (each at least once, with positive weight).
    games : array of float, optional
        Games per pair (weighted); 1 each by default. Orders the groups.
    main : int, optional
        A competitor whose group is the main one (label 0).

    Returns
    -------
    ComparisonGroups
        Labels with the main group 0: ``main``'s group, else the one with the most games,
        then the most competitors, then the one holding the first name.

    References
    ----------
    L. R. Ford, Jr., "Solution of a ranking problem from binary comparisons", Amer. Math.
    Monthly 64 (1957), doi:10.2307/2308513 (the scores are identified iff the graph is
    connected).
    """
    n = len(names)
    weight = np.ones(pair_i.shape[0]) if games is None else np.asarray(games, dtype=np.float64)
    graph = coo_matrix((np.ones(pair_i.shape[0]), (pair_i, pair_j)), shape=(n, n))
    n_raw, raw = connected_components(graph, directed=False)
    played = np.bincount(raw[pair_i], weight, n_raw) if n_raw else np.zeros(0)
    size = np.bincount(raw, minlength=n_raw)
    first = np.full(n_raw, n)
    np.minimum.at(first, raw, np.arange(n))
    order = sorted(range(n_raw), key=lambda g: (-played[g], -size[g], first[g]))
    relabel = np.empty(n_raw, dtype=np.intp)
    relabel[order] = np.arange(n_raw)
    groups = ComparisonGroups(names, relabel[raw].astype(np.intp))
    return groups if main is None else groups.with_main(main)
