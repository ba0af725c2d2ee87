"""Affinity kernels, affinity entropy and the Blahut–Arimoto reference marginals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import softmax

from ratings.core import (
    affinity_entropy,
    affinity_kernel,
    copy_groups,
    max_affinity_entropy,
    model_sq_distances,
    prompt_sq_distances,
)


def _block_kernel(sizes: list[int]) -> np.ndarray:
    labels = np.repeat(np.arange(len(sizes)), sizes)
    return (labels[:, None] == labels[None, :]).astype(float)


def _shannon(x: np.ndarray) -> float:
    x = x[x > 0]
    return float(-np.sum(x * np.log(x)))


def test_identity_kernel_gives_shannon_entropy() -> None:
    x = np.random.default_rng(0).dirichlet(np.ones(7))
    assert affinity_entropy(x, np.eye(7)) == pytest.approx(_shannon(x), abs=1e-12)


def test_affinity_entropy_depends_only_on_copy_group_mass() -> None:
    kernel = _block_kernel([3, 1, 2])
    x = np.array([0.1, 0.2, 0.1, 0.3, 0.1, 0.2])
    y = np.array([0.4, 0.0, 0.0, 0.3, 0.0, 0.3])
    masses = np.array([0.4, 0.3, 0.3])
    assert affinity_entropy(x, kernel) == pytest.approx(affinity_entropy(y, kernel), abs=1e-12)
    assert affinity_entropy(x, kernel) == pytest.approx(_shannon(masses), abs=1e-12)


def test_affinity_entropy_is_concave() -> None:
    rng = np.random.default_rng(1)
    points = rng.normal(size=(6, 2))
    kernel = np.exp(-((points[:, None] - points[None]) ** 2).sum(-1))
    for _ in range(50):
        x, y = rng.dirichlet(np.ones(6), size=2)
        mid = affinity_entropy((x + y) / 2, kernel)
        assert mid >= (affinity_entropy(x, kernel) + affinity_entropy(y, kernel)) / 2 - 1e-12


def test_reference_is_uniform_over_copy_groups_split_evenly() -> None:
    ref = max_affinity_entropy(_block_kernel([3, 1, 2, 1]))
    expected = np.repeat([0.25 / 3, 0.25, 0.25 / 2, 0.25], [3, 1, 2, 1])
    assert ref.converged
    assert ref.capacity_gap < 1e-12
    assert np.allclose(ref.marginals, expected, atol=1e-12)
    assert list(ref.groups) == [0, 0, 0, 1, 2, 2, 3]


def test_blahut_arimoto_matches_direct_maximisation_on_a_soft_kernel() -> None:
    rng = np.random.default_rng(2)
    points = rng.normal(size=(5, 2))
    kernel = np.exp(-((points[:, None] - points[None]) ** 2).sum(-1))
    ref = max_affinity_entropy(kernel)
    res = minimize(
        lambda z: -affinity_entropy(softmax(z), kernel),
        np.zeros(5),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20_000},
    )
    assert ref.converged
    assert affinity_entropy(ref.marginals, kernel) >= -res.fun - 1e-9
    assert np.allclose(ref.marginals, softmax(res.x), atol=1e-3)


def test_kernel_distances_match_direct_means() -> None:
    a = np.random.default_rng(3).normal(size=(4, 5, 5))
    a = a - a.transpose(0, 2, 1)
    direct_p = ((a[:, None] - a[None]) ** 2).mean(axis=(2, 3))
    direct_m = ((a[:, :, None, :] - a[:, None, :, :]) ** 2).mean(axis=(0, 3))
    assert np.allclose(prompt_sq_distances(a), direct_p, atol=1e-12)
    assert np.allclose(model_sq_distances(a), direct_m, atol=1e-12)


def test_exact_copies_get_affinity_one_and_one_group() -> None:
    a = np.random.default_rng(4).normal(size=(3, 4, 4))
    a = a - a.transpose(0, 2, 1)
    copied = np.concatenate([a, a[[1, 1]]])
    kernel = affinity_kernel(prompt_sq_distances(copied))
    assert np.allclose(kernel[1, [3, 4]], 1.0)
    assert kernel[0, 1] < 1e-100
    assert list(copy_groups(kernel)) == [0, 1, 2, 1, 1]


def test_kernel_rejects_non_positive_variance() -> None:
    with pytest.raises(ValueError, match="sigma2"):
        affinity_kernel(np.zeros((2, 2)), 0.0)


def test_entropy_agrees_with_polarix() -> None:
    polarix = pytest.importorskip(
        "polarix", reason="polarix (dev-only 'oracles' extra) is not installed"
    )
    from polarix._src.solvers.affinity_entropy import affinity_entropy as polarix_entropy

    rng = np.random.default_rng(5)
    points = rng.normal(size=(6, 2))
    kernel = np.exp(-((points[:, None] - points[None]) ** 2).sum(-1))
    x = rng.dirichlet(np.ones(6))
    theirs = float(polarix_entropy(x, kernel, np.ones(6), p=0.0))
    assert polarix is not None
    assert affinity_entropy(x, kernel) == pytest.approx(theirs, abs=1e-5)
