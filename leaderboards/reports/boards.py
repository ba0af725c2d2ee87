"""Boards computed on request: a voter's personal board beside the arena's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arena.models import Arena
from arena.voters import Voter
from leaderboards import selectors
from ratings.core.bradley_terry import bradley_terry
from ratings.core.errors import DisconnectedComparisonsError
from ratings.core.personal import bradley_terry_shrunk
from ratings.core.types import ELO_PER_LOG_UNIT

#: Elo-scale offset of the displayed ratings (the arena's average competitor).
OFFSET = 1000.0


@dataclass(frozen=True, slots=True)
class PersonalRow:
    name: str
    arena_rating: float
    rating: float
    ci_low: float
    ci_high: float

    @property
    def difference(self) -> float:
        return self.rating - self.arena_rating


@dataclass(frozen=True, slots=True)
class PersonalBoard:
    n_votes: int
    min_votes: int
    rows: list[PersonalRow]

    @property
    def ready(self) -> bool:
        return self.n_votes >= self.min_votes

    def arena_order(self) -> list[PersonalRow]:
        return sorted(self.rows, key=lambda r: -r.arena_rating)

    def own_order(self) -> list[PersonalRow]:
        return sorted(self.rows, key=lambda r: -r.rating)

    def differences(self, n: int = 3) -> list[PersonalRow]:
        """The competitors where this voter's taste departs most from the arena's."""
        return sorted(self.rows, key=lambda r: -abs(r.difference))[:n]


def personal_board(
    *, arena: Arena, voter: Voter, min_votes: int, prior_precision: float
) -> PersonalBoard:
    """The voter's board: Bradley–Terry on their votes, shrunk toward the arena's board."""
    everyone = selectors.comparisons_for_arena(arena)
    mine = selectors.comparisons_for_arena(arena, voter=voter)
    try:
        # Groups that never met are each centred on their own (ratings.core.groups), so one
        # uploaded pair that meets only itself does not blank the arena's side of this board.
        fitted = (
            bradley_terry(everyone, on_disconnected="groups") if everyone.n_comparisons else None
        )
        arena_scores = None if fitted is None else fitted.scores
    except DisconnectedComparisonsError:
        arena_scores = None
    if arena_scores is None:
        arena_scores = np.zeros(everyone.n_items)
    fit = bradley_terry_shrunk(mine, arena_scores, prior_precision=prior_precision)
    rows = [
        PersonalRow(
            name=name,
            arena_rating=OFFSET + ELO_PER_LOG_UNIT * float(arena_scores[k]),
            rating=OFFSET + ELO_PER_LOG_UNIT * float(fit.scores[k]),
            ci_low=OFFSET + ELO_PER_LOG_UNIT * float(fit.ci_low[k]),
            ci_high=OFFSET + ELO_PER_LOG_UNIT * float(fit.ci_high[k]),
        )
        for k, name in enumerate(everyone.names)
    ]
    return PersonalBoard(n_votes=mine.n_comparisons, min_votes=min_votes, rows=rows)
