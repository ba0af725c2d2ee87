"""The production-shaped stack in subprocesses for end-to-end tests.

A Daphne ASGI server, a Celery worker and celery beat, against the test database and a Redis
server of the test's own (so a test may stop and restart it without touching anything else).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import websockets
from django.conf import settings

from bench.ports import free_port, redis_server_command, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@dataclass
class Stack:
    tmp: Path
    web_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    prefix: str = field(default_factory=lambda: f"e2e{uuid.uuid4().hex[:8]}")
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, IO[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def env(self) -> dict[str, str]:
        return dict(
            os.environ,
            DATABASE_URL=database_url(),
            DATABASE_CONN_MAX_AGE="0",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            CELERY_TASK_ALWAYS_EAGER="0",
            CELERY_VISIBILITY_TIMEOUT="4",
            ARENA_RATING_CHECK_SECONDS="1",
            ARENA_RATING_REQUEUE_SECONDS="5",
            ARENA_RATING_LEASE_SECONDS="3",
            CHANNELS_PREFIX=self.prefix,
            PYTHONUNBUFFERED="1",
        )

    def start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("ab")
        self.logs[name] = log
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start_redis(self) -> None:
        redis = shutil.which("redis-server")
        if redis is None:
            pytest.skip("redis-server is not installed (make test installs it)")
        self.start("redis", redis_server_command(redis, self.redis_port))
        wait_for_port(self.redis_port)

    def start_web(self) -> None:
        self.start(
            "web",
            [
                str(BIN / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(self.web_port),
                "config.asgi:application",
            ],
        )
        wait_for_port(self.web_port)

    def start_worker(self, name: str = "worker", *, queues: str = "") -> None:
        """A worker; with ``queues`` (comma-separated), one that consumes only those."""
        self.start(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-n",
                f"{name}-{uuid.uuid4().hex[:6]}@%h",
                *(["-Q", queues] if queues else []),
            ],
        )

    def start_beat(self) -> None:
        self.start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                "-s",
                str(self.tmp / "beat-schedule"),
            ],
        )

    def kill(self, name: str, sig: int = signal.SIGKILL, timeout: float = 30.0) -> None:
        """Signal a process group and wait for it; SIGKILL it if it outlives ``timeout``."""
        process = self.processes[name]
        for signal_number in (sig, signal.SIGKILL):
            try:
                os.killpg(process.pid, signal_number)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        process.wait(timeout=30)
        del self.processes[name]

    def stop_all(self) -> None:
        # Redis last: the others need it to shut down cleanly.
        for name in reversed(list(self.processes)):
            self.kill(name, signal.SIGTERM, timeout=10)
        for log in self.logs.values():
            log.close()

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@contextmanager
def running_stack(tmp: Path, *, worker: bool = True, beat: bool = True) -> Iterator[Stack]:
    stack = Stack(tmp=tmp)
    try:
        stack.start_redis()
        stack.start_web()
        if worker:
            stack.start_worker()
        if beat:
            stack.start_beat()
        yield stack
    finally:
        stack.stop_all()


async def _board_push(base: str, want: Any, timeout: float) -> dict[str, Any]:
    url = base.replace("http://", "ws://") + "/ws/a/main/boards/all/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with websockets.connect(url, origin=base) as ws:
                while time.monotonic() < deadline:
                    left = max(deadline - time.monotonic(), 0.1)
                    message = json.loads(await asyncio.wait_for(ws.recv(), left))
                    if want(message):
                        return message
        except (websockets.InvalidStatus, ConnectionError, OSError):
            await asyncio.sleep(0.5)
        except TimeoutError:
            break
    raise AssertionError(f"no matching leaderboard push in {timeout} s")


def board_push(base: str, want: Any, timeout: float = 45.0) -> dict[str, Any]:
    """The first push on the main arena's ``all`` board that ``want`` accepts, connecting (and
    reconnecting until the board exists) to the site at ``base``; AssertionError on timeout."""
    return asyncio.run(_board_push(base, want, timeout))
