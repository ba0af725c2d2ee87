"""The judge reliability report of an arena, as the page, the API and the command line show it."""

from __future__ import annotations

import warnings
from typing import Any

from scipy.linalg import LinAlgWarning

from arena.models import Arena
from ratings import selectors
from ratings.core.judges import judge_report
from ratings.report import judge_report_json


def judge_report_for_arena(arena: Arena) -> dict[str, Any]:
    """``{"judges": [...], "agreement": [...]}`` over every vote of the arena (crowd pooled)."""
    votes = selectors.judged_votes_for_arena(arena)
    if votes.a.size == 0:
        return {"judges": [], "agreement": []}
    with warnings.catch_warnings():
        # Judges with few votes give ill-conditioned style fits; a note says so.
        warnings.simplefilter("ignore", LinAlgWarning)
        return judge_report_json(judge_report(votes))
