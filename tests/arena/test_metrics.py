"""The operators' counters: votes accepted once committed, refusals by code, job durations,
queue depth read from Redis; and the JSON logs the settings configure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
import redis
from django.conf import settings
from prometheus_client import REGISTRY

from arena.exceptions import AlreadyVoted, InvalidRequest
from arena.metrics import QueueDepthCollector
from arena.models import Outcome
from arena.services.votes import Verdict, vote_record, votes_record_batch
from arena.voters import Voter
from tests.e2e.stack import ROOT, free_port


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def accepted(source: str) -> float:
    return sample("arena_votes_accepted_total", source=source)


def refused(source: str, code: str) -> float:
    return sample("arena_votes_refused_total", source=source, code=code)


@pytest.fixture(autouse=True)
def _single_process_mode() -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        pytest.skip("these read the in-process registry; unset PROMETHEUS_MULTIPROC_DIR")


@pytest.mark.django_db
def test_a_vote_is_counted_when_its_transaction_commits(
    arena_setup, make_battle, django_capture_on_commit_callbacks
):
    voter = Voter(session_key="counted")
    battle = make_battle(voter=voter)
    before = accepted("crowd")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        vote_record(public_id=battle.public_id, voter=voter, outcome=Outcome.A)
    assert accepted("crowd") == before
    for callback in callbacks:
        callback()
    assert accepted("crowd") == before + 1


@pytest.mark.django_db
def test_a_refused_vote_is_counted_under_its_code_and_not_as_accepted(
    arena_setup, make_battle, django_capture_on_commit_callbacks
):
    voter = Voter(session_key="twice")
    battle = make_battle(voter=voter)
    with django_capture_on_commit_callbacks(execute=True):
        vote_record(public_id=battle.public_id, voter=voter, outcome=Outcome.A)
    before_accepted, before_refused = accepted("crowd"), refused("crowd", "already_voted")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyVoted):
        vote_record(public_id=battle.public_id, voter=voter, outcome=Outcome.B)
    assert refused("crowd", "already_voted") == before_refused + 1
    assert accepted("crowd") == before_accepted


@pytest.mark.django_db
def test_a_replayed_judge_vote_is_counted_once(
    arena_setup, make_battle, judge, django_capture_on_commit_callbacks
):
    voter = Voter(judge=judge)
    battle = make_battle(voter=voter)
    before = accepted("judge")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            vote_record(
                public_id=battle.public_id, voter=voter, outcome=Outcome.B, idempotency_key="k1"
            )
    assert accepted("judge") == before + 1


@pytest.mark.django_db
def test_a_refused_batch_counts_each_of_its_verdicts(arena_setup):
    verdicts = [
        Verdict(public_id="x", outcome=Outcome.A),
        Verdict(public_id="y", outcome=Outcome.B),
    ]
    before = refused("crowd", "invalid_request")
    with pytest.raises(InvalidRequest):
        votes_record_batch(voter=Voter(session_key="not-a-judge"), verdicts=verdicts)
    assert refused("crowd", "invalid_request") == before + 2


def _collected(collector: QueueDepthCollector) -> dict[tuple[str, tuple[str, ...]], float]:
    return {
        (s.name, tuple(s.labels.values())): s.value
        for family in collector.collect()
        for s in family.samples
    }


def test_queue_depth_is_read_from_redis_including_priority_lists():
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set (make test sets it)")
    queue = f"test-queue-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.lpush(queue, "m1", "m2", "m3")
        client.lpush(f"{queue}\x06\x166", "urgent")
        found = _collected(QueueDepthCollector(settings.REDIS_URL, [queue]))
    finally:
        client.delete(queue, f"{queue}\x06\x166")
        client.close()
    assert found == {("arena_broker_up", ()): 1.0, ("arena_celery_queue_length", (queue,)): 4.0}


def test_queue_depth_reports_a_broker_that_does_not_answer():
    collector = QueueDepthCollector(f"redis://127.0.0.1:{free_port()}/0", ["celery"])
    assert _collected(collector) == {("arena_broker_up", ()): 0.0}


def _django(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LOG_", "PROMETHEUS"))}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**environ, "DJANGO_SETTINGS_MODULE": "config.settings", "REDIS_URL": "", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_json_logs_are_one_object_a_line_with_time_level_and_logger():
    result = _django(
        "import logging; logging.getLogger('arena.test').warning('queue %s is long', 'celery')",
        LOG_FORMAT="json",
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "queue celery is long"
    assert record["level"] == "WARNING"
    assert record["name"] == "arena.test"
    assert {"time", "process"} <= record.keys()


@pytest.mark.parametrize(("name", "value"), [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "LOUD")])
def test_a_bad_log_setting_stops_the_start_naming_the_variable(name, value):
    result = _django("pass", **{name: value})
    assert result.returncode != 0
    assert f"{name}=" in result.stderr
