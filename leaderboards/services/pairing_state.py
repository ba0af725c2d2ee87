"""The arena's pairing state from a Bradley–Terry run: the fit's own numbers, not its display.

The adaptive pairing policies want log-strengths and their covariance. The published board
holds display-scale ratings and (often bootstrap) interval widths, from which neither can be
recovered exactly, so when a ``bt`` run of an arena's ``all`` board is marked done the
log-strengths and the diagonal of the sandwich covariance (what ``_honest_ranks`` uses, and
what the policies document) are handed to the arena in the same transaction.
"""

from __future__ import annotations

from arena import selectors as arena_selectors
from arena.services.pairing_state import pairing_state_replace
from leaderboards.models import RatingRun
from ratings import engine

#: The board and method whose runs the arena pairs by.
BOARD = "all"
METHOD = "bt"


def pairing_strengths_of(
    *, run: RatingRun, state: engine.BradleyTerryState | None
) -> dict[int, tuple[float, float]] | None:
    """Competitor id → (log-strength, sandwich variance) from a ``bt`` run of an ``all`` board;
    None for any other run.

    ``state`` is the run's own fit, kept by the engine beside the report (on the run's votes,
    1/p-weighted when the board is), so the arena pairs by exactly the numbers published.
    """
    if run.method != METHOD or run.leaderboard.slug != BOARD or state is None:
        return None
    ids = arena_selectors.competitor_ids_by_name(state.names)
    return {
        ids[name]: (float(state.scores[k]), float(state.variances[k]))
        for k, name in enumerate(state.names)
        if name in ids
    }


def pairing_state_publish(*, run: RatingRun, strengths: dict[int, tuple[float, float]]) -> bool:
    """Hand ``strengths`` to the arena as its pairing state; False if a newer run's is there.

    Call it in the transaction that marks ``run`` done, so that pairing and the board move
    together.
    """
    return pairing_state_replace(
        arena=run.leaderboard.arena, strengths=strengths, watermark=run.watermark, run_id=run.pk
    )
