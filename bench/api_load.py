"""Load benchmark of the judge API through the real stack: gunicorn, Django, PostgreSQL.

Creates a fresh PostgreSQL database (``arena_bench`` unless BENCH_DATABASE_URL says otherwise),
seeds an arena, a judge and its key and enough served battles, starts gunicorn on 127.0.0.1,
then sends verdicts from a small asyncio HTTP/1.1 client (keep-alive connections on loopback):
first in batches of 1,000, then one vote per request with an Idempotency-Key. It prints the
throughput and latency percentiles of each phase, then checks in the database that every
accepted verdict is there exactly once, with its outcome, and nothing else is.

    make bench-api            # or: .venv/bin/python bench/api_load.py --help
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ports import free_port  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/arena_bench"
OUTCOMES = ("A", "B", "TIE", "BOTH_BAD")


# --- database and server -----------------------------------------------------------------------


def database_create(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(n_battles: int, n_competitors: int = 8, n_prompts: int = 40) -> tuple[str, list[str]]:
    """An arena with every competitor answering every prompt; a judge key; served battles."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from arena.models import Arena, Competitor, Completion, Judge, Prompt, PromptSet
    from arena.services.api_keys import api_key_create
    from arena.services.battles import battles_serve
    from arena.voters import Voter

    competitors = [Competitor.objects.create(name=f"bench-model-{i}") for i in range(n_competitors)]
    prompts = [Prompt.objects.create(text=f"Bench prompt {i}?") for i in range(n_prompts)]
    Completion.objects.bulk_create(
        [
            Completion(prompt=p, competitor=c, text=f"{c.name} answers {p.text} " * 20)
            for p in prompts
            for c in competitors
        ]
    )
    arena = Arena.objects.create(slug="main", name="Main", is_default=True)
    prompt_set = PromptSet.objects.create(name="bench")
    prompt_set.prompts.set(prompts)
    arena.prompt_sets.add(prompt_set)
    arena.competitors.set(competitors)
    judge = Judge.objects.create(name="bench-judge")
    _, secret = api_key_create(name="bench", scopes=["judge"], judge=judge)
    ids: list[str] = []
    while len(ids) < n_battles:
        battles = battles_serve(arena=arena, voter=Voter(judge=judge), count=100)
        ids.extend(b.public_id for b in battles)
    return secret, ids[:n_battles]


def server_start(url: str, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DATABASE_CONN_MAX_AGE": "600",
        "DEBUG": "0",
        # Plain HTTP on loopback: no redirect to HTTPS, no secure-only cookies.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "REDIS_URL": "",
        "ARENA_API_RATE_PER_KEY": "1000000/min",
        "ARENA_API_RATE_PER_ADDRESS": "1000000/min",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "--keep-alive=30",
        "--log-level=warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start within 30 s")


# --- a minimal keep-alive HTTP/1.1 client ------------------------------------------------------


