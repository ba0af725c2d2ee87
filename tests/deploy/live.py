"""The production web process for tests: `deploy/run.sh web` (gunicorn with uvicorn workers,
deploy/gunicorn.conf.py, DEBUG off) against the test database and a Redis server of the test's
own, on a free loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e.stack import BIN, ROOT, Stack, database_url, free_port


@dataclass(frozen=True)
class Live:
    url: str
    redis_url: str
    log: Path


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("gunicorn exited:\n" + log.read_text(errors="replace")[-3000:])
        try:
            if httpx.get(url + "/health/live/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("gunicorn did not answer in 60 s:\n" + log.read_text()[-3000:])


@contextmanager
def gunicorn(tmp: Path, **settings: str) -> Iterator[Live]:
    """Serve the site as `make stack` does; ``settings`` are extra environment variables."""
    redis = Stack(tmp=tmp)
    redis.start_redis()
    port = free_port()
    redis_url = f"redis://127.0.0.1:{redis.redis_port}/0"
    env = dict(
        os.environ,
        PATH=f"{BIN}:{os.environ.get('PATH', '')}",
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        DEBUG="0",
        SECRET_KEY="live-test-secret-key-not-for-production-0123456789abcdef",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_COOKIES="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        CELERY_TASK_ALWAYS_EAGER="0",
        LOG_FORMAT="text",
        WEB_ACCESS_LOG="0",
        WEB_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp / "prometheus"),
        **settings,
    )
    log = tmp / "web.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["bash", str(ROOT / "deploy" / "run.sh"), "web"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield Live(url=url, redis_url=redis_url, log=log)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        redis.stop_all()
