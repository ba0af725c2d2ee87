"""The state the adaptive pairing policies read: the stored fit and the votes per pair.

One definition for the battle service and the operator's pairing page, so the page shows what
is served. No fit runs per request: the log-strengths and their sandwich variances were stored
when the newest Bradley–Terry run of the arena's ``all`` board was published
(:func:`arena.services.pairing_state.pairing_state_replace`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from arena.models import Arena, CompetitorStrength
from ratings.core.pairing.policies import PairingState

#: The standard deviation (log-strength) given to a competitor no run has rated yet: it counts
#: as average and very uncertain, so the uncertainty-seeking policies bring it in quickly.
UNRATED_SD = 2.0


def competitor_strengths_for_arena(arena: Arena) -> dict[int, tuple[float, float]]:
    """Competitor id → (log-strength, variance) as last published; empty before the first run."""
    rows = CompetitorStrength.objects.filter(arena=arena).values_list(
        "competitor_id", "score", "variance"
    )
    return {competitor: (score, variance) for competitor, score, variance in rows}


def pairing_state_for_arena(
    arena: Arena, competitor_ids: Sequence[int], counts: Mapping[tuple[int, int], int]
) -> PairingState:
    """The policy's view of ``competitor_ids`` (in that order): stored log-strengths centred
    over these competitors, their variances as the diagonal covariance, and the votes per pair.

    Before the arena's first published run there is no covariance (the policies then fall back
    to their uninformed rule). A competitor without a stored strength counts as average
    (score 0 before centring) with variance ``UNRATED_SD ** 2``.
    """
    ids = list(competitor_ids)
    n = len(ids)
    position = {c: k for k, c in enumerate(ids)}
    votes = np.zeros((n, n))
    for (a, b), count in counts.items():
        if a in position and b in position:
            votes[position[a], position[b]] = votes[position[b], position[a]] = count
    stored = competitor_strengths_for_arena(arena)
    if not stored:
        return PairingState(scores=np.zeros(n), covariance=None, pair_votes=votes)
    scores, variances = np.zeros(n), np.full(n, UNRATED_SD**2)
    for k, competitor in enumerate(ids):
        if competitor in stored:
            scores[k], variances[k] = stored[competitor]
    if n:
        scores -= scores.mean()
    return PairingState(scores=scores, covariance=np.diag(variances), pair_votes=votes)
