"""200 parallel clients against the production web process, with and without the connection pool.

Starts a PostgreSQL cluster of its own (``initdb``; ``max_connections`` 100, its default), a
``redis-server`` and `deploy/run.sh web` (gunicorn, WEB_CONCURRENCY uvicorn workers, DEBUG off),
seeds the demo arena, then has ``--clients`` clients each ask for the battle page (a new battle
per request: reads and a write) ``--requests`` times, all at once. Prints the answers by status,
the most connections PostgreSQL held, and the time, for each ``--pool`` size (0: no pool, each
request thread opens a connection of its own).

    .venv/bin/python bench/parallel_clients.py --pool 0 --pool 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faults import BIN, ROOT, Postgres
from ports import free_port, redis_server_command, wait_for_port


def _env(pg: Postgres, redis_port: int, web_port: int, pool: int, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "DATABASE_URL": pg.url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DATABASE_POOL_MAX_SIZE": str(pool),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdefghij",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "WEB_BIND": f"127.0.0.1:{web_port}",
        "WEB_ACCESS_LOG": "0",
        "LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"prometheus-{pool}"),
        # One address at a rate no person sends: the page limits and vote caps are off here.
        "ARENA_PAGE_RATE_PER_ADDRESS": "",
        "ARENA_PAGE_RATE_PER_USER": "",
        "ARENA_VOTE_CAP_SESSION_PER_HOUR": "0",
        "ARENA_VOTE_CAP_SESSION_PER_DAY": "0",
        "ARENA_VOTE_CAP_ADDRESS_PER_HOUR": "0",
        "ARENA_VOTE_CAP_ADDRESS_PER_DAY": "0",
    }


async def _clients(url: str, clients: int, requests: int) -> Counter[str]:
    statuses: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:

        async def client() -> None:
            for _ in range(requests):
                try:
                    statuses[str((await http.get(url + "/")).status_code)] += 1
                except httpx.HTTPError as error:
                    statuses[type(error).__name__] += 1

        await asyncio.gather(*(client() for _ in range(clients)))
    return statuses


def _watch(url: str, stop: threading.Event, peak: list[int]) -> None:
    with psycopg.connect(url.replace("/arena", "/postgres"), autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'arena'"
            ).fetchone()
            peak[0] = max(peak[0], int(row[0]) if row else 0)
            time.sleep(0.05)


def run_one(pg: Postgres, redis_port: int, pool: int, args: argparse.Namespace, tmp: Path) -> None:
    port = free_port()
    env = _env(pg, redis_port, port, pool, tmp)
    env["WEB_CONCURRENCY"] = str(args.workers)
    log = (tmp / f"web-{pool}.log").open("ab")
    web = subprocess.Popen(
        ["/bin/bash", str(ROOT / "deploy" / "run.sh"), "web"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port)
        time.sleep(2)
        stop, peak = threading.Event(), [0]
        watcher = threading.Thread(target=_watch, args=(pg.url, stop, peak))
        watcher.start()
        started = time.monotonic()
        statuses = asyncio.run(_clients(f"http://127.0.0.1:{port}", args.clients, args.requests))
        seconds = time.monotonic() - started
        stop.set()
        watcher.join()
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)
        log.close()
    errors = (tmp / f"web-{pool}.log").read_text(errors="replace").count("too many clients")
    print(
        f"pool {pool or 'off'}: {args.clients} clients x {args.requests} battle pages, "
        f"{args.workers} web processes: {dict(sorted(statuses.items()))}, "
        f"peak PostgreSQL connections {peak[0]}, 'too many clients' in the log {errors}, "
        f"{seconds:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=5, help="battle pages per client")
    parser.add_argument("--workers", type=int, default=2, help="web processes")
    parser.add_argument(
        "--pool", type=int, action="append", help="pool max size per process (0: none)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="arena-clients-") as name:
        tmp = Path(name)
        tmp.chmod(0o755)  # PostgreSQL runs as its own user (bench/faults.py)
        pg = Postgres(tmp / "pg")
        pg.tmp.mkdir()
        redis_port = free_port()
        redis = subprocess.Popen(
            redis_server_command("redis-server", redis_port), start_new_session=True
        )
        try:
            pg.init()
            wait_for_port(redis_port)
            env = _env(pg, redis_port, 0, 0, tmp)
            for command in (["migrate", "--no-input", "-v", "0"], ["seed_demo", "--if-empty"]):
                subprocess.run(
                    [sys.executable, "manage.py", *command],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                )
            for pool in args.pool or [0, 10]:
                run_one(pg, redis_port, pool, args, tmp)
        finally:
            redis.terminate()
            redis.wait(timeout=10)
            pg.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
