"""Votes cast through the site reach live leaderboards through the real stack.

Daphne, a Celery worker and celery beat run as subprocesses against the test database and a
Redis of the test's own; a real websocket client listens to the leaderboard.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from arena.models import Vote
from leaderboards.models import Leaderboard, RatingRun
from tests.e2e.stack import Stack, board_push, running_stack
from tests.leaderboards.direct import direct_bt_ratings

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def cast_vote(client: httpx.Client, base: str, outcome: str = "A") -> None:
    page = client.get(base + "/").text
    public_id = re.search(r'action="/battles/([^/]+)/vote/"', page)[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = client.post(
        f"{base}/battles/{public_id}/vote/",
        data={"outcome": outcome, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/"},
        follow_redirects=True,  # 303 to the result page
    )
    assert response.status_code == 200, response.text[:300]
    assert 'id="vote-recorded"' in response.text


def listen(stack: Stack, want: Any, timeout: float = 45.0) -> dict[str, Any]:
    """The first push on the main board that ``want`` accepts; the stack's logs on a timeout."""
    try:
        return board_push(stack.url, want, timeout)
    except AssertionError:
        print(
            "worker:", stack.log("worker"), "\nbeat:", stack.log("beat"), "\nweb:", stack.log("web")
        )
        raise


def test_votes_cast_on_the_site_reach_the_live_leaderboard(arena_setup, tmp_path: Path):
    with running_stack(tmp_path) as stack, httpx.Client() as client:
        for k in range(6):
            cast_vote(client, stack.url, "AB"[k % 2])
        started = time.monotonic()
        pushed = listen(stack, lambda m: m.get("method") == "bt" and m.get("n_votes") == 6)
        waited = time.monotonic() - started
        assert pushed["watermark"] == Vote.objects.latest("id").id
        run = RatingRun.objects.get(pk=pushed["run_id"])
        assert run.status == "done"
        expected = direct_bt_ratings()
        stored = {row["name"]: row["rating"] for row in run.result["competitors"]}
        assert stored == pytest.approx(expected, abs=1e-6)
        assert pushed["competitors"] == run.result["competitors"]

        for _ in range(2):
            cast_vote(client, stack.url, "TIE")
        update = listen(stack, lambda m: m.get("method") == "elo" and m.get("n_votes") == 8)
        assert update["watermark"] == Vote.objects.latest("id").id
    print(f"first leaderboard push {waited:.1f} s after the votes")


def test_a_killed_worker_leaves_no_partial_run_and_the_job_finishes_once(
    arena_setup, tmp_path: Path
):
    with running_stack(tmp_path) as stack, httpx.Client() as client:
        for k in range(60):
            cast_vote(client, stack.url, "AB"[k % 2] if k % 3 else "TIE")
        # A long job (many bootstrap rounds) on a scope created once all votes are in.
        slow = Leaderboard.objects.create(
            arena=arena_setup["arena"],
            slug="slow",
            name="Slow",
            methods=["elo"],
            bootstrap_rounds=250_000,
        )
        run = _wait_for(
            lambda: RatingRun.objects.filter(leaderboard=slow, status="running").first(), 45, stack
        )
        stack.kill("worker")  # SIGKILL, mid-job
        run.refresh_from_db()
        assert run.status == "running"
        assert run.result is None
        stack.start_worker("worker2")
        _wait_for(lambda: RatingRun.objects.filter(pk=run.pk, status="done").first(), 120, stack)
    runs = RatingRun.objects.filter(leaderboard=slow, method="elo")
    assert runs.count() == 1
    finished = runs.get()
    assert finished.attempts == 2
    assert finished.result["n_votes"] == 60
    assert len(finished.result["competitors"]) == 3


def test_votes_need_no_redis_and_the_board_catches_up_after_it_returns(arena_setup, tmp_path: Path):
    with running_stack(tmp_path) as stack, httpx.Client() as client:
        cast_vote(client, stack.url)
        listen(stack, lambda m: m.get("method") == "bt" and m.get("n_votes") == 1)
        stack.kill("redis")
        started = time.monotonic()
        cast_vote(client, stack.url, "B")
        elapsed = time.monotonic() - started
        print(f"a vote with Redis down took {elapsed:.3f} s")
        assert elapsed < 1.0, f"a vote took {elapsed:.2f} s with Redis down"
        assert Vote.objects.count() == 2
        stack.start_redis()
        pushed = listen(stack, lambda m: m.get("method") == "bt" and m.get("n_votes") == 2, 90)
        assert pushed["watermark"] == Vote.objects.latest("id").id


def _wait_for(find: Any, timeout: float, stack: Stack) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = find()
        if found is not None:
            return found
        time.sleep(0.2)
    print("worker:", stack.log("worker"), stack.log("worker2"), "\nbeat:", stack.log("beat"))
    raise AssertionError(f"condition not met in {timeout} s")


def test_leaderboard_page_draws_its_plots_and_updates_in_place(
    arena_setup, tmp_path: Path, monkeypatch
):
    from tests.e2e.browser import browser_page

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM reads between browser steps
    with running_stack(tmp_path) as stack, httpx.Client() as client:
        for k in range(4):
            cast_vote(client, stack.url, "AB"[k % 2])
        listen(stack, lambda m: m.get("method") == "bt" and m.get("n_votes") == 4)
        with browser_page(viewport={"width": 1200, "height": 1000}) as page:
            page.goto(stack.url + "/a/main/boards/all/bt/")
            page.wait_for_selector('#board-status[data-live="open"]', timeout=15000)
            charts = page.evaluate(
                "['interval-chart', 'history-chart'].map(id => "
                "!!window.Chart.getChart(document.getElementById(id)))"
            )
            assert charts == [True, True]
            assert page.locator("#predicted-matrix td").count() == 9
            rows_before = page.inner_text("#ratings-table tbody")
            for _ in range(3):
                cast_vote(client, stack.url, "TIE")
            top = Vote.objects.latest("id").id
            page.wait_for_selector(f'#board-status[data-watermark="{top}"]', timeout=45000)
            assert "7 votes" in page.inner_text("#board-status")
            assert page.inner_text("#ratings-table tbody") != rows_before
            page.screenshot(path=str(tmp_path / "board.png"), full_page=True)
