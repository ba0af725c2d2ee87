"""Affinity kernels, affinity entropy and the max-affinity-entropy reference marginals.

Two actions are affine when their payoff vectors (over the pure profiles of the other players)
nearly coincide. The affinity entropy of a mixed strategy depends only on the mass it puts on
each group of affine actions, so its maximiser, the reference ``tau``, is uniform over copy
groups and split evenly inside a group: adding copies of an action does not change how much
mass the group gets. ``tau`` is the channel-capacity-achieving input of the channel
``Q = K diag(1 / colsum K)``, found by the Blahut–Arimoto iteration.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components
from scipy.special import xlogy

from ratings.core.types import FloatArray, IntArray

#: Kernel variance: exact and near-exact copies get affinity 1, everything else about 0.
DEFAULT_SIGMA2 = 1e-6
_CHUNK = 1 << 21  # elements of the payoff tensor handled per block
#: Threads for blocked passes over the payoff tensor (numpy's and BLAS's loops release the GIL).
WORKERS = max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True, slots=True)
class ReferenceMarginals:
    """The max-affinity-entropy marginals of one player.

    Attributes
    ----------
    marginals : ndarray, shape (n_actions,)
        ``tau``, positive and summing to 1.
    groups : ndarray of int, shape (n_actions,)
        Copy-group label of each action (connected components of ``K > 1/2``).
    capacity_gap : float
        ``max_j KL(Q_j || Q tau) - sum_j tau_j KL(Q_j || Q tau)`` at the end; 0 at the optimum.
    n_iter : int
        Blahut–Arimoto iterations used.
    converged : bool
        Whether the capacity gap fell below the tolerance.
    """

    marginals: FloatArray
    groups: IntArray
    capacity_gap: float
    n_iter: int
    converged: bool


def affinity_kernel(sq_dist: FloatArray, sigma2: float = DEFAULT_SIGMA2) -> FloatArray:
    """``K = exp(-d^2 / (2 sigma^2))`` from a matrix of mean squared payoff differences.

    Parameters
    ----------
    sq_dist : ndarray, shape (n, n)
        Mean squared differences of payoff vectors, ``>= 0``.
    sigma2 : float, default 1e-6
        Kernel variance.

    Returns
    -------
    ndarray, shape (n, n)
        Symmetric, with ones on the diagonal.

    Raises
    ------
    ValueError
        If ``sigma2`` is not positive.

    References
    ----------
    Liu et al., "Re-evaluating Open-ended Evaluation of Large Language Models", ICLR 2025,
    arXiv:2502.20170.
    """
    if not sigma2 > 0:
        raise ValueError(f"sigma2 must be positive, got {sigma2}")
    d2 = np.maximum(sq_dist, 0.0)
    d2 = (d2 + d2.T) / 2.0
    np.fill_diagonal(d2, 0.0)
    return np.asarray(np.exp(-d2 / (2.0 * sigma2)), dtype=np.float64)


def _gram_to_sq_dist(gram: FloatArray, n_coords: int) -> FloatArray:
    diag = np.diag(gram)
    return np.maximum(diag[:, None] + diag[None, :] - 2.0 * gram, 0.0) / n_coords


def prompt_sq_distances(payoff: NDArray[np.floating]) -> FloatArray:
    """Mean squared difference of the payoff vectors ``A[p]`` of every pair of prompts.

    ``A[p]`` is antisymmetric, so the squared differences above the diagonal equal those below
    it: the Gram matrix is built from the strict upper triangles only (half the work), on up to
    two threads.

    Parameters
    ----------
    payoff : ndarray, shape (n_prompts, n_items, n_items)
        The payoff tensor ``A``, antisymmetric in its last two axes.

    Returns
    -------
    ndarray, shape (n_prompts, n_prompts)
        ``mean_{k, r} (A[p, k, r] - A[q, k, r])^2``, computed in float64.

    References
    ----------
    Liu et al., ICLR 2025, arXiv:2502.20170.
    """
    n_p, m, _ = payoff.shape
    flat = payoff.reshape(n_p, m * m)
    rows, cols = np.triu_indices(m, 1)
    upper = rows * m + cols
    step = max(1, _CHUNK // max(1, n_p))
    chunks = [upper[start : start + step] for start in range(0, upper.size, step)]

    def gram_of(share: list[IntArray]) -> FloatArray:
        gram = np.zeros((n_p, n_p))
        for idx in share:
            block = np.asarray(flat[:, idx], dtype=np.float64)
            gram += block @ block.T
        return gram

    shares = [chunks[i::WORKERS] for i in range(min(WORKERS, len(chunks)))]
    upper_gram = np.zeros((n_p, n_p))
    with ThreadPoolExecutor(max_workers=max(1, len(shares))) as pool:
        for part in pool.map(gram_of, shares):
            upper_gram += part
    diagonal = np.asarray(flat[:, :: m + 1], dtype=np.float64)  # zero for an antisymmetric A
    gram = 2.0 * upper_gram + diagonal @ diagonal.T
    return _gram_to_sq_dist(np.asarray(gram, dtype=np.float64), m * m)


def model_sq_distances(payoff: NDArray[np.floating]) -> FloatArray:
    """Mean squared difference of the payoff vectors ``A[:, k, :]`` of every pair of models.

    Parameters
    ----------
    payoff : ndarray, shape (n_prompts, n_items, n_items)
        The payoff tensor ``A``.

    Returns
    -------
    ndarray, shape (n_items, n_items)
        ``mean_{p, r} (A[p, k, r] - A[p, l, r])^2``, computed in float64.

    References
    ----------
    Liu et al., ICLR 2025, arXiv:2502.20170.
    """
    n_p, m, _ = payoff.shape
    gram = np.zeros((m, m))
    step = max(1, _CHUNK // (m * m))
    for start in range(0, n_p, step):
        block = np.asarray(payoff[start : start + step], dtype=np.float64)
        gram += np.einsum("pkr,plr->kl", block, block, optimize=True)
    return _gram_to_sq_dist(gram, n_p * m)


def affinity_entropy(x: FloatArray, kernel: FloatArray) -> float:
    """Affinity entropy ``H_K(x) = H(Q x) - sum_j x_j H(Q[:, j])``, ``Q = K diag(1/colsum K)``.

    With the identity kernel this is the Shannon entropy; with exact copies it depends only on
    the total mass of each copy group. It is concave in ``x``.

    Parameters
    ----------
    x : ndarray, shape (n,)
        A probability vector.
    kernel : ndarray, shape (n, n)
        A symmetric affinity kernel with entries in ``[0, 1]`` and a unit diagonal.

    Returns
    -------
    float
        The affinity entropy in nats.

    References
    ----------
    Liu et al., ICLR 2025, arXiv:2502.20170.
    """
    q = _channel(kernel)
    y = q @ x
    column_entropy = -np.sum(xlogy(q, q), axis=0)
    return float(-np.sum(xlogy(y, y)) - x @ column_entropy)


def _channel(kernel: FloatArray) -> FloatArray:
    return np.asarray(kernel / kernel.sum(axis=0, keepdims=True), dtype=np.float64)


def copy_groups(kernel: FloatArray, threshold: float = 0.5) -> IntArray:
    """Label the groups of (near-)copies: connected components of ``K > threshold``.

    Parameters
    ----------
    kernel : ndarray, shape (n, n)
        Affinity kernel.
    threshold : float, default 0.5
        Affinity above which two actions count as copies.

    Returns
    -------
    ndarray of int, shape (n,)
        Group labels ``0 .. n_groups - 1``, numbered by first appearance.

    References
    ----------
    Liu et al., ICLR 2025, arXiv:2502.20170.
    """
    _, labels = connected_components(kernel > threshold, directed=False)
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first))
    return np.asarray(order[labels], dtype=np.intp)


def max_affinity_entropy(
    kernel: FloatArray, *, tol: float = 1e-12, max_iter: int = 10_000
) -> ReferenceMarginals:
    """The maximiser of the affinity entropy, by the Blahut–Arimoto iteration.

    Maximising ``H_K`` is the capacity problem of the channel ``Q``;
    ``x_j <- x_j exp(KL(Q_j || Q x))``, normalised, converges from the uniform start.

    Parameters
    ----------
    kernel : ndarray, shape (n, n)
        Affinity kernel.
    tol : float, default 1e-12
        Stop when the capacity gap falls below ``tol``.
    max_iter : int, default 10000
        Iteration cap.

    Returns
    -------
    ReferenceMarginals
        ``tau``, the copy groups and the convergence record.

    References
    ----------
    Blahut, "Computation of channel capacity and rate-distortion functions", IEEE Trans.
    Inform. Theory 18 (1972), doi:10.1109/TIT.1972.1054855. Arimoto, "An algorithm for
    computing the capacity of arbitrary discrete memoryless channels", IEEE Trans. Inform.
    Theory 18 (1972), doi:10.1109/TIT.1972.1054753. Liu et al., arXiv:2502.20170.
    """
    q = _channel(kernel)
    n = q.shape[0]
    neg_entropy = np.sum(xlogy(q, q), axis=0)
    x = np.full(n, 1.0 / n)
    gap = np.inf
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        y = q @ x
        divergence = neg_entropy - q.T @ np.log(y)
        gap = float(divergence.max() - x @ divergence)
        if gap < tol:
            break
        x = x * np.exp(divergence - divergence.max())
        x /= x.sum()
    return ReferenceMarginals(
        marginals=x,
        groups=copy_groups(kernel),
        capacity_gap=gap,
        n_iter=n_iter,
        converged=gap < tol,
    )


def uniform_reference(n: int) -> ReferenceMarginals:
    """The Shannon (uniform) reference over ``n`` actions, which is *not* copy-proof.

    Parameters
    ----------
    n : int
        Number of actions.

    Returns
    -------
    ReferenceMarginals
        Uniform marginals, each action its own group.

    References
    ----------
    Balduzzi et al., "Re-evaluating Evaluation", NeurIPS 2018, arXiv:1806.02643.
    """
    return ReferenceMarginals(
        marginals=np.full(n, 1.0 / n),
        groups=np.arange(n, dtype=np.intp),
        capacity_gap=0.0,
        n_iter=0,
        converged=True,
    )