class Connection:
    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.auth = f"Authorization: Bearer {key}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: str = "") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{headers}".encode()
            + self.auth
            + b"\r\n"
            + body
        )
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        data = await self._chunked() if chunked else await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return status, data

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while size := int((await self.reader.readline()).strip(), 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()
        return b"".join(parts)


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    accepted: dict[str, str] = field(default_factory=dict)
    refused: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def run_phase(
    phase: Phase,
    port: int,
    key: str,
    requests: Sequence[tuple[str, bytes, str, dict[str, str]]],
    concurrency: int,
) -> None:
    """Send the requests over ``concurrency`` keep-alive connections, as fast as answered."""
    queue = list(reversed(requests))

    async def worker() -> None:
        connection = Connection(port, key)
        while queue:
            path, body, headers, verdicts = queue.pop()
            start = time.perf_counter()
            status, _ = await connection.post(path, body, headers)
            phase.latencies.append(time.perf_counter() - start)
            if status == 201:
                phase.accepted.update(verdicts)
            else:
                phase.refused[status] = phase.refused.get(status, 0) + 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    phase.seconds = time.perf_counter() - start


def batch_requests(
    ids: Sequence[str], size: int, rng: random.Random
) -> list[tuple[str, bytes, str, dict[str, str]]]:
    requests = []
    for start in range(0, len(ids), size):
        verdicts = {i: rng.choice(OUTCOMES) for i in ids[start : start + size]}
        body = json.dumps(
            {
                "votes": [
                    {"battle": i, "outcome": o, "rationale": "bench"} for i, o in verdicts.items()
                ]
            }
        ).encode()
        requests.append(
            ("/api/v1/votes/batch", body, f"Idempotency-Key: batch-{ids[start]}\r\n", verdicts)
        )
    return requests


def single_requests(
    ids: Sequence[str], rng: random.Random
) -> list[tuple[str, bytes, str, dict[str, str]]]:
    requests = []
    for battle in ids:
        outcome = rng.choice(OUTCOMES)
        body = json.dumps({"outcome": outcome, "rationale": "bench"}).encode()
        requests.append(
            (
                f"/api/v1/battles/{battle}/vote",
                body,
                f"Idempotency-Key: v-{battle}\r\n",
                {battle: outcome},
            )
        )
    return requests


# --- checking and reporting --------------------------------------------------------------------


def check_database(accepted: dict[str, str]) -> tuple[bool, str]:
    """Every accepted verdict is in the database exactly once, with its outcome; nothing else."""
    from django.db.models import Count

    from arena.models import Outcome, Vote

    rows = Vote.objects.values_list("battle__public_id", "outcome")
    stored: dict[str, str] = {}
    for public_id, outcome in rows:
        stored[public_id] = Outcome(outcome).name
    duplicates = Vote.objects.values("battle").annotate(n=Count("id")).filter(n__gt=1).count()
    total = Vote.objects.count()
    ok = stored == accepted and duplicates == 0 and total == len(accepted)
    return ok, f"{total} votes in the database for {len(accepted)} accepted verdicts, " + (
        "each exactly once with its outcome" if ok else f"MISMATCH ({duplicates} duplicated)"
    )


def report(phase: Phase, unit: str, per_request: int) -> float:
    n = len(phase.latencies)
    rate = len(phase.accepted) / phase.seconds if phase.seconds else 0.0
    print(
        f"{phase.name}: {n} requests in {phase.seconds:.2f} s -> {rate:,.0f} {unit}/s "
        f"({n / phase.seconds:,.1f} requests/s, {per_request} verdicts each); latency p50 "
        f"{phase.percentile(0.50):.1f} ms, p99 {phase.percentile(0.99):.1f} ms, max "
        f"{phase.percentile(1.0):.1f} ms; refused {phase.refused or 'none'}"
    )
    return rate


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--batches", type=int, default=60, help="batch requests (default 60)")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=6000, help="single-vote requests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--batch-concurrency", type=int, default=4)
    parser.add_argument("--single-concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured single votes first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a throughput or latency target is missed (a lost or duplicated vote "
        "always exits 1)",
    )
    return parser.parse_args(argv)


def phases_run(
    args: argparse.Namespace, port: int, key: str, ids: list[str]
) -> tuple[Phase, Phase, Phase]:
    """Warm-up (every server thread imports and connects: not measured), batches, singles."""
    rng = random.Random(args.seed)
    n_warm = args.warmup + 2 * args.batch_size
    n_batch = args.batches * args.batch_size
    warm_ids, batch_ids, single_ids = (
        ids[:n_warm],
        ids[n_warm : n_warm + n_batch],
        ids[n_warm + n_batch :],
    )
    phases = (Phase("warm-up"), Phase("batch submissions"), Phase("single votes"))
    loads = (
        batch_requests(warm_ids[: 2 * args.batch_size], args.batch_size, rng)
        + single_requests(warm_ids[2 * args.batch_size :], rng),
        batch_requests(batch_ids, args.batch_size, rng),
        single_requests(single_ids, rng),
    )
    concurrency = (args.single_concurrency, args.batch_concurrency, args.single_concurrency)
    for phase, load, n in zip(phases, loads, concurrency, strict=True):
        asyncio.run(run_phase(phase, port, key, load, n))
    return phases


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    total = args.warmup + (args.batches + 2) * args.batch_size + args.singles
    print(f"Preparing {args.database_url.rsplit('/', 1)[-1]}: {total} battles ...")
    database_create(args.database_url)
    django_setup(args.database_url)
    key, ids = seed(total)
    port = free_port()
    server = server_start(args.database_url, port, args.workers, args.threads)
    try:
        warmup, batches, singles = phases_run(args, port, key, ids)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    batch_rate = report(batches, "verdicts", args.batch_size)
    single_rate = report(singles, "votes", 1)
    ok, message = check_database({**warmup.accepted, **batches.accepted, **singles.accepted})
    print(message)
    p99 = singles.percentile(0.99)
    targets = [
        (batch_rate >= 5000, f"batch verdicts/s >= 5,000: {batch_rate:,.0f}"),
        (single_rate >= 300, f"single votes/s >= 300: {single_rate:,.0f}"),
        (p99 < 100, f"single-vote p99 < 100 ms: {p99:.1f} ms"),
        (ok, "every accepted vote stored exactly once"),
    ]
    for passed, label in targets:
        print(f"  [{'ok' if passed else 'MISSED'}] {label}")
    if not ok:
        return 1
    return 1 if args.strict and not all(passed for passed, _ in targets) else 0


if __name__ == "__main__":
    sys.exit(main())
