"""The game-theoretic ratings: the prompt-versus-models game and its NE and (C)CE solvers, Nash
averaging, the affinity reference that makes them copy-proof, and the win-probability tensors.
"""

from __future__ import annotations

from ratings.core.equilibrium.affinity import (
    DEFAULT_SIGMA2,
    ReferenceMarginals,
    affinity_entropy,
    affinity_kernel,
    copy_groups,
    max_affinity_entropy,
    model_sq_distances,
    prompt_sq_distances,
    uniform_reference,
)
from ratings.core.equilibrium.cce import (
    cce_joint,
    equilibrium_cce,
)
from ratings.core.equilibrium.ce import (
    MAX_JOINT,
    ce_joint,
    equilibrium_ce,
)
from ratings.core.equilibrium.game import (
    REFERENCES,
    EquilibriumResult,
    GameReference,
    blocks,
    game_reference,
    softmax,
)
from ratings.core.equilibrium.nash import (
    SELECTIONS,
    NashAverageResult,
    nash_average,
)
from ratings.core.equilibrium.ne import (
    equilibrium_ne,
    logit_equilibrium,
)
from ratings.core.equilibrium.winprob import (
    PRIORS,
    WinProbabilities,
    logit_win_matrix,
    prior_payoff,
    win_probabilities,
)

__all__ = [
    "DEFAULT_SIGMA2",
    "MAX_JOINT",
    "PRIORS",
    "REFERENCES",
    "SELECTIONS",
    "EquilibriumResult",
    "GameReference",
    "NashAverageResult",
    "ReferenceMarginals",
    "WinProbabilities",
    "affinity_entropy",
    "affinity_kernel",
    "blocks",
    "cce_joint",
    "ce_joint",
    "copy_groups",
    "equilibrium_cce",
    "equilibrium_ce",
    "equilibrium_ne",
    "game_reference",
    "logit_equilibrium",
    "logit_win_matrix",
    "max_affinity_entropy",
    "model_sq_distances",
    "nash_average",
    "prior_payoff",
    "prompt_sq_distances",
    "softmax",
    "uniform_reference",
    "win_probabilities",
]
