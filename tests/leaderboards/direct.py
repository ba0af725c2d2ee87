"""An independent reading of the votes for checking rating jobs: straight from the vote rows."""

from __future__ import annotations

import numpy as np

from arena.models import Vote
from ratings.core.bradley_terry import bradley_terry
from ratings.core.types import ELO_PER_LOG_UNIT, Comparisons


def direct_bt_ratings(*, inverse_probability: bool = False) -> dict[str, float]:
    """Bradley–Terry on every vote, on the Elo scale, without the rating jobs' code path;
    with ``inverse_probability``, each vote weighs 1/p of its battle's pair probability."""
    votes = list(
        Vote.objects.select_related("battle__competitor_a", "battle__competitor_b").order_by("id")
    )
    names = sorted(
        {v.battle.competitor_a.name for v in votes} | {v.battle.competitor_b.name for v in votes}
    )
    index = {n: i for i, n in enumerate(names)}
    comparisons = Comparisons(
        names=tuple(names),
        a=np.array([index[v.battle.competitor_a.name] for v in votes], dtype=np.intp),
        b=np.array([index[v.battle.competitor_b.name] for v in votes], dtype=np.intp),
        outcome=np.array([v.outcome for v in votes], dtype=np.int8),
        weight=(
            np.array([1.0 / v.battle.pair_probability for v in votes])
            if inverse_probability
            else np.ones(len(votes))
        ),
    )
    scores = bradley_terry(comparisons).scores
    return {n: 1000 + ELO_PER_LOG_UNIT * float(s) for n, s in zip(names, scores, strict=True)}
