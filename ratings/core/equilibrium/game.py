"""The three-player prompt-versus-models game and what its equilibrium solvers share.

Players: the **prompt** player picks ``p``, the **king** picks model ``k``, the **rebel** picks
model ``r``. Payoffs: king ``A[p, k, r]``, rebel ``-A[p, k, r]``, prompt ``|A[p, k, r]|``, with
``A = 2W - 1`` from :mod:`ratings.core.equilibrium.winprob`. King and rebel are symmetric, so
model ratings are king ratings. Every rating is ``<= 0`` up to the solver tolerance: 0 means the
equilibrium plays the action, ``-0.1`` means that playing it would lose 0.1 of expected win-rate
margin against the equilibrium. The solvers are in :mod:`ratings.core.equilibrium.ne` (Nash,
limiting logit equilibrium; its branch and polish in ``equilibrium_ne_branch`` and
``equilibrium_ne_polish``) and :mod:`ratings.core.equilibrium.cce` (coarse correlated, min-KL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ratings.core.equilibrium.affinity import (
    DEFAULT_SIGMA2,
    ReferenceMarginals,
    affinity_kernel,
    max_affinity_entropy,
    model_sq_distances,
    prompt_sq_distances,
    uniform_reference,
)
from ratings.core.types import FloatArray

Reference = Literal["affinity", "uniform"]
REFERENCES: tuple[str, ...] = ("affinity", "uniform")
_FLOOR_EXPONENT = -690.0  # exp(-690) ~ 1e-300: below it a softmax mass is set to 0
_BLOCK = 1 << 20  # payoff elements per block: a block stays in cache


@dataclass(frozen=True, slots=True)
class GameReference:
    """The reference marginals of the prompt player and of the model players."""

    prompts: ReferenceMarginals
    models: ReferenceMarginals
    kind: str
    sigma2: float


@dataclass(frozen=True, slots=True)
class EquilibriumResult:
    """Ratings of models and prompts against an equilibrium of the prompt-versus-models game.

    Attributes
    ----------
    method : str
        ``"ne"`` or ``"cce"``.
    names, prompt_names : tuple of str
        Models and prompt-axis groups.
    ratings : ndarray, shape (n_items,)
        Model (king) ratings, ``<= 0``; 0 means the equilibrium plays the model.
    marginals : ndarray, shape (n_items,)
        The equilibrium's model marginal.
    prompt_ratings : ndarray, shape (n_prompts,)
        Prompt ratings, ``<= 0``.
    prompt_marginals : ndarray, shape (n_prompts,)
        The equilibrium's prompt marginal.
    contributions : ndarray, shape (n_prompts, n_items)
        Per-prompt contribution to each model's rating; sums over prompts to ``ratings``.
    residual : float
        NashConv (NE) or CCE gap (largest deviation gain) at the solution.
    reference : GameReference
        The reference marginals and copy groups.
    converged : bool
        Whether the solver reached its tolerance.
    n_iter : int
        Continuation steps (NE), or L-BFGS-B iterations plus Newton steps (CCE).
    params : tuple of (str, object) pairs
        The parameters used.
    dual : ndarray or None
        CCE only: the dual multipliers ``(mu_P, mu_M)``, from which
        :func:`ratings.core.equilibrium.cce.cce_joint` rebuilds the joint distribution.
    """

    method: str
    names: tuple[str, ...]
    prompt_names: tuple[str, ...]
    ratings: FloatArray
    marginals: FloatArray
    prompt_ratings: FloatArray
    prompt_marginals: FloatArray
    contributions: FloatArray
    residual: float
    reference: GameReference
    converged: bool
    n_iter: int
    params: tuple[tuple[str, object], ...]
    dual: FloatArray | None = None


def game_reference(
    payoff: NDArray[np.floating], kind: Reference = "affinity", sigma2: float = DEFAULT_SIGMA2
) -> GameReference:
    """The reference marginals ``tau_P`` and ``tau_M`` of the game with payoff ``A``.

    Parameters
    ----------
    payoff : ndarray, shape (n_prompts, n_items, n_items)
        The payoff tensor ``A``.
    kind : {"affinity", "uniform"}, default "affinity"
        ``"affinity"`` maximises the affinity entropy (copy-proof); ``"uniform"`` is the
        Shannon reference, kept to show what copies do to it.
    sigma2 : float, default 1e-6
        Kernel variance.

    Returns
    -------
    GameReference
        Both players' reference marginals and copy groups.

    Raises
    ------
    ValueError
        If ``kind`` is unknown.

    References
    ----------
    Liu et al., "Re-evaluating Open-ended Evaluation of Large Language Models", ICLR 2025,
    arXiv:2502.20170.
    """
    if kind == "uniform":
        n_p, m, _ = payoff.shape
        return GameReference(uniform_reference(n_p), uniform_reference(m), kind, sigma2)
    if kind != "affinity":
        raise ValueError(f"reference must be one of {REFERENCES}, got {kind!r}")
    prompts = max_affinity_entropy(affinity_kernel(prompt_sq_distances(payoff), sigma2))
    models = max_affinity_entropy(affinity_kernel(model_sq_distances(payoff), sigma2))
    return GameReference(prompts, models, kind, sigma2)


def blocks(n_prompts: int, n_items: int) -> Iterator[slice]:
    """Slices of the prompt axis, each holding about a million payoff entries."""
    step = max(1, _BLOCK // max(1, n_items * n_items))
    for start in range(0, n_prompts, step):
        yield slice(start, min(n_prompts, start + step))


def softmax(logits: FloatArray) -> FloatArray:
    """A numerically safe softmax of a vector; masses below ``1e-300`` are exactly 0.

    Subnormal masses would change nothing but slow down every product they enter.
    """
    shifted = logits - logits.max()
    e = np.exp(np.maximum(shifted, _FLOOR_EXPONENT))
    e[shifted < _FLOOR_EXPONENT] = 0.0
    return np.asarray(e / e.sum(), dtype=np.float64)
