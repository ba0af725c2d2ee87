"""The demo as ``make demo`` builds it, in a subprocess on a fresh SQLite file, for browser tests.

The demo's own steps (migrate, seed, recompute, runserver with the in-process beat) run here, so
a browser test sees exactly the pages a newcomer sees, with the demo's data.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_env(tmp: Path) -> dict[str, str]:
    """The environment of ``make demo``, with its database in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return env | {
        "DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ARENA_INPROCESS_BEAT": "1",
        "PYTHONUNBUFFERED": "1",
    }


def manage(tmp: Path, *args: str) -> str:
    """Run one management command against the demo's database; its standard output."""
    found = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=demo_env(tmp),
        check=True,
        capture_output=True,
        text=True,
    )
    return found.stdout


@contextmanager
def running_demo(
    tmp: Path, *, extra_steps: Sequence[Sequence[str]] = (), seed_args: Sequence[str] = ()
) -> Iterator[str]:
    """The seeded demo served on a free port; yields its base URL and stops it afterwards.

    ``seed_args`` go to ``seed_demo`` (``--without-vicuna-votes`` for a quicker seed)."""
    seed = ["seed_demo", "--if-empty", *seed_args]
    for step in (["migrate", "--no-input"], seed, *extra_steps):
        manage(tmp, *step)
    manage(tmp, "recompute", "--no-progress")
    port = _free_port()
    serve = ["runserver", "--noreload", f"127.0.0.1:{port}"]
    with (tmp / "server.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *serve],
            cwd=ROOT,
            env=demo_env(tmp),
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
