"""Leaderboard JSON endpoints and pages: latest run, history, scopes, private arenas."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from arena.models import Outcome
from leaderboards import services
from leaderboards.models import RatingRun

pytestmark = pytest.mark.django_db


def _run_all() -> None:
    for run_id in services.leaderboards_check(enqueue=False):
        services.rating_run_execute(run_id=run_id, task_id=f"t{run_id}")


def test_list_and_latest_run_in_the_command_line_shape(cast_votes):
    cast_votes(12)
    _run_all()
    client = Client()
    listing = client.get(reverse("api-leaderboards")).json()
    assert listing["arena"] == "main"
    # the default scopes, and one board per prompt category (the fixture's prompts: general)
    scopes = {b["scope"] for b in listing["leaderboards"]}
    assert scopes == {"all", "crowd", "judges", "category-general"}
    body = client.get(reverse("api-leaderboard", args=["all", "bt"])).json()
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    assert set(body) >= {"method", "params", "n_votes", "competitors", "watermark", "computed_at"}
    assert body["watermark"] == run.watermark
    assert body["competitors"][0].keys() >= {
        "name",
        "rating",
        "ci_low",
        "ci_high",
        "rank",
        "rank_upper",
        "n_votes",
    }
    same = client.get(reverse("api-arena-leaderboard", args=["main", "all", "bt"])).json()
    assert same == body


def test_history_lists_earlier_runs(cast_votes):
    cast_votes(8)
    _run_all()
    cast_votes(2, seed=3)
    _run_all()
    body = Client().get(reverse("api-leaderboard", args=["all", "elo"]) + "?history=1").json()
    assert len(body["history"]) == 1
    assert body["history"][0]["watermark"] < body["watermark"]
    assert body["history"][0]["n_votes"] == 8


def test_unknown_scope_method_or_unpublished_board_is_a_clear_404(cast_votes):
    cast_votes(4)
    services.leaderboards_check(enqueue=False)  # queued, not run yet
    client = Client()
    response = client.get(reverse("api-leaderboard", args=["all", "bt"]))
    assert (response.status_code, response.json()["code"]) == (404, "not_computed_yet")
    response = client.get(reverse("api-leaderboard", args=["nope", "bt"]))
    assert (response.status_code, response.json()["code"]) == (404, "leaderboard_not_found")


def test_private_arena_boards_are_not_found_for_outsiders(cast_votes, make_arena):
    make_arena("secret", visibility="private")
    _run_all()
    client = Client()
    for url in (
        "/a/secret/boards/",
        "/a/secret/boards/all/bt/",
        "/api/v1/arenas/secret/leaderboards/",
        "/api/v1/arenas/secret/leaderboards/all/bt/",
    ):
        assert client.get(url).status_code == 404, url


def test_board_page_shows_ratings_matrices_and_history(cast_votes, django_assert_max_num_queries):
    cast_votes(20)
    _run_all()
    client = Client()
    with django_assert_max_num_queries(12):
        page = client.get(reverse("arena-board", args=["main", "all", "bt"])).content.decode()
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    for row in run.result["competitors"]:
        assert f'data-competitor="{row["name"]}"' in page
    for element in (
        "interval-chart",
        "history-chart",
        "predicted-matrix",
        "observed-matrix",
        "battle-matrix",
        "snapshot-data",
        "chart-4.6.1.umd.min.js",
    ):
        assert element in page


def test_board_shows_rank_ranges_the_leader_group_and_tie_and_both_bad_rates(cast_votes):
    votes = cast_votes(30)
    _run_all()
    page = Client().get(reverse("arena-board", args=["main", "all", "bt"])).content.decode()
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    rows = run.result["competitors"]
    assert run.result["leader_group"][0] == rows[0]["name"]
    assert "leader group</span>" in page
    for row in rows:
        found = re.search(
            rf'<tr data-competitor="{re.escape(row["name"])}".*?</tr>', page, re.DOTALL
        )
        assert found
        html = found.group(0)
        if row["rank_best"] != row["rank_worst"]:  # the plausible range, under the one rank
            assert f"{row['rank_best']}–{row['rank_worst']}</small>" in html
        # The rates counted straight from the votes that were cast.
        mine = [
            v
            for v in votes
            if row["name"] in (v.battle.competitor_a.name, v.battle.competitor_b.name)
        ]
        ties = sum(v.outcome == Outcome.TIE for v in mine) / len(mine)
        both_bad = sum(v.outcome == Outcome.BOTH_BAD for v in mine) / len(mine)
        assert row["tie_rate"] == pytest.approx(ties)
        assert row["both_bad_rate"] == pytest.approx(both_bad)
        assert f'<td class="wide">{round(100 * ties)}%</td>' in html
    # The predicted matrix carries each cell's interval, which holds the predicted value.
    found = run.result["win_probability_intervals"]
    i, j = found["names"].index(rows[0]["name"]), found["names"].index(rows[1]["name"])
    low, high = found["low"][i][j], found["high"][i][j]
    assert f'title="95% interval {round(100 * low)}–{round(100 * high)}%"' in page
    predicted = 1 / (1 + 10 ** ((rows[1]["rating"] - rows[0]["rating"]) / 400))
    assert low <= predicted <= high


def test_board_page_reads_the_matrices_stored_with_the_run_not_the_votes(cast_votes):
    """#21: the page re-read every vote on every view (6.9 s at 1M votes). The job now stores
    the matrices with the run; they equal the ones computed from the votes, and the page
    makes no query on the votes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leaderboards.reports.board_page import board_matrices, matrices_compute

    cast_votes(30)
    _run_all()
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    assert run.matrices is not None
    from_votes = matrices_compute(run, run.result)
    assert board_matrices(run) == from_votes
    assert sum(map(sum, from_votes.battles)) == 2 * 30  # every vote, in both cells of its pair
    with CaptureQueriesContext(connection) as captured:
        page = Client().get(reverse("arena-board", args=["main", "all", "bt"]))
    assert page.status_code == 200
    assert not [q["sql"] for q in captured.captured_queries if '"arena_vote"' in q["sql"]]


