"""The leaderboards app's writes: rating runs (``runs``), tournaments, voter flags.

The run functions are re-exported here, since they are what the tasks, the commands and the
in-process beat call.
"""

from __future__ import annotations

from leaderboards.services.categories import leaderboards_ensure_categories
from leaderboards.services.runs import (
    leaderboards_check,
    leaderboards_ensure_defaults,
    rating_run_claim,
    rating_run_execute,
    run_compute,
)

__all__ = [
    "leaderboards_check",
    "leaderboards_ensure_categories",
    "leaderboards_ensure_defaults",
    "rating_run_claim",
    "rating_run_execute",
    "run_compute",
]
