"""Which votes to ask for next: pairing policies, what a design is worth, prompt prioritisation,
and tournament formats with their brackets.
"""

from __future__ import annotations

from ratings.core.pairing.brackets import (
    Match,
    Replay,
    replay_prompt,
)
from ratings.core.pairing.design import (
    adjacent_variance,
    information_matrix,
    uniform_equivalent_votes,
)
from ratings.core.pairing.policies import (
    EXPLORATION,
    INFORMATION_EXPLORATION,
    POLICIES,
    POLICY,
    PairingCache,
    PairingState,
    ci_reduction,
    fewest_votes,
    fewest_votes_of,
    information,
    inverse_probability_weights,
    pair_draw,
    pair_draw_cached,
    pairing_cache,
    pairs_of,
    session_balance,
    ucb,
    uniform,
)
from ratings.core.pairing.prompts import (
    RANDOM_SHARE,
    prompt_probabilities,
)
from ratings.core.pairing.tournaments import (
    FORMATS,
    bracket_comparisons,
    bracket_done,
    bracket_matches,
    bracket_pending,
    bracket_record,
    bracket_record_many,
    bracket_start,
)

__all__ = [
    "EXPLORATION",
    "FORMATS",
    "INFORMATION_EXPLORATION",
    "POLICIES",
    "POLICY",
    "RANDOM_SHARE",
    "Match",
    "PairingCache",
    "PairingState",
    "Replay",
    "adjacent_variance",
    "bracket_comparisons",
    "bracket_done",
    "bracket_matches",
    "bracket_pending",
    "bracket_record",
    "bracket_record_many",
    "bracket_start",
    "ci_reduction",
    "fewest_votes",
    "fewest_votes_of",
    "information",
    "information_matrix",
    "inverse_probability_weights",
    "pair_draw",
    "pair_draw_cached",
    "pairing_cache",
    "pairs_of",
    "prompt_probabilities",
    "replay_prompt",
    "session_balance",
    "ucb",
    "uniform",
    "uniform_equivalent_votes",
]
