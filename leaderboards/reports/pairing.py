"""The operator's view of an arena's pairing: the next draw's pair probabilities, the votes per
pair, and what the design so far is worth against uniform pairing."""

from __future__ import annotations

from dataclasses import dataclass

from arena import selectors as arena_selectors
from arena.models import Arena
from arena.services.pair_draws import next_pair_distribution
from ratings.core.pairing.design import uniform_equivalent_votes

#: Pairs listed on the page, most probable first.
SHOWN_PAIRS = 50


@dataclass(frozen=True, slots=True)
class PairRow:
    a: str
    b: str
    probability: float
    votes: int


@dataclass(frozen=True, slots=True)
class PairingReport:
    policy: str
    n_pairs: int
    n_votes: int
    #: Votes uniform pairing would need to order neighbours as surely (None: not yet known).
    uniform_equivalent: float | None
    pairs: list[PairRow]

    @property
    def votes_saved(self) -> float | None:
        return None if self.uniform_equivalent is None else self.uniform_equivalent - self.n_votes


def pairing_report(arena: Arena) -> PairingReport:
    probabilities, counts = next_pair_distribution(arena)
    ids = sorted({c for pair in probabilities for c in pair} | {c for pair in counts for c in pair})
    names = arena_selectors.competitor_names_by_id(ids)
    state = arena_selectors.pairing_state_for_arena(arena, ids, counts)
    ranked = sorted(probabilities.items(), key=lambda item: (-item[1], item[0]))
    return PairingReport(
        policy=arena.pairing_policy,
        n_pairs=len(probabilities),
        n_votes=sum(counts.values()),
        uniform_equivalent=(
            uniform_equivalent_votes(state.scores, state.pair_votes)
            if state.covariance is not None
            else None
        ),
        pairs=[
            PairRow(names.get(a, "?"), names.get(b, "?"), p, counts.get((a, b), 0))
            for (a, b), p in ranked[:SHOWN_PAIRS]
        ],
    )
