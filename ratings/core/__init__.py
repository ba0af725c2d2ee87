"""The pure numerical core: numpy, scipy and choix only; no Django, no global state."""

from __future__ import annotations

from ratings.core.bradley_terry import AUTO_L2, bradley_terry, bradley_terry_mm, to_ratings
from ratings.core.davidson import DavidsonResult, davidson, davidson_intervals
from ratings.core.elo import ELO_BASE, ELO_INITIAL, ELO_K, ELO_SCALE, elo, elo_bootstrap
from ratings.core.equilibrium.affinity import (
    ReferenceMarginals,
    affinity_entropy,
    affinity_kernel,
    copy_groups,
    max_affinity_entropy,
    model_sq_distances,
    prompt_sq_distances,
)
from ratings.core.equilibrium.cce import equilibrium_cce
from ratings.core.equilibrium.ce import equilibrium_ce
from ratings.core.equilibrium.game import EquilibriumResult, GameReference, game_reference
from ratings.core.equilibrium.nash import NashAverageResult, nash_average
from ratings.core.equilibrium.ne import equilibrium_ne
from ratings.core.equilibrium.winprob import WinProbabilities, logit_win_matrix, win_probabilities
from ratings.core.errors import ConvergenceError, DisconnectedComparisonsError, RatingError
from ratings.core.intervals import bootstrap, covariance, normal_intervals, rank_intervals
from ratings.core.pairs import aggregate, components, laplacian
from ratings.core.style import style_bradley_terry, style_features, style_intervals
from ratings.core.types import (
    ELO_PER_LOG_UNIT,
    BaselineWinRates,
    BradleyTerryResult,
    Comparisons,
    EloResult,
    Intervals,
    Outcome,
    PairCounts,
    RankIntervals,
    WinRates,
)
from ratings.core.voters import Burst, VoterSurprise, surprise_terms, vote_bursts, voter_surprise
from ratings.core.winrate import predicted_win_rates, win_rate_vs

__all__ = [
    "AUTO_L2",
    "ELO_BASE",
    "ELO_INITIAL",
    "ELO_K",
    "ELO_PER_LOG_UNIT",
    "ELO_SCALE",
    "BaselineWinRates",
    "BradleyTerryResult",
    "Burst",
    "Comparisons",
    "ConvergenceError",
    "DavidsonResult",
    "DisconnectedComparisonsError",
    "EloResult",
    "EquilibriumResult",
    "GameReference",
    "Intervals",
    "NashAverageResult",
    "Outcome",
    "PairCounts",
    "RankIntervals",
    "RatingError",
    "ReferenceMarginals",
    "VoterSurprise",
    "WinProbabilities",
    "WinRates",
    "affinity_entropy",
    "affinity_kernel",
    "aggregate",
    "bootstrap",
    "bradley_terry",
    "bradley_terry_mm",
    "components",
    "copy_groups",
    "covariance",
    "davidson",
    "davidson_intervals",
    "elo",
    "elo_bootstrap",
    "equilibrium_cce",
    "equilibrium_ce",
    "equilibrium_ne",
    "game_reference",
    "laplacian",
    "logit_win_matrix",
    "max_affinity_entropy",
    "model_sq_distances",
    "nash_average",
    "normal_intervals",
    "predicted_win_rates",
    "prompt_sq_distances",
    "rank_intervals",
    "style_bradley_terry",
    "style_features",
    "style_intervals",
    "surprise_terms",
    "to_ratings",
    "vote_bursts",
    "voter_surprise",
    "win_probabilities",
    "win_rate_vs",
]
