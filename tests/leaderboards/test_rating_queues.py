"""Each rating run goes to its method family's queue, and every such queue is declared."""

from __future__ import annotations

import pytest
from django.conf import settings

from config.celery import app
from leaderboards.services.runs import RATING_RUN_EXECUTE, rating_queue
from ratings import engine


@pytest.mark.parametrize(
    ("method", "options", "queue"),
    [
        ("bt", {}, "ratings.fast"),
        ("elo", {"bootstrap": 0}, "ratings.fast"),
        ("bt-davidson", {}, "ratings.fast"),
        ("bt", {"bootstrap": 100, "seed": 0}, "ratings.bootstrap"),
        ("elo", {"orderings": 1000}, "ratings.bootstrap"),
        ("nash", {}, "ratings.heavy"),
        ("equilibrium-ne", {"prompt_axis": "category"}, "ratings.heavy"),
        ("equilibrium-cce", {}, "ratings.heavy"),
        ("style-bt", {"bootstrap": 0}, "ratings.heavy"),
        ("elo", {"options_error": "bad", "method_options": {"bootstrap": "x"}}, "ratings.fast"),
    ],
)
def test_a_run_goes_to_its_familys_queue(method: str, options: dict, queue: str) -> None:
    assert rating_queue(method, options) == queue


def test_every_board_method_has_a_declared_queue() -> None:
    declared = {q.name for q in app.conf.task_queues}
    assert declared == set(settings.ARENA_QUEUES)
    for name, spec in engine.METHODS.items():
        if spec.board:
            assert rating_queue(name, {}) in declared
            assert rating_queue(name, {"bootstrap": 10}) in declared


def test_tasks_without_a_queue_of_their_own_go_to_the_arena_queue() -> None:
    route = app.amqp.router.route
    assert route({}, RATING_RUN_EXECUTE)["queue"].name == "ratings.fast"
    assert route({"queue": "ratings.heavy"}, RATING_RUN_EXECUTE)["queue"].name == "ratings.heavy"
    for name in ("ratings.leaderboards_check", "arena.judgings_check", "arena.judging_run"):
        assert route({}, name)["queue"].name == "arena"