def test_a_jobs_matrices_come_from_its_own_read_of_the_votes(cast_votes, monkeypatch):
    """#21: at 10M votes a Bradley–Terry job read every vote twice, once to rate and once for
    the board's matrices (47 s against a 12.6 s GROUP BY floor). Each job now reads the votes
    once; its stored matrices equal those of a fresh read, for every method of every board."""
    from leaderboards import selectors
    from leaderboards.reports.board_page import board_matrices, matrices_compute
    from leaderboards.services.runs import run_reads_counted

    cast_votes(30)
    real = selectors.counted_comparisons_for_leaderboard
    merged_reads: list[int] = []

    def counted(*args, **kwargs):  # the real read, counted
        merged_reads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, "counted_comparisons_for_leaderboard", counted)
    run_ids = services.leaderboards_check(enqueue=False)
    assert len(run_ids) > 6
    for run_id in run_ids:
        merged_reads.clear()
        assert services.rating_run_execute(run_id=run_id, task_id=f"t{run_id}") == "done"
        run = RatingRun.objects.get(pk=run_id)
        counts = run_reads_counted(run.method, ipw=bool(run.params.get("ipw")))
        assert len(merged_reads) == (1 if counts else 0), run.method
        assert board_matrices(run) == matrices_compute(run, run.result), run.method


def test_the_merged_read_groups_by_soft_label_only_where_the_arena_has_one(cast_votes):
    """#21: grouped by the coalesced soft label of an arena that has none (an all-NULL column,
    which PostgreSQL keeps no statistics for), the read was planned for as many groups as votes:
    one process and a spilling hash, 22.4 s at 10M votes against 15 s without it. Without soft
    labels the label is no group key; with some, the rows keep them apart."""
    import numpy as np
    from django.db import connection

    from arena.models import Vote
    from arena.selectors.columns import vote_counts_query
    from leaderboards.models import Leaderboard
    from leaderboards.selectors import (
        comparisons_for_leaderboard,
        counted_comparisons_for_leaderboard,
        scope_of,
    )

    cast_votes(40)
    services.leaderboards_check(enqueue=False)  # makes the boards
    board = Leaderboard.objects.select_related("arena").get(slug="all")
    top = Vote.objects.order_by("-id").values_list("id", flat=True)[0]

    def group_keys() -> list[str]:
        query, _ = vote_counts_query(board.arena, scope_of(board), top)
        sql, params = query.query.get_compiler(using="default").as_sql()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (VERBOSE) {sql}", params)
            plan = [line for (line,) in cursor.fetchall()]
        return [line for line in plan if "Group Key" in line]

    assert group_keys()
    assert not [key for key in group_keys() if "p_b" in key]
    plain = counted_comparisons_for_leaderboard(board, top)
    assert not plain.has_soft_labels
    assert plain.n_verdicts == comparisons_for_leaderboard(board, top).n_comparisons == 40

    first, second = Vote.objects.order_by("id").values_list("id", flat=True)[:2]
    Vote.objects.filter(pk=first).update(p_b=0.3)
    Vote.objects.filter(pk=second).update(p_b=0.8)
    assert [key for key in group_keys() if "p_b" in key]
    soft = counted_comparisons_for_leaderboard(board, top)
    assert soft.p_b is not None
    assert sorted(soft.p_b[~np.isnan(soft.p_b)].tolist()) == [0.3, 0.8]
    assert soft.n_verdicts == 40
