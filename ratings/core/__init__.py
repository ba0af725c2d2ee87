"""The pure numerical core: numpy, scipy and choix only; no Django, no global state.

``__all__`` names every public function and result of the flat modules (the fits, intervals,
separation, judges and agreement, head-to-head, text similarity) and the main entries of the
two subpackages, :mod:`ratings.core.equilibrium` and :mod:`ratings.core.pairing`, whose own
``__all__`` list the rest.
"""

from __future__ import annotations

from ratings.core.agreement import (
    RaterAgreement,
    cohen_kappa,
    modal_label,
    rater_agreement,
)
from ratings.core.bradley_terry import AUTO_L2, bradley_terry, bradley_terry_mm, to_ratings
from ratings.core.davidson import DavidsonResult, davidson, davidson_intervals
from ratings.core.elo import (
    ELO_BASE,
    ELO_INITIAL,
    ELO_K,
    ELO_SCALE,
    elo,
    elo_bootstrap,
    elo_orderings,
)
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
from ratings.core.groups import ComparisonGroups, comparison_groups
from ratings.core.headtohead import (
    HeadToHead,
    crowd_judge_disagreements,
    head_to_head,
    head_to_head_by,
    majority,
    outcome_by_length_difference,
    wilson_interval,
)
from ratings.core.intervals import bootstrap, covariance, normal_intervals, rank_intervals
from ratings.core.judges import (
    Agreement,
    JudgedVotes,
    JudgeFigures,
    JudgeReport,
    Share,
    canonical,
    first_position_wins,
    judge_figures,
    judge_report,
    length_coefficient,
    modal_verdicts,
    oriented_by_name,
    position_consistency,
    soft_verdicts,
    transitivity_violations,
)
from ratings.core.lcwinrate import (
    LC_FEATURES,
    GamedBaselines,
    LengthControlledWinRates,
    l1_logistic,
    length_controlled_win_rates,
)
from ratings.core.pairs import (
    aggregate,
    components,
    laplacian,
    require_connected,
)
from ratings.core.personal import (
    ShrunkResult,
    bradley_terry_shrunk,
)
from ratings.core.separation import (
    WinProbabilityIntervals,
    leader_group,
    simultaneous_intervals,
    simultaneous_ranks,
    votes_to_separate,
    win_probability_intervals,
)
from ratings.core.style import style_bradley_terry, style_features, style_intervals
from ratings.core.textsim import (
    jaccard,
    mean_pairwise_similarity,
    shingles,
    text_dissimilarity,
    text_similarity,
)
from ratings.core.types import (
    ELO_PER_LOG_UNIT,
    BaselineWinRates,
    BradleyTerryResult,
    Comparisons,
    EloOrderingsResult,
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
    "LC_FEATURES",
    "Agreement",
    "BaselineWinRates",
    "BradleyTerryResult",
    "Burst",
    "ComparisonGroups",
    "Comparisons",
    "ConvergenceError",
    "DavidsonResult",
    "DisconnectedComparisonsError",
    "EloOrderingsResult",
    "EloResult",
    "EquilibriumResult",
    "GameReference",
    "GamedBaselines",
    "HeadToHead",
    "Intervals",
    "JudgeFigures",
    "JudgeReport",
    "JudgedVotes",
    "LengthControlledWinRates",
    "NashAverageResult",
    "Outcome",
    "PairCounts",
    "RankIntervals",
    "RaterAgreement",
    "RatingError",
    "ReferenceMarginals",
    "Share",
    "ShrunkResult",
    "VoterSurprise",
    "WinProbabilities",
    "WinProbabilityIntervals",
    "WinRates",
    "affinity_entropy",
    "affinity_kernel",
    "aggregate",
    "bootstrap",
    "bradley_terry",
    "bradley_terry_mm",
    "bradley_terry_shrunk",
    "canonical",
    "cohen_kappa",
    "comparison_groups",
    "components",
    "copy_groups",
    "covariance",
    "crowd_judge_disagreements",
    "davidson",
    "davidson_intervals",
    "elo",
    "elo_bootstrap",
    "elo_orderings",
    "equilibrium_cce",
    "equilibrium_ce",
    "equilibrium_ne",
    "first_position_wins",
    "game_reference",
    "head_to_head",
    "head_to_head_by",
    "jaccard",
    "judge_figures",
    "judge_report",
    "l1_logistic",
    "laplacian",
    "leader_group",
    "length_coefficient",
    "length_controlled_win_rates",
    "logit_win_matrix",
    "majority",
    "max_affinity_entropy",
    "mean_pairwise_similarity",
    "modal_label",
    "modal_verdicts",
    "model_sq_distances",
    "nash_average",
    "normal_intervals",
    "oriented_by_name",
    "outcome_by_length_difference",
    "position_consistency",
    "predicted_win_rates",
    "prompt_sq_distances",
    "rank_intervals",
    "rater_agreement",
    "require_connected",
    "shingles",
    "simultaneous_intervals",
    "simultaneous_ranks",
    "soft_verdicts",
    "style_bradley_terry",
    "style_features",
    "style_intervals",
    "surprise_terms",
    "text_dissimilarity",
    "text_similarity",
    "to_ratings",
    "transitivity_violations",
    "vote_bursts",
    "voter_surprise",
    "votes_to_separate",
    "wilson_interval",
    "win_probabilities",
    "win_probability_intervals",
    "win_rate_vs",
]
