"""The demo as a newcomer runs it, voted on as fast as the page allows: no vote fails (#19).

The finding: in ``make demo`` (SQLite, in-process rating jobs) 4 of about 99 votes answered 503
"database is locked" while a rating job wrote, on an unstyled plain-text page. Here the demo's
own steps run in a subprocess on a fresh SQLite file (migrate, seed, recompute, runserver with
the in-process beat), and a real browser casts 200 votes by keyboard, each followed by the next
battle, while the beat publishes new runs; every response the browser gets must be a success.
(The demo has no vote caps: one person trying the site. A deployment on PostgreSQL keeps them.)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import browser_page

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
VOTES = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _demo_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ARENA_INPROCESS_BEAT": "1",
        "PYTHONUNBUFFERED": "1",
    }
    return env


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> Iterator[str]:
    """The demo's steps (those of ``make demo``) on a fresh SQLite file; its base URL."""
    tmp = demo_dir
    env = _demo_env(tmp)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for step in (
        ["migrate", "--no-input"],
        # The demo's arenas, answers and simulated crowd, without the 15,200 imported Vicuna
        # votes: the same write paths and in-process jobs, at a seed the suite can afford.
        ["seed_demo", "--if-empty", "--without-vicuna-votes"],
        ["recompute", "--no-progress"],
    ):
        subprocess.run([*manage, *step], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/health/live/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_two_hundred_votes_as_fast_as_the_page_allows_all_succeed(
    demo: str, demo_dir: Path
) -> None:
    failures: list[str] = []
    recorded = 0
    with browser_page(viewport={"width": 1280, "height": 900}) as page:
        page.on(
            "response",
            lambda r: (
                failures.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 400 and "/static/" not in r.url
                else None
            ),
        )
        page.goto(demo + "/")
        for k in range(VOTES):
            page.wait_for_selector("#vote-form")
            with page.expect_navigation():
                page.keyboard.press("abtx"[k % 4])
            if page.locator("#vote-recorded").count() == 0:
                break  # the failure is in ``failures``
            recorded += 1
            with page.expect_navigation():
                page.keyboard.press("n")
    assert failures == []
    assert recorded == VOTES
    # The in-process jobs ran: the web process knows the rating task by name (a regression
    # left every run queued with "NotRegistered" in the demo).
    log = (demo_dir / "server.log").read_text()
    assert "could not enqueue" not in log
    assert "database is locked" not in log
