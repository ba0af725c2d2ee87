"""The import's rate and memory beside PostgreSQL's own COPY rate, measured in the same run.

Generates a vote file of ``--votes`` votes (JSON Lines in the shared schema, as
docs/formats.md describes it: ``question_id``, ``prompt``, ``model_a``, ``model_b``, ``winner``,
``judge``, ``tstamp``; ``--competitors`` competitors, ``--prompts`` prompts), then, each in a
fresh PostgreSQL database:

- floor 1: ``COPY`` of as many rows of the same values into a plain table (no index, no
  constraint): what PostgreSQL takes on this machine at all;
- floor 2: the same battles and votes, made in Python beforehand, written by ``COPY`` straight into
  ``arena_battle`` and ``arena_vote`` with every index the schema has, triggers skipped as the
  import does: the writes alone, without a file to read;
- ``votes_import`` of the file (both passes: the check, then the writing), without tracemalloc:
  votes/s, the client's and the PostgreSQL backend's CPU seconds, and the process's resident
  memory at each quarter of the writing pass (it must not grow with the votes).

It prints the load average before and after, since every figure depends on it.

    .venv/bin/python bench/import_rate.py                 # 1,000,000 votes
    .venv/bin/python bench/import_rate.py --votes 200000
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_read import import_file as votes_file

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/arena_import_bench"


def database_create(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def backend_cpu(connection: Any) -> float:
    """CPU seconds of this connection's PostgreSQL backend (same machine: /proc)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def floor_plain(url: str, n_votes: int) -> float:
    """Seconds to COPY ``n_votes`` rows of a vote's values into a table with nothing on it."""
    import psycopg

    now = datetime.now(UTC)
    rows = ((i, 1 + i % 4, "crowd", "anonymous", f"crowd:{i % 5000}", now) for i in range(n_votes))
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE plain (id bigint, outcome smallint, source text, voter_kind text, "
            "external_voter text, created_at timestamptz)"
        )
        started = time.perf_counter()
        with cursor.copy("COPY plain FROM STDIN (FORMAT binary)") as copy:
            copy.set_types(["int8", "int2", "text", "text", "text", "timestamptz"])
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def floor_tables(n_votes: int, n_competitors: int, n_prompts: int) -> float:
    """Seconds to COPY prepared battles and votes into the arena's own tables (Django set up)."""
    from django.db import transaction
    from django.utils import timezone

    from arena.models import Arena, Battle, Competitor, Prompt, Vote
    from arena.services.bulk import rows_insert
    from arena.services.import_batches import public_ids_draw
    from arena.services.import_triggers import triggers_skip

    arena = Arena.objects.create(slug="floor", name="Floor")
    competitors = [
        c.pk
        for c in Competitor.objects.bulk_create(
            Competitor(name=f"floor-{k}") for k in range(n_competitors)
        )
    ]
    now = timezone.now()
    prompts = rows_insert(
        Prompt,
        ("text", "content_hash", "created_at"),
        [(f"floor prompt {q}", f"{q:064x}", now) for q in range(n_prompts)],
    )
    battle_columns = (
        "public_id",
        "arena_id",
        "prompt_id",
        "competitor_a_id",
        "competitor_b_id",
        "completion_a_id",
        "completion_b_id",
        "origin",
        "created_at",
        "expires_at",
    )
    vote_columns = (
        "battle_id",
        "outcome",
        "source",
        "voter_kind",
        "judge_id",
        "external_voter",
        "import_key",
        "created_at",
        "p_b",
        "meta",
    )
    rng = random.Random(0)
    step, seconds = 10_000, 0.0
    with transaction.atomic():
        triggers_skip(True)
        for at in range(0, n_votes, step):
            battles, votes = [], []  # made outside the clock: only the writes are timed
            for i, public_id in enumerate(public_ids_draw(min(step, n_votes - at)), start=at):
                a = rng.randrange(n_competitors)
                b = (a + 1 + rng.randrange(n_competitors - 1)) % n_competitors
                when = datetime.fromtimestamp(1.7e9 + i, tz=UTC)
                battles.append(
                    (
                        public_id,
                        arena.pk,
                        prompts[rng.randrange(n_prompts)],
                        competitors[a],
                        competitors[b],
                        None,
                        None,
                        "import",
                        when,
                        when,
                    )
                )
                votes.append(
                    (
                        1 + i % 4,
                        "crowd",
                        "anonymous",
                        None,
                        f"crowd:{i % 5000}",
                        f"{i:056x}#1",
                        when,
                        None,
                        {},
                    )
                )
            started = time.perf_counter()
            ids = rows_insert(Battle, battle_columns, battles)
            rows_insert(Vote, vote_columns, [(i, *v) for i, v in zip(ids, votes, strict=True)])
            seconds += time.perf_counter() - started
        triggers_skip(False)
        started = time.perf_counter()
    return seconds + time.perf_counter() - started  # the commit


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def import_measured(path: Path) -> dict[str, Any]:
    """``votes_import`` of the file: seconds, CPU seconds, resident memory along the way."""
    from django.db import connection

    from arena.models import Arena
    from arena.services.imports import votes_import

    arena = Arena.objects.create(slug="imported", name="Imported")
    samples: list[tuple[int, float]] = []
    done = [0]

    def progress(phase: str, n: int, total: int | None) -> None:
        if phase == "importing":
            done[0] += n
            samples.append((done[0], rss_mb()))

    rss_before = rss_mb()
    cpu_db = backend_cpu(connection)
    cpu = os.times()
    started = time.perf_counter()
    report = votes_import(path=path, arena=arena, progress=progress)
    seconds = time.perf_counter() - started
    after = os.times()
    return {
        "votes": report.votes_created,
        "seconds": seconds,
        "client": after.user - cpu.user + after.system - cpu.system,
        "backend": backend_cpu(connection) - cpu_db,
        "rss_before": rss_before,
        "samples": samples,
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--competitors", type=int, default=200)
    parser.add_argument("--prompts", type=int, default=50_000)
    args = parser.parse_args(argv)
    floor_url = args.database_url + "_floor"
    print(load())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "votes.jsonl"
        started = time.perf_counter()
        votes_file(path, args.votes, args.competitors, args.prompts)
        size = path.stat().st_size / 1e6
        seconds = time.perf_counter() - started
        print(f"generated {args.votes:,} votes ({size:.0f} MB) in {seconds:.1f} s")

        database_create(floor_url)
        seconds = floor_plain(floor_url, args.votes)
        print(
            f"floor 1, COPY into a plain table: {seconds:.1f} s, {args.votes / seconds:,.0f} rows/s"
        )

        database_create(args.database_url)
        django_setup(args.database_url)
        measured = import_measured(path)
    from django.core.management import call_command
    from django.db import connection

    # floor 2 in a database of its own, so that the import met the tables as they start
    connection.close()
    connection.settings_dict["NAME"] = urlsplit(floor_url).path.lstrip("/")
    call_command("migrate", verbosity=0)
    floor_seconds = floor_tables(args.votes, args.competitors, args.prompts)
    floor_rate = args.votes / floor_seconds
    print(
        f"floor 2, COPY of prepared battles and votes into the arena's tables: "
        f"{floor_seconds:.1f} s, {floor_rate:,.0f} votes/s"
    )
    rate = measured["votes"] / measured["seconds"]
    print(
        f"import: {measured['votes']:,} votes in {measured['seconds']:.1f} s, {rate:,.0f} votes/s "
        f"({rate / floor_rate:.2f} x floor 2); CPU seconds: client {measured['client']:.1f}, "
        f"PostgreSQL backend {measured['backend']:.1f}"
    )
    samples = measured["samples"]
    quarters = [samples[min(len(samples) - 1, len(samples) * q // 4)] for q in (1, 2, 3, 4)]
    print(
        f"resident memory: {measured['rss_before']:.0f} MB before; during the writing pass "
        + ", ".join(f"{mb:.0f} MB at {n:,}" for n, mb in quarters)
        + f"; peak {measured['peak']:.0f} MB (the whole process: Django, the caches, 3 batches)"
    )
    print(load())


if __name__ == "__main__":
    main()
