"""What the leaderboard page shows beside the ratings: matrices and the rating history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.db import DEFAULT_DB_ALIAS
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from leaderboards import selectors
from leaderboards.models import Leaderboard, RatingRun
from ratings.core.pairs import aggregate
from ratings.core.types import Comparisons
from ratings.core.winrate import predicted_win_rates


@dataclass(frozen=True, slots=True)
class Matrices:
    """Row competitor against column competitor, in the order of the board."""

    names: list[str]
    #: None where the ratings predict no pair (equilibrium payoffs are not strengths).
    predicted: list[list[float | None]] | None
    #: "lo–hi" (percent) of each predicted cell when the method gives intervals (bt), else None.
    predicted_ci: list[list[str | None]] | None
    observed: list[list[float | None]]
    battles: list[list[int]]


def with_rank_deltas(snapshot: dict[str, Any], overall: dict[str, int]) -> dict[str, Any]:
    """The snapshot with, on each competitor in ``overall``, its overall rank and ``rank_delta``
    (overall rank minus rank here: positive when the competitor does better in this category)
    and ``rank_delta_abs`` for display, as LMArena's category boards show it."""
    rows = []
    for row in snapshot.get("competitors", []):
        extra = {}
        if row["name"] in overall:
            delta = overall[row["name"]] - int(row["rank"])
            extra = {
                "overall_rank": overall[row["name"]],
                "rank_delta": delta,
                "rank_delta_abs": abs(delta),
            }
        rows.append(row | extra)
    return snapshot | {"competitors": rows}


def board_matrices(run: RatingRun) -> Matrices:
    """The matrices the run's job stored with it; computed here only for a run published
    before they were stored (reading its votes, as every view once did)."""
    if isinstance(run.matrices, dict):
        return Matrices(**run.matrices)
    return matrices_compute(run, run.result)


def matrix_tables(matrices: Matrices) -> dict[str, list[SafeString] | None]:
    """The body rows of the page's three matrix tables, as HTML built here.

    A template looking each cell's interval up by position re-sliced a row per cell: the page
    took 11 s to render at 200 competitors whatever the votes. One pass here is linear in the
    cells (40,000 each at 200 competitors)."""
    names = [escape(name) for name in matrices.names]
    return {
        "predicted": None
        if matrices.predicted is None
        else _rows(names, matrices.predicted, matrices.predicted_ci, "rate"),
        "observed": _rows(names, matrices.observed, None, "rate"),
        "battles": _rows(names, matrices.battles, None, "count"),
    }


def _rows(
    names: Sequence[str],
    values: Sequence[Sequence[float | int | None]],
    intervals: Sequence[Sequence[str | None]] | None,
    kind: str,
) -> list[SafeString]:
    rows = []
    for a, row in enumerate(values):
        spans = intervals[a] if intervals else None
        cells = [f'<tr><th scope="row">{names[a]}</th>']
        for b, value in enumerate(row):
            title = ""
            if spans is not None and spans[b]:
                title = f' title="95% interval {escape(spans[b])}"'
            if value is None:
                cells.append(f'<td class="{kind}" data-value=""{title}>·</td>')
                continue
            shown = round(float(value) * 100) if kind == "rate" else value  # as widthratio rounds
            cells.append(f'<td class="{kind}" data-value="{value}"{title}>{shown}</td>')
        cells.append("</tr>")
        rows.append(mark_safe("".join(cells)))  # noqa: S308 (names and spans escaped above)
    return rows


def matrices_json(matrices: Matrices) -> dict[str, Any]:
    """The matrices as the run stores them (JSON: lists of numbers, strings and nulls)."""
    return asdict(matrices)


