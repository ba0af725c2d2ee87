"""Workers scale out per method family: a worker started with ``-Q`` runs only its queue's jobs,
and a worker started without it runs every queue's.

Real LLMFAO votes are imported; one board asks for a point fit (``bt``: ratings.fast), resampled
intervals (``elo`` with bootstrap rounds: ratings.bootstrap) and a game (``nash``:
ratings.heavy). The check runs in a separate process with the stack's environment, so the runs
reach the stack's own Redis through the real path (the on-commit enqueue), as from beat.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from arena.models import Arena
from arena.services.imports import votes_import
from leaderboards.models import Leaderboard, RatingRun
from leaderboards.services import leaderboards_check
from tests.e2e.stack import BIN, ROOT, Stack
from tests.ratings.conftest import SHARED_DATA

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

N_VOTES = 1500


def _wait(condition: Callable[[], bool], timeout: float, stack: Stack, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            print("heavy:", stack.log("heavy"), "\nworker:", stack.log("worker"))
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _statuses() -> dict[str, str]:
    return dict(RatingRun.objects.values_list("method", "status"))


def test_a_worker_with_one_queue_runs_only_that_familys_jobs(tmp_path: Path) -> None:
    source = SHARED_DATA / "llmfao/votes.jsonl"
    if not source.is_file():
        pytest.skip(f"shared data not found at {source}")
    votes = tmp_path / "votes.jsonl"
    with source.open() as lines, votes.open("w") as out:
        out.writelines(line for _, line in zip(range(N_VOTES), lines, strict=False))
    arena = Arena.objects.create(slug="queues", name="Queues")
    votes_import(path=votes, arena=arena)
    # The boards every arena gets, made now; then one board with one method per family.
    leaderboards_check(enqueue=False)
    RatingRun.objects.all().delete()
    Leaderboard.objects.exclude(slug="all").update(is_active=False)
    Leaderboard.objects.filter(slug="all").update(
        methods=["bt", "elo", "nash"], bootstrap_rounds=0, method_options={"elo": {"bootstrap": 20}}
    )

    stack = Stack(tmp=tmp_path)
    broker = redis.Redis(port=stack.redis_port)
    try:
        stack.start_redis()
        stack.start_worker("heavy", queues="ratings.heavy")
        check = (
            "from leaderboards.services import leaderboards_check; leaderboards_check(); "
            "from arena.tasks import judgings_check; judgings_check.delay()"
        )
        subprocess.run(
            [str(BIN / "python"), "manage.py", "shell", "-c", check],
            cwd=ROOT,
            env=stack.env,
            check=True,
            capture_output=True,
        )
        assert set(_statuses()) == {"bt", "elo", "nash"}
        _wait(lambda: _statuses()["nash"] == "done", 120, stack, "the heavy worker's nash run")
        time.sleep(3)  # time enough for the heavy worker to take anything else it could
        assert _statuses() == {"bt": "queued", "elo": "queued", "nash": "done"}
        waiting = {q: broker.llen(q) for q in ("ratings.fast", "ratings.bootstrap", "arena")}
        assert waiting == {"ratings.fast": 1, "ratings.bootstrap": 1, "arena": 1}

        # A worker started without -Q, as `make worker` and deploy/run.sh start it, takes all.
        stack.start_worker("worker")
        _wait(
            lambda: _statuses() == {"bt": "done", "elo": "done", "nash": "done"},
            120,
            stack,
            "the default worker's runs",
        )
        _wait(lambda: broker.llen("arena") == 0, 30, stack, "the housekeeping task")
    finally:
        stack.stop_all()
        broker.close()
    heavy_log = (tmp_path / "heavy.log").read_text(errors="replace")
    assert heavy_log.count("] received") == 1, heavy_log[-3000:]
