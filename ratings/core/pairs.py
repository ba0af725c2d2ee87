"""Verdicts merged into pair counts, and the comparison graph they form.

Bradley–Terry needs only, per pair of competitors, the games played and the points each side
took; merging a million verdicts into a few tens of thousands of cells first is what makes the
fits and the bootstrap fast.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ratings.core.errors import DisconnectedComparisonsError
from ratings.core.types import Comparisons, FloatArray, IntArray, PairCounts

_DENSE_KEY_LIMIT = 1 << 24
_INT64_KEYS = float(1 << 62)
_HALF_POINTS_TO_A = np.array([1, 2, 0, 1, 1], dtype=np.int8)  # by Outcome value


def aggregate(comparisons: Comparisons) -> PairCounts:
    """Merge verdicts into cells of identical (pair, points, weight).

    A row of counted comparisons (``Comparisons.count``) adds its count of verdicts to its
    cell, so rows merged by a ``GROUP BY`` give the cells their votes give one by one.
    A verdict's points are those of :meth:`Comparisons.score_a`: a soft label ``p_b`` gives A
    ``1 − p_b`` (fractional points), so Bradley–Terry on the cells is the maximum-likelihood fit
    with fractional wins.

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
    points, n_points, points_code = _points_to_lower(c, lo)
    if c.n_comparisons and np.all(c.weight == c.weight[0]):
        weights, weight_code = c.weight[:1], np.zeros(c.n_comparisons, dtype=np.int64)
    else:
        weights, weight_code = np.unique(c.weight, return_inverse=True)
    pair_key, points_code, weight_code, cell_count = _cells(
        (lo.astype(np.int64) * n + hi, n * n),
        (points_code, n_points),
        (weight_code, len(weights)),
        count=c.count,
    )
    pairs, cell_pair = np.unique(pair_key, return_inverse=True)
    return PairCounts(
        names=c.names,
        pair_i=(pairs // n).astype(np.intp),
        pair_j=(pairs % n).astype(np.intp),
        cell_pair=cell_pair.astype(np.intp),
        cell_count=cell_count,
        cell_weight=weights[weight_code].astype(np.float64),
        cell_points=points[points_code],
    )


def _cells(
    *codes: tuple[NDArray[np.int64], int],
    count: FloatArray | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], FloatArray]:
    """The distinct (pair, points, weight) code triples and how many verdicts hold each.

    Each argument is a column of codes and its number of values; ``count`` is each row's
    number of verdicts (one each if None). One integer key over the three is counted by
    ``bincount`` when dense enough, by ``unique`` otherwise; when the key would overflow 64
    bits (many distinct soft labels and weights) the rows are merged as rows. A cell whose
    rows count no verdict is dropped, as a cell without rows is.
    """
    (pair, n_pairs), (points, n_points), (weight, n_weights) = codes
    n_keys = float(n_pairs) * n_points * n_weights
    if n_keys >= _INT64_KEYS:
        rows, inverse = np.unique(np.stack([pair, points, weight]).T, axis=0, return_inverse=True)
        summed = np.bincount(inverse.reshape(-1), count, len(rows)).astype(np.float64)
        held = summed > 0
        return rows[held, 0], rows[held, 1], rows[held, 2], summed[held]
    key = (pair * n_points + points) * n_weights + weight
    if n_keys <= max(_DENSE_KEY_LIMIT, 4 * key.shape[0]):
        counts = np.bincount(key, count, minlength=0)
        cells = np.flatnonzero(counts)
        cell_count = counts[cells].astype(np.float64)
    else:
        cells, inverse = np.unique(key, return_inverse=True)
        cell_count = np.bincount(inverse, count, len(cells)).astype(np.float64)
        held = cell_count > 0
        cells, cell_count = cells[held], cell_count[held]
    rest = cells // n_weights
    return rest // n_points, rest % n_points, cells % n_weights, cell_count


def _points_to_lower(c: Comparisons, lo: IntArray) -> tuple[FloatArray, int, IntArray]:
    """The distinct points to the lower-indexed competitor, their number and each row's code.

    Hard verdicts give 0, ½ or 1; a soft label gives its own fraction (``1 − p_b`` to A), so
    that a cell merges only verdicts worth the same points.
    """
    if not c.has_soft_labels:
        halves = _HALF_POINTS_TO_A[c.outcome]
        code = np.where(c.a == lo, halves, 2 - halves).astype(np.int64)
        return np.array([0.0, 0.5, 1.0]), 3, code
    to_a = c.score_a()
    values, code = np.unique(np.where(c.a == lo, to_a, 1.0 - to_a), return_inverse=True)
    return values.astype(np.float64), len(values), code.astype(np.int64)


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
