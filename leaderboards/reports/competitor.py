"""A competitor's page: what it is, where it stands on each board, its history, its opponents."""

from __future__ import annotations

from dataclasses import dataclass

from arena import selectors as arena_selectors
from arena.models import Arena, Competitor
from leaderboards import selectors
from leaderboards.reports.board_page import rating_history
from ratings import engine


@dataclass(frozen=True, slots=True)
class Standing:
    """The competitor's row in the latest published run of one board and method."""

    board: str
    board_slug: str
    method: str
    method_label: str
    rating: float | None
    ci_low: float | None
    ci_high: float | None
    rank: int | None
    n_ranked: int
    n_votes: int | None


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    when: str
    rating: float


@dataclass(frozen=True, slots=True)
class CompetitorReport:
    competitor: Competitor
    standings: list[Standing]
    #: Its rating in each published run of the overall board (Bradley–Terry when it has it).
    history: list[HistoryPoint]
    history_of: str  # "All votes · Bradley–Terry", say
    head_to_heads: list[arena_selectors.HeadToHead]

    @property
    def sparkline(self) -> str:
        """SVG polyline points (a 300x60 box) of the history, or "" under two points."""
        if len(self.history) < 2:  # noqa: PLR2004 - a line needs two points
            return ""
        values = [p.rating for p in self.history]
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        step = 300 / (len(values) - 1)
        return " ".join(
            f"{i * step:.1f},{56 - 52 * (v - low) / span:.1f}" for i, v in enumerate(values)
        )


def competitor_report(arena: Arena, name: str) -> CompetitorReport:
    """Everything the competitor's page shows; CompetitorNotFound (404) for a name not here."""
    competitor = arena_selectors.arena_competitor(arena, name)
    boards = selectors.leaderboard_list(arena)
    standings = []
    for board in boards:
        for method in board.methods:
            run = selectors.run_latest(board, method)
            rows = (run.result or {}).get("competitors", []) if run else []
            row = next((r for r in rows if r.get("name") == competitor.name), None)
            if row is None:
                continue
            standings.append(
                Standing(
                    board=board.name,
                    board_slug=board.slug,
                    method=method,
                    method_label=_label(method),
                    rating=row.get("rating"),
                    ci_low=row.get("ci_low"),
                    ci_high=row.get("ci_high"),
                    rank=row.get("rank"),
                    n_ranked=len(rows),
                    n_votes=row.get("n_votes"),
                )
            )
    history: list[HistoryPoint] = []
    history_of = ""
    overall = next((b for b in boards if b.slug == "all"), boards[0] if boards else None)
    if overall is not None and overall.methods:
        method = "bt" if "bt" in overall.methods else overall.methods[0]
        series = rating_history(overall, method)
        ratings = series["series"].get(competitor.name, [])
        history = [
            HistoryPoint(when, value)
            for when, value in zip(series["labels"], ratings, strict=False)
            if value is not None
        ]
        history_of = f"{overall.name} · {_label(method)}"
    return CompetitorReport(
        competitor=competitor,
        standings=standings,
        history=history,
        history_of=history_of,
        head_to_heads=arena_selectors.head_to_heads(arena, competitor),
    )


def _label(method: str) -> str:
    found = engine.METHODS.get(method)
    return found.label if found is not None else method
