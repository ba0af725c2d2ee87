"""Win-probability tensors ``W[prompt, model, model]`` built from pairwise votes.

The game of the equilibrium ratings is built from ``W[p, i, j]``, the probability that model
``i``'s answer to prompt ``p`` is preferred to model ``j``'s. Arena data is sparse, so ``W`` is a
posterior mean: ``(wins + alpha * prior) / (games + alpha)``, with a tie or "both bad" counting
½ to each side and the prior either ½ or the prompt-agnostic Bradley–Terry prediction. The
"prompt" axis is any grouping key of the votes: single prompts, categories, or clusters.

Only the payoff ``A = 2W - 1`` (antisymmetric in its last two axes) is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from ratings.core.errors import ConvergenceError
from ratings.core.types import Comparisons, FloatArray

Prior = Literal["half", "bt"]
PRIORS: tuple[str, ...] = ("half", "bt")
_BT_GRADIENT = 1e-9  # relative gradient accepted from a prior fit that stopped early


@dataclass(frozen=True, slots=True)
class WinProbabilities:
    """The payoff tensor of the prompt-versus-models game.

    Attributes
    ----------
    names : tuple of str
        Competitor (model) names, the last two axes of ``payoff``.
    prompt_names : tuple of str
        Names of the prompt-axis groups, the first axis of ``payoff``.
    payoff : ndarray, shape (n_prompts, n_items, n_items)
        ``A = 2W - 1`` in ``[-1, 1]``, antisymmetric in its last two axes.
    alpha : float
        The pseudo-count toward the prior.
    prior : str
        ``"half"`` or ``"bt"``.
    n_votes : ndarray, shape (n_items,)
        Weighted number of votes each model took part in.
    prompt_votes : ndarray, shape (n_prompts,)
        Weighted number of votes on each prompt group.
    """

    names: tuple[str, ...]
    prompt_names: tuple[str, ...]
    payoff: NDArray[np.floating]
    alpha: float
    prior: str
    n_votes: FloatArray
    prompt_votes: FloatArray

    @property
    def win(self) -> FloatArray:
        """``W = (A + 1) / 2`` (a new array)."""
        return np.asarray((self.payoff + 1.0) / 2.0, dtype=np.float64)

    @property
    def n_prompts(self) -> int:
        """Number of prompt-axis groups."""
        return int(self.payoff.shape[0])

    @property
    def n_items(self) -> int:
        """Number of models."""
        return int(self.payoff.shape[1])


def win_probabilities(
    comparisons: Comparisons,
    *,
    alpha: float = 1.0,
    prior: Prior = "half",
    prompt_axis: bool = True,
    dtype: type[np.floating] = np.float64,
) -> WinProbabilities:
    """Build the payoff tensor ``A = 2W - 1`` from votes grouped by their prompt key.

    ``W[p, i, j] = (s + alpha * pi_ij) / (n + alpha)`` where ``n`` is the weighted number of
    votes between ``i`` and ``j`` on prompt group ``p``, ``s`` the points ``i`` won (a tie or
    "both bad" counts ½) and ``pi_ij`` the prior: ½, or ``sigmoid(theta_i - theta_j)`` from a
    prompt-agnostic Bradley–Terry fit of all the votes. Cells with neither votes nor
    pseudo-count (``alpha = 0``) take the prior. ``W[p, i, i] = ½``.

    Parameters
    ----------
    comparisons : Comparisons
        The votes; ``comparisons.prompt`` is the grouping key (prompt id, category, cluster).
    alpha : float, default 1.0
        Pseudo-count toward the prior, ``>= 0``.
    prior : {"half", "bt"}, default "half"
        The prior win probability. ``"bt"`` is a fit of all the votes, so it moves when
        prompts or models are duplicated; ``"half"`` keeps copy invariance exact.
    prompt_axis : bool, default True
        If false, or when the comparisons carry no prompt column, all votes form one group.
    dtype : numpy floating type, default float64
        Storage type of the payoff (``float32`` halves the memory).

    Returns
    -------
    WinProbabilities
        The payoff tensor with the parameters used. Prompt groups without votes are dropped.

    Raises
    ------
    ValueError
        If ``alpha`` is negative or ``prior`` unknown.
    ConvergenceError
        If the Bradley–Terry prior fit fails.

    References
    ----------
    Liu, Gemp, Marris, Piliouras, Heess, Lanctot, "Re-evaluating Open-ended Evaluation of Large
    Language Models", ICLR 2025, arXiv:2502.20170.
    """
    if alpha < 0 or not np.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha}")
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {PRIORS}, got {prior!r}")
    m = comparisons.n_items
    if prompt_axis and comparisons.prompt is not None:
        used, prompt = np.unique(comparisons.prompt, return_inverse=True)
        names = comparisons.prompt_names
        prompt_names = tuple(names[k] if k < len(names) else str(k) for k in used)
    else:
        prompt = np.zeros(comparisons.n_comparisons, dtype=np.intp)
        prompt_names = ("all",)
    n_p = len(prompt_names)
    w = comparisons.total_weight
    margin = w * (2.0 * comparisons.score_a() - 1.0)
    a, b = comparisons.a, comparisons.b
    size = n_p * m * m
    cell_ab = (prompt * m + a) * m + b
    cell_ba = (prompt * m + b) * m + a
    net = _counts(cell_ab, margin, size) - _counts(cell_ba, margin, size)
    games = _counts(cell_ab, w, size) + _counts(cell_ba, w, size)
    prior_margin = prior_payoff(comparisons, prior)
    payoff = _posterior_margin(
        net.reshape(n_p, m, m), games.reshape(n_p, m, m), prior_margin, alpha
    )
    return WinProbabilities(
        names=comparisons.names,
        prompt_names=prompt_names,
        payoff=payoff.astype(dtype, copy=False),
        alpha=float(alpha),
        prior=prior,
        n_votes=_counts(a, w, m) + _counts(b, w, m),
        prompt_votes=_counts(prompt, w, n_p),
    )


def _counts(index: NDArray[np.intp], weight: FloatArray, size: int) -> FloatArray:
    return np.asarray(np.bincount(index, weight, size), dtype=np.float64)


def _posterior_margin(
    net: FloatArray, games: FloatArray, prior_margin: FloatArray, alpha: float
) -> FloatArray:
    """``(net + alpha * prior) / (games + alpha)``, the prior where both are zero, in place."""
    net += alpha * prior_margin
    games += alpha
    empty = games <= 0.0
    games[empty] = 1.0
    net /= games
    if empty.any():
        net[empty] = np.broadcast_to(prior_margin, net.shape)[empty]
    return net


def prior_payoff(comparisons: Comparisons, prior: Prior) -> FloatArray:
    """The prior margin ``2 * pi - 1`` as an ``(n_items, n_items)`` antisymmetric matrix.

    Parameters
    ----------
    comparisons : Comparisons
        The votes (used only for ``prior="bt"``).
    prior : {"half", "bt"}
        ``"half"`` gives zeros; ``"bt"`` gives ``tanh((theta_i - theta_j) / 2)`` with
        ``theta`` the prompt-agnostic Bradley–Terry scores.

    Returns
    -------
    ndarray, shape (n_items, n_items)
        Exactly antisymmetric.

    Raises
    ------
    ConvergenceError
        If the Bradley–Terry fit fails.

    References
    ----------
    Bradley, Terry, "Rank analysis of incomplete block designs", Biometrika 39 (1952),
    doi:10.2307/2334029.
    """
    m = comparisons.n_items
    if prior == "half":
        return np.zeros((m, m))
    theta = _bradley_terry_scores(comparisons)
    diff = theta[:, None] - theta[None, :]
    return np.asarray(np.tanh(diff / 2.0), dtype=np.float64)


def _bradley_terry_scores(comparisons: Comparisons, l2: float = 1e-4) -> FloatArray:
    """Prompt-agnostic Bradley–Terry log strengths by L-BFGS on aggregated counts.

    A small ridge keeps the fit finite when a model wins or loses all its games.
    """
    m = comparisons.n_items
    s = comparisons.score_a()
    w = comparisons.total_weight
    pair = comparisons.a * m + comparisons.b
    wins = np.bincount(pair, w * s, m * m).reshape(m, m)
    wins += np.bincount(pair, w * (1.0 - s), m * m).reshape(m, m).T
    i, j = np.nonzero(wins)
    counts = wins[i, j]

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        d = theta[i] - theta[j]
        value = -np.sum(counts * log_expit(d)) + 0.5 * l2 * theta @ theta
        g = counts * (expit(d) - 1.0)
        grad = np.bincount(i, g, m) - np.bincount(j, g, m) + l2 * theta
        return float(value), grad

    res = minimize(
        objective,
        np.zeros(m),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 10_000, "gtol": 1e-10, "ftol": 1e-15},
    )
    # L-BFGS-B may stop on a line-search failure at the rounding floor: accept a small gradient
    if not res.success and float(np.abs(res.jac).max()) > _BT_GRADIENT * max(1.0, counts.sum()):
        raise ConvergenceError(f"Bradley–Terry prior fit failed: {res.message}")
    theta = np.asarray(res.x, dtype=np.float64)
    return np.asarray(theta - theta.mean(), dtype=np.float64)


def logit_win_matrix(
    comparisons: Comparisons, *, alpha: float = 1.0, prior: Prior = "half"
) -> FloatArray:
    """The prompt-agnostic log-odds matrix ``logit(W)`` used by Nash averaging.

    Parameters
    ----------
    comparisons : Comparisons
        The votes; the prompt column is ignored.
    alpha : float, default 1.0
        Pseudo-count toward the prior; with ``alpha = 0`` a pair won every time has an
        infinite logit, so it is clipped at ``W`` in ``[1e-9, 1 - 1e-9]``.
    prior : {"half", "bt"}, default "half"
        As for :func:`win_probabilities`.

    Returns
    -------
    ndarray, shape (n_items, n_items)
        Antisymmetric log-odds, in natural-log units.

    Raises
    ------
    ValueError
        As :func:`win_probabilities`.

    References
    ----------
    Balduzzi, Tuyls, Pérolat, Graepel, "Re-evaluating Evaluation", NeurIPS 2018,
    arXiv:1806.02643.
    """
    game = win_probabilities(comparisons, alpha=alpha, prior=prior, prompt_axis=False)
    margin = np.clip(np.asarray(game.payoff[0], dtype=np.float64), -1 + 2e-9, 1 - 2e-9)
    upper = np.triu(2.0 * np.arctanh(margin), 1)
    return upper - upper.T