def matrices_compute(
    run: RatingRun,
    result: dict[str, Any] | None,
    *,
    using: str = DEFAULT_DB_ALIAS,
    comparisons: Comparisons | None = None,
) -> Matrices:
    """Predicted (from the ratings) and observed win rates, and battle counts, per pair.

    ``result`` is the run's report (the job passes it before storing it with the run, and the
    database it read the votes from as ``using``). ``comparisons`` are the run's own: when
    every weight is 1 (no 1/p weighting) their pair totals are the votes', however they were
    merged, and the votes are not read a second time."""
    rows = result["competitors"] if result else []
    names = [row["name"] for row in rows]
    group = [row.get("group", 0) for row in rows]  # no prediction between groups that never met
    if comparisons is None or not np.all(comparisons.weight == 1.0):
        # pair totals only: the votes merged by pair, outcome and soft label
        comparisons = selectors.counted_comparisons_for_leaderboard(
            run.leaderboard, run.watermark, using=using
        )
    position = {name: k for k, name in enumerate(comparisons.names)}
    n = len(names)
    battles = np.zeros((n, n))
    points = np.zeros((n, n))
    order = [position[name] for name in names if name in position]
    if comparisons.n_comparisons and len(order) == n:
        table = aggregate(comparisons)
        games, won = table.totals()
        rank = {p: k for k, p in enumerate(order)}
        for g, w, i, j in zip(games, won, table.pair_i, table.pair_j, strict=True):
            a, b = rank[int(i)], rank[int(j)]
            battles[a, b] = battles[b, a] = g
            points[a, b], points[b, a] = w, g - w
    scale = float(result.get("params", {}).get("scale") or 400.0) if result else 400.0
    base = float(result.get("params", {}).get("base") or 10.0) if result else 10.0
    equilibrium = any("mass" in row for row in rows)
    predicted = (
        predicted_win_rates(
            tuple(names),
            np.array([row["rating"] for row in rows], dtype=float),
            base=base,
            scale=scale,
        ).matrix
        if n and not equilibrium
        else None
    )
    return Matrices(
        names=names,
        predicted_ci=_predicted_intervals(result, names),
        predicted=None
        if predicted is None
        else [
            [
                None if a == b or group[a] != group[b] else round(float(predicted[a, b]), 3)
                for b in range(n)
            ]
            for a in range(n)
        ],
        observed=[
            [round(points[a, b] / battles[a, b], 3) if battles[a, b] else None for b in range(n)]
            for a in range(n)
        ],
        battles=[[int(battles[a, b]) for b in range(n)] for a in range(n)],
    )


def _predicted_intervals(
    result: dict[str, Any] | None, names: list[str]
) -> list[list[str | None]] | None:
    found = (result or {}).get("win_probability_intervals")
    if not found or set(found["names"]) != set(names):
        return None
    at = {name: k for k, name in enumerate(found["names"])}
    low, high = found["low"], found["high"]
    return [
        [
            None
            if a == b or low[at[a]][at[b]] is None  # groups that never met: no prediction
            else f"{round(100 * low[at[a]][at[b]])}–{round(100 * high[at[a]][at[b]])}%"
            for b in names
        ]
        for a in names
    ]


def rating_history(leaderboard: Leaderboard, method: str) -> dict[str, Any]:
    """Each competitor's rating in every published run, oldest first, for the time chart."""
    runs = list(reversed(selectors.run_history(leaderboard, method, limit=60)))
    names = sorted(
        {row["name"] for run in runs for row in (run.result or {}).get("competitors", [])}
    )
    series: dict[str, list[Any]] = {name: [] for name in names}
    for run in runs:
        ratings = {row["name"]: row["rating"] for row in (run.result or {}).get("competitors", [])}
        for name in names:
            series[name].append(ratings.get(name))
    labels = [run.finished_at.strftime("%m-%d %H:%M:%S") if run.finished_at else "" for run in runs]
    return {"labels": labels, "series": series}


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One competitor as the board shows it: one rank, ties marked, details for a tap."""

    row: dict[str, Any]
    rank: int
    tied: bool
    #: "3–6": the best and worst plausible rank, when the method gives one and it is not exact.
    rank_range: str | None
    #: The equilibrium plays it (rating 0 on an equilibrium board).
    played: bool


@dataclass(frozen=True, slots=True)
class BoardView:
    rows: list[BoardRow]
    equilibrium: bool
    has_intervals: bool
    units: str | None
    computed_at: datetime | None

    @property
    def n_columns(self) -> int:
        """Rank, name, rating, then mass or (ties, both bad), the interval and the votes."""
        return 4 + (1 if self.equilibrium else 2) + int(self.has_intervals)


def board_view(snapshot: dict[str, Any]) -> BoardView:
    """The snapshot's rows with one clear rank each.

    With intervals the rank is 1 + the competitors statistically better (``rank_upper``), so
    competitors that cannot be told apart share it: a tie. An equilibrium rates every competitor
    it plays 0; the rank there counts the competitors rated higher, so those share rank 1.
    """
    rows: list[dict[str, Any]] = snapshot.get("competitors") or []
    params = snapshot.get("params") or {}
    equilibrium = any("mass" in row for row in rows)
    tolerance = float(params.get("zero_within") or 0.0)
    ranks = [
        int(row["rank_upper"])
        if not equilibrium and row.get("rank_upper") is not None
        else 1 + sum(other["rating"] > row["rating"] + tolerance for other in rows)
        for row in rows
    ]
    shown = [
        BoardRow(
            row=row,
            rank=rank,
            tied=ranks.count(rank) > 1,
            rank_range=(
                f"{row['rank_best']}–{row['rank_worst']}"
                if row.get("rank_best") and row["rank_best"] != row.get("rank_worst")
                else None
            ),
            played=equilibrium and abs(row["rating"]) <= tolerance,
        )
        for row, rank in zip(rows, ranks, strict=True)
    ]
    computed = snapshot.get("computed_at")
    return BoardView(
        rows=shown,
        equilibrium=equilibrium,
        has_intervals=any(row.get("ci_low") is not None for row in rows),
        units=params.get("units"),
        computed_at=datetime.fromisoformat(computed) if computed else None,
    )
