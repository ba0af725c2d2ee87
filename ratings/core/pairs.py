"""Verdicts merged into pair counts, and the comparison graph they form.

Bradley–Terry needs only, per pair of competitors, the games played and the points each side
took; merging a million verdicts into a few tens of thousands of cells first is what makes the
fits and the bootstrap fast.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ratings.core.errors import DisconnectedComparisonsError
from ratings.core.types import Comparisons, FloatArray, IntArray, PairCounts

_DENSE_KEY_LIMIT = 1 << 24
_HALF_POINTS_TO_A = np.array([1, 2, 0, 1, 1], dtype=np.int8)  # by Outcome value


def aggregate(comparisons: Comparisons) -> PairCounts:
    """Merge verdicts into cells of identical (pair, points, weight).

    Parameters
    ----------
    comparisons : Comparisons
        The verdicts; self-comparisons (``a == b``) are ignored.

    Returns
    -------
    PairCounts
        Distinct pairs (``pair_i < pair_j``) and the cells that resample like the verdicts.

    Raises
    ------
    ValueError
        If a weight is negative or not finite.

    References
    ----------
    R. A. Bradley and M. E. Terry, "Rank analysis of incomplete block designs: I", Biometrika
    39 (1952), doi:10.2307/2334029.
    """
    c = comparisons
    if np.any(c.a == c.b):
        c = c.subset(c.a != c.b)
    if not np.all(np.isfinite(c.weight)) or np.any(c.weight < 0):
        raise ValueError("weights must be finite and non-negative")
    n = c.n_items
    lo, hi = np.minimum(c.a, c.b), np.maximum(c.a, c.b)
    # points to A in halves (A wins 2, tie 1, B wins 0), turned to points to the lower index
    halves = _HALF_POINTS_TO_A[c.outcome]
    points_code = np.where(c.a == lo, halves, 2 - halves).astype(np.int64)
    if c.n_comparisons and np.all(c.weight == c.weight[0]):
        weights, weight_code = c.weight[:1], np.zeros(c.n_comparisons, dtype=np.int64)
    else:
        weights, weight_code = np.unique(c.weight, return_inverse=True)
    key = ((lo.astype(np.int64) * n + hi) * 3 + points_code) * len(weights) + weight_code
    if n * n * 3 * len(weights) <= max(_DENSE_KEY_LIMIT, 4 * key.shape[0]):
        counts = np.bincount(key, minlength=0)
        cells = np.flatnonzero(counts)
        cell_count = counts[cells].astype(np.float64)
    else:
        cells, raw = np.unique(key, return_counts=True)
        cell_count = raw.astype(np.float64)
    weight_code, rest = cells % len(weights), cells // len(weights)
    points_code, pair_key = rest % 3, rest // 3
    pairs, cell_pair = np.unique(pair_key, return_inverse=True)
    return PairCounts(
        names=c.names,
        pair_i=(pairs // n).astype(np.intp),
        pair_j=(pairs % n).astype(np.intp),
        cell_pair=cell_pair.astype(np.intp),
        cell_count=cell_count,
        cell_weight=weights[weight_code].astype(np.float64),
        cell_points=points_code / 2.0,
    )


def components(
    n_items: int,
    pair_i: IntArray,
    pair_j: IntArray,
    *,
    strong: bool = False,
    points: tuple[FloatArray, FloatArray] | None = None,
) -> IntArray:
    """Label the connected parts of the comparison graph (strongly connected with ``strong``).

    For ``strong``, ``points`` gives (points of ``pair_i``, points of ``pair_j``) per pair and
    an edge i → j exists when i took any points from j.
    """
    if strong and points is not None:
        src = np.concatenate([pair_i[points[0] > 0], pair_j[points[1] > 0]])
        dst = np.concatenate([pair_j[points[0] > 0], pair_i[points[1] > 0]])
    else:
        src, dst = pair_i, pair_j
    graph = coo_matrix((np.ones(src.shape[0]), (src, dst)), shape=(n_items, n_items))
    _, labels = connected_components(graph, directed=strong, connection="strong")
    return labels.astype(np.intp)


def require_connected(names: tuple[str, ...], pair_i: IntArray, pair_j: IntArray) -> None:
    """Raise DisconnectedComparisonsError, naming the groups, when some competitors never met
    the others even indirectly: their ratings could not be put on one scale."""
    labels = components(len(names), pair_i, pair_j)
    if labels.max(initial=0) > 0:
        groups = [
            [names[m] for m in np.flatnonzero(labels == g)] for g in range(int(labels.max()) + 1)
        ]
        raise DisconnectedComparisonsError(sorted(groups, key=len, reverse=True))


def laplacian(n: int, i: IntArray, j: IntArray, h: FloatArray) -> FloatArray:
    """The weighted graph Laplacian of distinct pairs (i, j): the Bradley–Terry Hessian shape."""
    out = np.zeros((n, n))
    out[i, j] = -h
    out[j, i] = -h
    out[np.diag_indices(n)] = np.bincount(i, h, n) + np.bincount(j, h, n)
    return out
