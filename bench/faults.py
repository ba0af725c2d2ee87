"""Fault test: crowd votes keep their promise while PostgreSQL, Redis and a web worker fail.

Starts a stack of its own on loopback, so that nothing shared is touched: a PostgreSQL cluster
made with ``initdb`` in a temporary directory, a ``redis-server``, and gunicorn (two workers)
serving the site with production settings. A load tool then casts crowd votes the way a
browser does (a session, a served battle, the CSRF token, POST with Origin), retrying a vote
that got no answer or a 503 after its Retry-After, while the faults happen in turn:

1. a web worker is killed (SIGKILL), and gunicorn starts another;
2. Redis is stopped, then started again;
3. PostgreSQL is restarted (``pg_ctl restart -m fast``: every connection is cut).

Afterwards it checks in the database that every vote that got a 2xx answer (or the 303 to its
result page) is there exactly once with the outcome sent, that the site serves again without
anyone touching it, and prints the figures: votes sent, accepted, lost, duplicated, and the
error answers by code. Exit status 0 only when nothing was lost or duplicated and the site
recovered.

    make faults                            # the full form
    .venv/bin/python bench/faults.py --short   # the form the test suite runs
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from ports import (
    free_port,
    redis_server_command,
    wait_for_port,
)  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUTCOMES = ("A", "B", "TIE", "BOTH_BAD")


class Missing(Exception):
    """A server binary this test needs is not installed."""


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; run its tools as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster on a free port (trust authentication, loopback only)."""

    tmp: Path
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise Missing("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are missing")
        self.bin = Path(found[-1]).parent
        self.data = self.tmp / "pgdata"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/arena"

    def _ctl(self, *args: str) -> None:
        command = [
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.tmp / "postgres.log"),
            *args,
        ]
        subprocess.run(_as_postgres(command), check=True, capture_output=True)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.tmp, user="postgres")
        subprocess.run(
            _as_postgres(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self.start()
        subprocess.run(
            [
                str(self.bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "arena",
            ],
            check=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.tmp} -c fsync=off"
        self._ctl("-o", options, "start")

    def restart(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.tmp} -c fsync=off"
        self._ctl("-m", "fast", "-o", options, "restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("-m", "immediate", "stop")


@dataclass
class Stack:
    """PostgreSQL, Redis and gunicorn of this test's own."""

    tmp: Path
    workers: int = 2
    web_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if shutil.which("redis-server") is None:
            raise Missing("redis-server is not installed")
        self.postgres = Postgres(self.tmp / "pg")
        self.postgres.tmp.mkdir()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.postgres.url,
            # Persistent connections, so that the restart leaves dead ones for the health
            # checks to find and replace.
            "DATABASE_CONN_MAX_AGE": "600",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ARENA_RETRY_AFTER_SECONDS": "1",
            # The load comes from one address at a rate no person votes at: caps off here.
            "ARENA_VOTE_CAP_SESSION_PER_HOUR": "0",
            "ARENA_VOTE_CAP_SESSION_PER_DAY": "0",
            "ARENA_VOTE_CAP_ADDRESS_PER_HOUR": "0",
            "ARENA_VOTE_CAP_ADDRESS_PER_DAY": "0",
            "ARENA_PAGE_RATE_PER_ADDRESS": "",
            "ARENA_PAGE_RATE_PER_USER": "",
            "PYTHONUNBUFFERED": "1",
        }

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def redis_start(self) -> None:
        self._start("redis", redis_server_command("redis-server", self.redis_port))
        wait_for_port(self.redis_port)

    def redis_stop(self) -> None:
        process = self.processes.pop("redis")
        process.kill()
        process.wait(timeout=10)

    def setup(self) -> None:
        self.postgres.init()
        self.redis_start()
        env = self.env
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "seed_demo",
                "--without-vicuna-votes",
                "--votes",
                "0",
                "--if-empty",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        self._start(
            "web",
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                f"--bind=127.0.0.1:{self.web_port}",
                f"--workers={self.workers}",
                "--worker-class=gthread",
                "--threads=4",
                "--graceful-timeout=5",
                "--timeout=30",
                "--log-level=warning",
            ],
        )
        wait_for_port(self.web_port)

    def worker_pids(self) -> list[int]:
        master = self.processes["web"].pid
        out = subprocess.run(
            ["/bin/ps", "-o", "pid=", "--ppid", str(master)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            process = self.processes.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                process.kill()
        self.postgres.stop()


_FORM = re.compile(r'action="/battles/([^/]+)/vote/"')
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Figures:
    sent: int = 0
    accepted: dict[str, str] = field(default_factory=dict)  # battle -> outcome sent
    answers: Counter[str] = field(default_factory=Counter)  # vote answers by code
    serve_errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, table: Counter[str], code: str) -> None:
        with self.lock:
            table[code] += 1


def _code(response: httpx.Response | None, error: Exception | None) -> str:
    return str(response.status_code) if response is not None else type(error).__name__


def _vote_once(
    client: httpx.Client, url: str, figures: Figures, stop: threading.Event, rng_outcome: str
) -> None:
    """Serve a battle to this browser and vote on it, retrying until an answer is final."""
    try:
        page = client.get(url + "/", timeout=10)
    except httpx.HTTPError as error:
        figures.count(figures.serve_errors, type(error).__name__)
        time.sleep(0.2)
        return
    found, token = _FORM.search(page.text), _TOKEN.search(page.text)
    if page.status_code != 200 or not found or not token:
        figures.count(figures.serve_errors, str(page.status_code))
        time.sleep(float(page.headers.get("Retry-After", "0.2")))
        return
    public_id = found[1]
    with figures.lock:
        figures.sent += 1
    for _ in range(60):  # a vote gets a final answer or is retried: never silently dropped
        response, error = None, None
        try:
            response = client.post(
                f"{url}/battles/{public_id}/vote/",
                data={"outcome": rng_outcome, "csrfmiddlewaretoken": token[1]},
                headers={"Origin": url, "Referer": url + "/"},
                timeout=10,
            )
        except httpx.HTTPError as exc:
            error = exc
        code = _code(response, error)
        figures.count(figures.answers, code)
        if response is not None and _accepted(response, public_id):
            with figures.lock:
                if public_id in figures.accepted:
                    figures.answers["accepted twice"] += 1
                figures.accepted[public_id] = rng_outcome
            return
        if response is not None and response.status_code == 409:
            return  # an earlier try was recorded, its answer lost with the worker: checked below
        if response is not None and response.status_code not in (502, 503, 504):
            return
        if stop.is_set() and len(figures.answers) > 10_000:
            return
        time.sleep(float(response.headers.get("Retry-After", "0.3")) if response else 0.3)


def _accepted(response: httpx.Response, public_id: str) -> bool:
    """A vote the site says it recorded: a 2xx, or the 303 to the battle's result page."""
    if 200 <= response.status_code < 300:
        return True
    location = response.headers.get("Location", "")
    return response.status_code == 303 and f"/battles/{public_id}/" in location


def load(url: str, clients: int, figures: Figures, stop: threading.Event) -> list[threading.Thread]:
    def run(number: int) -> None:
        with httpx.Client(follow_redirects=False) as client:
            i = 0
            while not stop.is_set():
                _vote_once(client, url, figures, stop, OUTCOMES[(number + i) % 4])
                i += 1

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    return threads


def check(database_url: str, figures: Figures) -> dict[str, int]:
    import psycopg

    outcome_names = {1: "A", 2: "B", 3: "TIE", 4: "BOTH_BAD"}
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT b.public_id, v.outcome FROM arena_vote v JOIN arena_battle b "
            "ON b.id = v.battle_id WHERE v.source = 'crowd'"
        ).fetchall()
    stored = Counter(public_id for public_id, _ in rows)
    outcome = {public_id: outcome_names[o] for public_id, o in rows}
    lost = sum(1 for b in figures.accepted if b not in stored)
    wrong = sum(1 for b, o in figures.accepted.items() if b in outcome and outcome[b] != o)
    duplicated = sum(n - 1 for n in stored.values() if n > 1) + figures.answers["accepted twice"]
    return {"stored": len(rows), "lost": lost, "duplicated": duplicated, "wrong": wrong}


def serves_again(url: str, timeout: float = 30.0) -> float:
    """Seconds until the site serves a battle again after the last fault; inf if it does not."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if httpx.get(url + "/", timeout=5).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return float("inf")


def run(clients: int, seconds: float) -> int:
    step = seconds / 5
    with tempfile.TemporaryDirectory(prefix="arena-faults-") as tmp:
        Path(tmp).chmod(0o755)  # the postgres user must reach its data directory inside
        stack = Stack(Path(tmp))
        try:
            stack.setup()
            figures, stop = Figures(), threading.Event()
            threads = load(stack.url, clients, figures, stop)
            events = []
            deadline = time.monotonic() + 60
            while figures.sent < clients and time.monotonic() < deadline:
                time.sleep(0.1)  # the faults start once every client is voting
            time.sleep(step)
            victim = stack.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            events.append(f"killed web worker {victim} at vote {figures.sent}")
            time.sleep(step)
            stack.redis_stop()
            events.append(f"stopped Redis at vote {figures.sent}")
            time.sleep(step)
            stack.redis_start()
            events.append(f"started Redis at vote {figures.sent}")
            time.sleep(step / 2)
            stack.postgres.restart()
            events.append(f"restarted PostgreSQL at vote {figures.sent}")
            time.sleep(step * 1.5)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            recovered = serves_again(stack.url)
            result = check(stack.postgres.url, figures)
        finally:
            stack.stop()
    errors = {
        k: v for k, v in sorted(figures.answers.items()) if not k.startswith("2") and k != "303"
    }
    print(f"faults: {'; '.join(events)}")
    print(f"clients: {clients}, seconds: {seconds:g}")
    print(f"votes sent: {figures.sent}")
    print(f"accepted (2xx, or 303 to the result page): {len(figures.accepted)}")
    print(f"stored in the database: {result['stored']}")
    print(f"lost: {result['lost']}")
    print(f"duplicated: {result['duplicated']}")
    print(f"stored with another outcome: {result['wrong']}")
    print(f"vote answers by code: {dict(sorted(figures.answers.items()))}")
    print(f"vote answers other than 2xx and 303, by code: {errors or 'none'}")
    print(f"battle pages not served, by code: {dict(figures.serve_errors) or 'none'}")
    print(f"serves again {recovered:.1f} s after the load stopped, without intervention")
    ok = result["lost"] == 0 and result["duplicated"] == 0 and result["wrong"] == 0
    ok = ok and recovered != float("inf") and len(figures.accepted) > 0
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--short", action="store_true", help="6 clients for 8 s (the suite's)")
    args = parser.parse_args(argv)
    clients, seconds = (6, 8.0) if args.short else (args.clients, args.seconds)
    try:
        return run(clients, seconds)
    except Missing as missing:
        print(f"SKIPPED: {missing}")
        return 77


if __name__ == "__main__":
    sys.exit(main())
