"""`make stack` for real: deploy/local.sh starts gunicorn (several uvicorn workers), a Celery
worker and beat with DEBUG off, against the test database and a Redis server of the test's own.

Votes go in over HTTP (crowd page and judge API), a leaderboard comes back over the websocket,
the health endpoint and the metrics are read, and `deploy/local.sh down` must leave no process
of any of the stack's process groups behind.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from arena.models import Judge, Vote
from tests.arena.api_helpers import key_for
from tests.e2e.stack import BIN, ROOT, Stack, board_push, database_url, free_port
from tests.e2e.test_vote_to_leaderboard import cast_vote

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCAL_SH = ROOT / "deploy" / "local.sh"


def live_pids(pgid: int) -> list[int]:
    """Processes of a process group that still exist (zombies do not count: they hold nothing)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            pids.append(int(stat.parent.name))
    return pids


def stack_env(stack_dir: Path, redis_port: int, web_port: int) -> dict[str, str]:
    return dict(
        os.environ,
        STACK_DIR=str(stack_dir),
        STACK_PORT=str(web_port),
        STACK_BIN=str(BIN),
        STACK_STOP_SECONDS="15",
        DATABASE_URL=database_url(),
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        CHANNELS_PREFIX=f"smoke{uuid.uuid4().hex[:8]}",
        WEB_CONCURRENCY="2",
        CELERY_CONCURRENCY="1",
        ARENA_RATING_CHECK_SECONDS="1",
        ARENA_WORKER_METRICS_PORT=str(free_port()),
    )


def local_sh(command: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(LOCAL_SH), command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_make_stack_serves_votes_boards_health_and_metrics_and_stops_clean(
    arena_setup, tmp_path: Path
):
    redis = Stack(tmp=tmp_path)  # only its own redis-server, on a free port
    redis.start_redis()
    stack_dir = tmp_path / "stack"
    env = stack_env(stack_dir, redis.redis_port, free_port())
    base = f"http://127.0.0.1:{env['STACK_PORT']}"
    judge_key = key_for(scopes=["judge"], judge=Judge.objects.create(name="smoke-judge"))
    pgids: dict[str, int] = {}
    started = time.monotonic()
    try:
        up = local_sh("up", env, timeout=150)
        pgids = {p.stem: int(p.read_text()) for p in stack_dir.glob("*.pid")}
        assert up.returncode == 0, up.stdout + up.stderr
        assert set(pgids) == {"web", "worker", "beat"}
        # gunicorn's master and its two uvicorn workers.
        assert len(live_pids(pgids["web"])) == 3
        booted = time.monotonic() - started
        _exercise(base, env, judge_key, stack_dir)
        # The Celery worker and its pool process (which ran the jobs).
        assert len(live_pids(pgids["worker"])) == 2
    finally:
        down = local_sh("down", env, timeout=120)
        redis.stop_all()
    assert down.returncode == 0, down.stdout + down.stderr
    assert {name: live_pids(pgid) for name, pgid in pgids.items()} == {
        "web": [],
        "worker": [],
        "beat": [],
    }
    assert not list(stack_dir.glob("*.pid"))
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/health/live/", timeout=2)
    print(f"stack up in {booted:.1f} s; whole test {time.monotonic() - started:.1f} s")


def _exercise(base: str, env: dict[str, str], judge_key: str, stack_dir: Path) -> None:
    with httpx.Client() as client:
        for k in range(4):
            cast_vote(client, base, "AB"[k % 2])
        page = client.get(base + "/").text
        public_id = re.search(r'action="/battles/([^/]+)/vote/"', page)[1]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        vote = {"outcome": "A", "csrfmiddlewaretoken": token}
        headers = {"Referer": base + "/"}
        first = client.post(f"{base}/battles/{public_id}/vote/", data=vote, headers=headers)
        again = client.post(f"{base}/battles/{public_id}/vote/", data=vote, headers=headers)
        assert (first.status_code, again.status_code) == (303, 409)

        judge = {"Authorization": f"Bearer {judge_key}"}
        served = client.post(base + "/api/v1/battles", json={"count": 1}, headers=judge)
        assert served.status_code == 200, served.text
        battle = served.json()["battles"][0]["id"]
        voted = client.post(
            f"{base}/api/v1/battles/{battle}/vote", json={"outcome": "B"}, headers=judge
        )
        assert voted.status_code == 201, voted.text
        bad = client.post(
            f"{base}/api/v1/battles/{battle}/vote", json={"outcome": "Z"}, headers=judge
        )
        assert bad.status_code == 400

    n_votes = Vote.objects.count()
    assert n_votes == 6
    pushed = board_push(base, lambda m: m.get("method") == "bt" and m.get("n_votes") == n_votes)
    assert pushed["watermark"] == Vote.objects.latest("id").id

    health = httpx.get(base + "/health/", timeout=5)
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"]
    assert body["checks"]["redis"]["ok"]
    assert 0 <= body["newest_run"]["age_seconds"] < 60
    secret = (stack_dir / "secret_key").read_text().strip()
    for value in (secret, env["DATABASE_URL"], env["REDIS_URL"]):
        assert value not in health.text

    metrics = httpx.get(base + "/metrics", timeout=5)
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    found = samples(metrics.text)
    crowd, judge_source = frozenset({("source", "crowd")}), frozenset({("source", "judge")})
    # Votes were answered by either of the two web workers; the scrape sums both.
    assert found[("arena_votes_accepted_total", crowd)] == 5
    assert found[("arena_votes_accepted_total", judge_source)] == 1
    refused = frozenset({("source", "crowd"), ("code", "already_voted")})
    assert found[("arena_votes_refused_total", refused)] == 1
    # Rating jobs ran in the Celery worker's pool process, yet the web's scrape shows them.
    bt_done = frozenset({("method", "bt"), ("status", "done")})
    assert found[("arena_rating_job_duration_seconds_count", bt_done)] >= 1
    assert found[("arena_rating_job_duration_seconds_sum", bt_done)] > 0
    assert found[("arena_broker_up", frozenset())] == 1
    assert found[("arena_celery_queue_length", frozenset({("queue", "celery")}))] >= 0
    assert found[("arena_newest_run_age_seconds", frozenset())] >= 0
    # The worker's own metrics server (what Prometheus scrapes where web and worker do not
    # share a disk) shows the same job durations.
    worker_port = env["ARENA_WORKER_METRICS_PORT"]
    from_worker = samples(httpx.get(f"http://127.0.0.1:{worker_port}/", timeout=5).text)
    worker_count = from_worker[("arena_rating_job_duration_seconds_count", bt_done)]
    assert worker_count >= found[("arena_rating_job_duration_seconds_count", bt_done)]

    # JSON logs: every line of the web's log is one JSON record, and so is the worker's but for
    # the warning Celery prints before logging starts when it runs as root (as here; the image
    # does not).
    web = _json_log(stack_dir / "web.log", lambda line: True)
    worker = _json_log(stack_dir / "worker.log", lambda line: line.startswith("{"))
    assert any("POST /battles/" in r["message"] for r in web if r["name"] == "uvicorn.access")
    assert any("succeeded" in r["message"] for r in worker if r["name"] == "celery.app.trace")


def _json_log(path: Path, is_record: Any) -> list[dict[str, Any]]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if is_record(line)]
    assert records
    assert all({"time", "level", "name", "message"} <= record.keys() for record in records)
    return records
