"""The judge reliability report of an arena, for its page and its API endpoint."""

from __future__ import annotations

from typing import Any

from arena.models import Arena
from leaderboards import selectors
from ratings.engine.report import judge_report_of


def judge_report_for_arena(arena: Arena) -> dict[str, Any]:
    """``{"judges": [...], "agreement": [...]}`` over every vote of the arena (crowd pooled)."""
    votes = selectors.judged_votes_for_arena(arena)
    if votes.a.size == 0:
        return {"judges": [], "agreement": []}
    return judge_report_of(votes)
