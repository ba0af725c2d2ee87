"""Boards a reader can read (#19): one rank with ties, human dates, self-explaining equilibria."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from leaderboards import services
from leaderboards.models import RatingRun
from leaderboards.reports.board_page import board_view

pytestmark = pytest.mark.django_db


def _run_all() -> None:
    for run_id in services.leaderboards_check(enqueue=False):
        services.rating_run_execute(run_id=run_id, task_id=f"t{run_id}")


def _row(page: str, name: str) -> str:
    found = re.search(rf'<tr data-competitor="{re.escape(name)}".*?</tr>', page, re.DOTALL)
    assert found, name
    return found.group(0)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_one_rank_shares_statistical_ties_and_carries_the_plausible_range() -> None:
    rows = [
        {"name": "a", "rating": 1100.0, "rank_upper": 1, "rank_best": 1, "rank_worst": 1},
        {"name": "b", "rating": 1000.0, "rank_upper": 2, "rank_best": 2, "rank_worst": 3},
        {"name": "c", "rating": 990.0, "rank_upper": 2, "rank_best": 2, "rank_worst": 3},
        {"name": "d", "rating": 900.0, "rank_upper": 4, "rank_best": 4, "rank_worst": 4},
    ]
    view = board_view({"competitors": [r | {"ci_low": 0.0} for r in rows], "params": {}})
    assert [(r.rank, r.tied, r.rank_range) for r in view.rows] == [
        (1, False, None),
        (2, True, "2–3"),
        (2, True, "2–3"),
        (4, False, None),
    ]
    assert view.has_intervals
    assert not view.equilibrium


def test_an_equilibrium_ranks_every_competitor_it_plays_first_and_tied() -> None:
    ratings = [0.0, 0.0, 0.0, -0.2, -0.2, -0.5]
    rows = [
        {"name": f"m{k}", "rating": r, "ci_low": None, "rank": k + 1, "rank_upper": k + 1}
        | {"mass": 0.3 if r == 0 else 0.0}
        for k, r in enumerate(ratings)
    ]
    view = board_view({"competitors": rows, "params": {"zero_within": 1e-9}})
    # Counted by hand: three rated 0 share rank 1; two at -0.2 share rank 4; the last is 6th.
    assert [r.rank for r in view.rows] == [1, 1, 1, 4, 4, 6]
    assert [r.tied for r in view.rows] == [True, True, True, True, True, False]
    assert [r.played for r in view.rows] == [True, True, True, False, False, False]
    assert view.equilibrium
    assert not view.has_intervals


def test_bt_board_has_one_rank_column_human_dates_and_votes_without_a_global_counter(cast_votes):
    cast_votes(30)
    _run_all()
    page = Client().get(reverse("arena-board", args=["main", "all", "bt"])).content.decode()
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    head = re.search(r"<thead>.*?</thead>", page, re.DOTALL)
    assert head
    assert _text(head.group(0)).count("Rank") == 1
    assert "Rank ≤" not in page
    assert "Rank range" not in page
    status = _text(re.search(r'<p class="lead" id="board-status".*?</p>', page, re.DOTALL)[0])
    assert f"{run.result['n_votes']} votes, updated" in status
    assert "up to vote #" not in status
    assert "ago" in status
    assert run.finished_at is not None
    assert run.finished_at.isoformat() not in status  # no raw ISO timestamp on screen
    assert f'datetime="{run.finished_at.isoformat()}"' in page  # machine-readable, for the JS
    rows = run.result["competitors"]
    shared = [r["rank_upper"] for r in rows]
    for row in rows:
        html = _row(page, row["name"])
        cells = re.findall(r'<td class="(rank|rating)"[^>]*>(.*?)</td>', html, re.DOTALL)
        rank, rating = _text(cells[0][1]), _text(cells[1][1])
        assert rank.split()[0] == str(row["rank_upper"])
        assert ("tie" in rank) == (shared.count(row["rank_upper"]) > 1)
        if row["rank_best"] != row["rank_worst"]:
            assert f"{row['rank_best']}–{row['rank_worst']}" in rank
        assert rating.strip() == f"{row['rating']:.1f}"


@pytest.mark.parametrize("method", ["nash", "equilibrium-ne", "equilibrium-cce"])
def test_equilibrium_board_explains_zero_shows_mass_and_no_predicted_matrix(cast_votes, method):
    cast_votes(30)
    _run_all()
    page = Client().get(reverse("arena-board", args=["main", "all", method])).content.decode()
    run = RatingRun.objects.get(leaderboard__slug="all", method=method)
    assert "A rating of 0 means the equilibrium plays that competitor" in page
    assert 'id="no-intervals"' in page
    assert "No intervals:" in page
    assert 'id="predicted-matrix"' not in page
    assert 'id="no-predicted-matrix"' in page
    assert 'id="observed-matrix"' in page
    tolerance = run.result["params"]["zero_within"]
    for row in run.result["competitors"]:
        html = _row(page, row["name"])
        assert f"{round(100 * row['mass'])}%" in _text(html)  # its share of play
        assert ("played" in _text(html)) == (abs(row["rating"]) <= tolerance)
        rank = _text(re.search(r'<td class="rank".*?</td>', html, re.DOTALL)[0]).split()[0]
        assert int(rank) == 1 + sum(
            o["rating"] > row["rating"] + tolerance for o in run.result["competitors"]
        )
    for prompt in run.result.get("prompts", []):
        assert f'<tr data-prompt="{prompt["name"]}">' in page
        assert f"{round(100 * prompt['mass'])}%" in _text(
            re.search(rf'<tr data-prompt="{re.escape(prompt["name"])}">.*?</tr>', page)[0]
        )


def test_the_board_offers_a_filter_box_and_a_rating_cell_per_row(cast_votes):
    cast_votes(12)
    _run_all()
    page = Client().get(reverse("arena-board", args=["main", "all", "elo"])).content.decode()
    assert 'id="board-filter"' in page
    run = RatingRun.objects.get(leaderboard__slug="all", method="elo")
    for row in run.result["competitors"]:
        assert '<td class="rating">' in _row(page, row["name"])
