"""What a pairing design is worth: the votes uniform pairing would need for the same precision.

The Bradley–Terry Fisher information of a design is the weighted Laplacian
``L = sum_ij n_ij p_ij (1 - p_ij) (e_i - e_j)(e_i - e_j)^T``; the variance of a difference
``s_i - s_j`` is the effective resistance between i and j in that network, ``(e_i - e_j)^T L^+
(e_i - e_j)``. A ranking is only as sure as its neighbours' order, so the design is judged by
the mean variance between competitors adjacent in the current order. Variances scale as 1/N
with the number of votes of a fixed design, so uniform pairing needs ``N * v_uniform / v_design``
votes to match a design of N votes.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ratings.core.types import FloatArray


def information_matrix(scores: FloatArray, pair_votes: FloatArray) -> FloatArray:
    """The Fisher information (a weighted graph Laplacian) of ``pair_votes`` at ``scores``."""
    p = expit(scores[:, None] - scores[None, :])
    weights = pair_votes * p * (1.0 - p)
    np.fill_diagonal(weights, 0.0)
    laplacian: FloatArray = np.diag(weights.sum(axis=1)) - weights
    return laplacian


def adjacent_variance(scores: FloatArray, pair_votes: FloatArray) -> float:
    """Mean variance of ``s_i - s_j`` over neighbours in the order of ``scores``; inf when a
    neighbour is not connected to the others by votes."""
    n = scores.size
    laplacian = information_matrix(scores, pair_votes)
    # Connected iff the Laplacian has exactly one zero eigenvalue.
    eigenvalues = np.linalg.eigvalsh(laplacian)
    if n < 2 or eigenvalues[1] <= 1e-12 * max(eigenvalues[-1], 1e-300):  # noqa: PLR2004
        return float("inf")
    inverse = np.linalg.pinv(laplacian, hermitian=True)
    order = np.argsort(-scores, kind="stable")
    i, j = order[:-1], order[1:]
    return float(np.mean(inverse[i, i] + inverse[j, j] - 2.0 * inverse[i, j]))


def uniform_equivalent_votes(scores: FloatArray, pair_votes: FloatArray) -> float | None:
    """The votes uniform pairing would need to order neighbours as surely as ``pair_votes``
    does; None before every competitor is connected by votes."""
    n = scores.size
    total = float(np.triu(pair_votes, k=1).sum())
    if n < 2 or total <= 0:  # noqa: PLR2004
        return None
    actual = adjacent_variance(scores, pair_votes)
    if not np.isfinite(actual):
        return None
    uniform = np.full((n, n), total / (n * (n - 1) / 2))
    return total * adjacent_variance(scores, uniform) / actual
