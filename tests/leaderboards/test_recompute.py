"""Rating jobs: what gets queued, running one, idempotence, and agreement with the core."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from arena.models import Vote
from leaderboards import services
from leaderboards.models import DEFAULT_METHODS, METHODS, Leaderboard, RatingRun
from leaderboards.selectors import comparisons_for_leaderboard, run_latest
from leaderboards.services import runs
from leaderboards.services.categories import CATEGORY_METHODS
from tests.leaderboards.direct import direct_bt_ratings

pytestmark = pytest.mark.django_db


def _queue() -> list[int]:
    return services.leaderboards_check(enqueue=False)


def test_check_queues_one_run_per_scope_and_method_and_then_nothing(cast_votes):
    cast_votes(12)
    ids = _queue()
    # all and crowd have votes; judges has none; the prompts' one category has its board.
    per_check = 2 * len(DEFAULT_METHODS) + len(CATEGORY_METHODS)
    assert len(ids) == per_check
    slugs = set(Leaderboard.objects.values_list("slug", flat=True))
    assert slugs == {"all", "crowd", "judges", "category-general"}
    top = Vote.objects.latest("id").id
    assert set(RatingRun.objects.values_list("watermark", flat=True)) == {top}
    assert _queue() == []
    cast_votes(1, seed=5)
    again = _queue()
    assert len(again) == per_check
    # Runs that never started are superseded by the newer watermark.
    assert RatingRun.objects.count() == per_check


def test_run_matches_a_direct_fit_of_the_same_votes(cast_votes):
    votes = cast_votes(40)
    _queue()
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    assert services.rating_run_execute(run_id=run.id, task_id="t1") == "done"
    run.refresh_from_db()
    stored = {row["name"]: row["rating"] for row in run.result["competitors"]}
    assert len(votes) == 40
    assert stored == pytest.approx(direct_bt_ratings(), abs=1e-6)
    assert run.n_votes == 40
    assert run.result["n_votes"] == 40
    assert run.duration_seconds is not None


def test_executing_twice_writes_once(cast_votes):
    cast_votes(10)
    _queue()
    run = RatingRun.objects.get(leaderboard__slug="all", method="elo")
    assert services.rating_run_execute(run_id=run.id, task_id="first") == "done"
    run.refresh_from_db()
    finished = run.finished_at
    assert services.rating_run_execute(run_id=run.id, task_id="second") == "done"
    assert services.rating_run_execute(run_id=run.id, task_id="first") == "done"
    run.refresh_from_db()
    assert run.finished_at == finished
    assert run.attempts == 1


def test_a_running_run_is_not_taken_by_another_task_but_is_by_its_redelivery(cast_votes):
    cast_votes(10)
    _queue()
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    assert services.rating_run_claim(run.id, "task-a")
    assert not services.rating_run_claim(run.id, "task-b")
    assert services.rating_run_execute(run_id=run.id, task_id="task-b") == "running"
    assert services.rating_run_execute(run_id=run.id, task_id="task-a") == "done"
    assert RatingRun.objects.get(pk=run.id).attempts == 2


def test_the_same_run_cannot_exist_twice(cast_votes):
    cast_votes(5)
    _queue()
    run = RatingRun.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        RatingRun.objects.create(
            leaderboard=run.leaderboard,
            method=run.method,
            params_key=run.params_key,
            watermark=run.watermark,
        )


def test_a_method_that_cannot_run_fails_with_its_reason(cast_votes):
    cast_votes(5)
    board = Leaderboard.objects.create(
        arena_id=Vote.objects.first().battle.arena_id,
        slug="odd",
        name="x",
        methods=["no-such-method"],
    )
    _queue()
    run = RatingRun.objects.get(leaderboard=board)
    assert services.rating_run_execute(run_id=run.id, task_id="t") == "failed"
    run.refresh_from_db()
    assert "'no-such-method'" in run.error
    assert run.result is None


def test_selectors_read_in_fixed_query_counts(cast_votes, django_assert_num_queries):
    cast_votes(30)
    _queue()
    board = Leaderboard.objects.select_related("arena").get(slug="all")
    top = Vote.objects.latest("id").id
    with django_assert_num_queries(1):
        comparisons_for_leaderboard(board, top)
    services.rating_run_execute(
        run_id=RatingRun.objects.get(leaderboard=board, method="bt").id, task_id="t"
    )
    with django_assert_num_queries(1):
        run_latest(board, "bt")


def test_a_run_whose_heartbeat_stopped_is_retaken_and_requeued(cast_votes, settings):
    from datetime import timedelta

    from django.utils import timezone

    cast_votes(6)
    _queue()
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    assert services.rating_run_claim(run.id, "dead-worker")
    assert not services.rating_run_claim(run.id, "other")
    old = timezone.now() - timedelta(seconds=settings.ARENA_RATING_LEASE_SECONDS + 1)
    RatingRun.objects.filter(pk=run.id).update(heartbeat_at=old)
    assert run.id in runs._runs_requeue_lost()
    assert services.rating_run_execute(run_id=run.id, task_id="other") == "done"
    assert RatingRun.objects.get(pk=run.id).attempts == 2


def test_a_run_stores_the_engines_typed_options_and_builds_no_parser(cast_votes, monkeypatch):
    """The job hands the engine the options it stored: no command-line flags, no argparse."""
    import argparse

    from ratings import engine

    cast_votes(30)
    _queue()
    board = Leaderboard.objects.get(arena__slug="main", slug="all")
    stored = {r.method: r.params for r in RatingRun.objects.filter(leaderboard=board)}
    assert stored["bt"]["options"] == engine.options_to_json(
        engine.BradleyTerryOptions(bootstrap=board.bootstrap_rounds, seed=0)
    )
    assert stored["equilibrium-ne"]["options"]["prompt_axis"] == "category"
    assert stored["nash"]["options"] == engine.options_to_json(engine.NashOptions())

    def no_parser(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server path built an argparse parser")

    monkeypatch.setattr(argparse.ArgumentParser, "__init__", no_parser)
    for run in RatingRun.objects.filter(leaderboard=board):
        status = services.rating_run_execute(run_id=run.id, task_id="typed")
        run.refresh_from_db()
        if run.method == "style-bt":  # 30 crowd votes leave its style fit singular
            assert "argparse" not in run.error
            continue
        assert status == "done", (run.method, run.error)


def test_a_run_queued_with_the_first_versions_flags_fails_and_says_why(cast_votes):
    cast_votes(5)
    _queue()
    run = RatingRun.objects.filter(method="bt").first()
    RatingRun.objects.filter(pk=run.pk).update(params={"options": ["--bootstrap", "100"]})
    assert services.rating_run_execute(run_id=run.id, task_id="legacy") == "failed"
    run.refresh_from_db()
    assert "predate typed options" in run.error


def test_lc_winrate_is_not_a_board_method_and_its_run_fails_saying_why(cast_votes):
    """A board has no baseline: lc-winrate is for the command line only."""
    assert "lc-winrate" not in METHODS
    cast_votes(5)
    board = Leaderboard.objects.create(
        arena_id=Vote.objects.first().battle.arena_id,
        slug="lc",
        name="x",
        methods=["lc-winrate"],
    )
    _queue()
    run = RatingRun.objects.get(leaderboard=board)
    assert services.rating_run_execute(run_id=run.id, task_id="t") == "failed"
    run.refresh_from_db()
    assert "baseline" in run.error


def test_a_hard_labels_board_stores_the_option_with_its_runs(cast_votes):
    cast_votes(5)
    board = Leaderboard.objects.create(
        arena_id=Vote.objects.first().battle.arena_id,
        slug="hard",
        name="x",
        methods=["bt", "nash"],
        hard_labels=True,
    )
    _queue()
    runs = RatingRun.objects.filter(leaderboard=board)
    assert {run.params["options"]["hard_labels"] for run in runs} == {True}
    for run in runs:
        assert services.rating_run_execute(run_id=run.id, task_id="t") == "done"
        run.refresh_from_db()
        assert run.result["params"]["hard_labels"] is True
