"""Operator endpoints: liveness, readiness with the newest run's age, and the metrics scrape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from leaderboards import services
from leaderboards.models import Leaderboard, RatingRun
from tests.e2e.stack import ROOT, free_port


def test_liveness_answers_without_touching_the_database():
    response = Client().get("/health/live/")  # no django_db: a query here would raise
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_is_200_when_database_and_redis_answer_and_gives_the_newest_run_age(
    arena_setup, settings
):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set (make test sets it)")
    board = Leaderboard.objects.create(arena=arena_setup["arena"], slug="x", name="X")
    finished = timezone.now() - timedelta(seconds=30)
    for minutes, status in ((5, "done"), (0, "done"), (-1, "failed")):
        RatingRun.objects.create(
            leaderboard=board,
            method="bt",
            params_key=f"k{minutes}",
            watermark=1,
            status=status,
            result={} if status == "done" else None,
            finished_at=finished - timedelta(minutes=minutes),
        )
    response = Client().get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert body["newest_run"]["finished_at"] == finished.isoformat()
    assert 30 <= body["newest_run"]["age_seconds"] < 60


@pytest.mark.django_db
def test_health_without_any_run_says_so(settings):
    settings.REDIS_URL = ""
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json()["newest_run"] is None
    assert response.json()["checks"]["redis"] == {"ok": True, "configured": False}


@pytest.mark.django_db
def test_health_is_503_when_redis_does_not_answer_and_shows_no_secret(settings):
    settings.REDIS_URL = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    response = Client().get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"] == {"ok": False, "latency_ms": None, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"] is True
    assert "hunter2" not in response.content.decode()


def test_health_is_503_when_the_database_does_not_answer_and_shows_no_secret():
    """A site whose DATABASE_URL points at a closed port, in a process of its own."""
    url = f"postgres://arena:hunter2-secret@127.0.0.1:{free_port()}/arena"
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/health/'); print(r.status_code); print(r.content.decode())"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PROMETHEUS")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**environ, "DATABASE_URL": url, "REDIS_URL": "", "DATABASE_CONNECT_TIMEOUT": "2"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    parsed = json.loads(body)
    assert parsed["checks"]["database"] == {
        "ok": False,
        "latency_ms": None,
        "error": "OperationalError",
    }
    assert parsed["newest_run"] is None
    assert "hunter2" not in result.stdout


@pytest.mark.django_db
def test_health_refuses_other_methods():
    assert Client().post("/health/").status_code == 405


@pytest.mark.django_db
def test_metrics_are_prometheus_text_with_the_operators_counters(settings):
    settings.ARENA_METRICS_TOKEN = ""
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    names = {f.name for f in text_string_to_metric_families(response.content.decode())}
    assert {
        "arena_votes_accepted",
        "arena_votes_refused",
        "arena_rating_job_duration_seconds",
    } <= names


@pytest.mark.django_db
def test_metrics_need_the_token_when_one_is_set(settings):
    settings.ARENA_METRICS_TOKEN = "scrape-token"  # noqa: S105
    client = Client()
    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    right = client.get("/metrics", headers={"Authorization": "Bearer scrape-token"})
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing.json()["code"] == "invalid_metrics_token"


@pytest.mark.django_db
def test_a_rating_job_is_timed_under_its_method_and_status(cast_votes):
    cast_votes(10)
    services.leaderboards_check(enqueue=False)
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    labels = {"method": "bt", "status": "done"}

    def timed() -> float:
        return REGISTRY.get_sample_value("arena_rating_job_duration_seconds_count", labels) or 0.0

    before = timed()
    assert services.rating_run_execute(run_id=run.id, task_id="timed") == "done"
    assert timed() == before + 1
    # A second delivery finds the run done and computes nothing, so it is not timed.
    assert services.rating_run_execute(run_id=run.id, task_id="again") == "done"
    assert timed() == before + 1


@pytest.mark.django_db
def test_newest_published_run_is_one_query(django_assert_num_queries):
    from leaderboards.selectors import run_newest_published_at

    with django_assert_num_queries(1):
        assert run_newest_published_at() is None
