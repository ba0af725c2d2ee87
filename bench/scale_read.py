"""Rating jobs at scale: each method beside the GROUP BY floor, the import rate, Elo bootstrap.

Creates a fresh PostgreSQL database (``arena_scale_bench`` unless --database-url says otherwise),
generates an arena of ``--votes`` votes inside PostgreSQL (``INSERT … SELECT generate_series``,
no Python row a vote: ``--competitors`` competitors, ``--prompts`` prompts), then prints:

- the floor: the ``GROUP BY`` (pair × outcome) over the scope's joined, filtered votes;
- each method's run on the ``all`` board (``leaderboards.services.runs.run_compute``: the read
  and the fit), its wall time, its ratio to the floor and its peak traced memory (tracemalloc,
  which numpy reports its arrays to);
- Elo with ``--bootstrap`` rounds;
- ``votes_import`` of a generated ``--import-votes`` vote file: votes/s and peak traced memory.

    .venv/bin/python bench/scale_read.py                 # 1M votes (about ten minutes)
    .venv/bin/python bench/scale_read.py --votes 10000000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/arena_scale_bench"
METHODS = ("bt", "elo", "bt-davidson", "nash", "equilibrium-ne", "equilibrium-cce")


def database_create(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def generate(arena_id: int, n_votes: int, n_competitors: int, n_prompts: int) -> None:
    """Competitors, prompts, battles and votes, made by PostgreSQL itself."""
    from django.db import connection

    from arena.models import Arena, Competitor

    Competitor.objects.bulk_create(
        [Competitor(name=f"model-{k:03d}") for k in range(n_competitors)]
    )
    ids = list(Competitor.objects.order_by("id").values_list("id", flat=True))
    Arena.objects.get(pk=arena_id).competitors.add(*ids)
    first, last = ids[0], ids[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO arena_prompt (text, category, language, content_hash, external_id,"
            " created_at) SELECT 'prompt ' || i, 'cat' || (i %% 20), 'en', md5('p' || i),"
            " 'q' || i, now() FROM generate_series(1, %s) i",
            [n_prompts],
        )
        cursor.execute("SELECT min(id) FROM arena_prompt")
        prompt0 = cursor.fetchone()[0]
        n = last - first + 1
        # pair (a, b): a uniform, b = a + 1 + uniform(n - 1) mod n: never a self-battle
        cursor.execute(
            "INSERT INTO arena_battle (public_id, origin, session_key, created_at, expires_at,"
            " competitor_a_id, competitor_b_id, prompt_id, arena_id, condition)"
            " SELECT 'g' || i, 'import', '', now(), now(), %s + a, %s + (a + 1 + d) %% %s,"
            " %s + (i %% %s), %s, 'blind'"
            " FROM (SELECT i, (random() * %s)::int %% %s AS a,"
            " (random() * (%s - 1))::int %% (%s - 1) AS d FROM generate_series(1, %s) i) s",
            [first, first, n, prompt0, n_prompts, arena_id, n, n, n, n, n_votes],
        )
        # the first competitor is strongest: A wins more often the lower its index
        cursor.execute(
            "INSERT INTO arena_vote (outcome, source, session_key, external_voter, rationale,"
            " meta, created_at, battle_id, reason, voter_kind, identity_revealed)"
            " SELECT CASE WHEN r < 0.1 THEN 3 WHEN r < 0.12 THEN 4"
            " WHEN random() < 0.5 + (b.competitor_b_id - b.competitor_a_id) / (4.0 * %s)"
            " THEN 1 ELSE 2 END, 'crowd', '',"
            " 'crowd:' || (b.id %% 5000), '', '{}', now(), b.id, '', 'anonymous', false"
            " FROM (SELECT *, random() AS r FROM arena_battle WHERE arena_id = %s) b ORDER BY b.id",
            [n, arena_id],
        )
        cursor.execute("ANALYZE")


def measured(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds and peak traced MB of one call."""
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 1e6, result


def floor(board: Any, watermark: int) -> float:
    from django.db.models import Count

    from arena import selectors as arena_selectors
    from leaderboards.selectors import scope_of

    votes = arena_selectors.votes_in_scope(board.arena, scope_of(board)).filter(id__lte=watermark)
    started = time.perf_counter()
    list(
        votes.values("battle__competitor_a_id", "battle__competitor_b_id", "outcome").annotate(
            n=Count("id")
        )
    )
    return time.perf_counter() - started


def check_per_board() -> None:
    """The beat's check (``leaderboards_check``): a first pass (boards made, nothing
    remembered), then the best of 3 passes with no new vote, per active board."""
    from leaderboards.models import Leaderboard
    from leaderboards.services.runs import leaderboards_check

    started = time.perf_counter()
    leaderboards_check(enqueue=False)
    first = time.perf_counter() - started
    n_boards = Leaderboard.objects.filter(is_active=True).count()
    passes = []
    for _ in range(3):
        started = time.perf_counter()
        leaderboards_check(enqueue=False)
        passes.append(time.perf_counter() - started)
    print(
        f"check: {1000 * min(passes) / n_boards:.1f} ms per board, {n_boards} boards "
        f"(best of 3 passes; the first pass {first:.2f} s)"
    )


def run_method(board: Any, method: str, watermark: int, bootstrap: int) -> Callable[[], Any]:
    from leaderboards.models import RatingRun
    from leaderboards.services.runs import params_key, run_compute, run_options
    from ratings import engine

    board.bootstrap_rounds = bootstrap
    options = engine.options_to_json(run_options(board, method))
    run = RatingRun.objects.create(
        leaderboard=board,
        method=method,
        params={"options": options},
        params_key=params_key(method, options | {"bench_rounds": bootstrap}),
        watermark=watermark,
    )
    return lambda: run_compute(run)


def import_file(path: Path, n_votes: int, n_competitors: int, n_prompts: int) -> None:
    rng = random.Random(0)
    winners = ("model_a", "model_b", "tie", "tie (bothbad)")
    with path.open("w") as out:
        for t in range(n_votes):
            a = rng.randrange(n_competitors)
            b = (a + 1 + rng.randrange(n_competitors - 1)) % n_competitors
            q = rng.randrange(n_prompts)
            record = {
                "question_id": f"q{q}",
                "prompt": f"imported prompt {q}",
                "model_a": f"imported-{a}",
                "model_b": f"imported-{b}",
                "winner": winners[rng.randrange(4)],
                "judge": f"crowd:{rng.randrange(5000)}",
                "tstamp": 1.7e9 + t,
            }
            out.write(json.dumps(record) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--competitors", type=int, default=200)
    parser.add_argument("--prompts", type=int, default=50_000)
    parser.add_argument("--import-votes", type=int, default=200_000)
    parser.add_argument("--bootstrap", type=int, default=100)
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args(argv)

    database_create(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from arena import selectors as arena_selectors
    from arena.models import Arena
    from arena.services.imports import votes_import
    from leaderboards.models import Leaderboard
    from leaderboards.selectors import scope_of
    from leaderboards.services.runs import leaderboards_ensure_defaults

    arena = Arena.objects.create(slug="scale", name="Scale")
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    started = time.perf_counter()
    generate(arena.pk, args.votes, args.competitors, args.prompts)
    print(f"generated {args.votes:,} votes in PostgreSQL in {time.perf_counter() - started:.1f} s")
    leaderboards_ensure_defaults(arena)
    board = Leaderboard.objects.get(arena=arena, slug="all")
    watermark = arena_selectors.scope_watermark(arena, scope_of(board))
    assert watermark is not None
    floors = [floor(board, watermark) for _ in range(3)]
    base = min(floors)
    each = ", ".join(f"{f:.2f}" for f in floors)
    print(f"floor: GROUP BY pair x outcome {base:.2f} s (best of 3: {each})")
    check_per_board()
    print(f"{'method':<22}{'seconds':>9}{'x floor':>9}{'peak MB':>9}")
    for method in args.methods.split(","):
        seconds, peak, _ = measured(run_method(board, method, watermark, 0))
        print(f"{method:<22}{seconds:>9.2f}{seconds / base:>9.2f}{peak:>9.0f}")
    seconds, peak, _ = measured(run_method(board, "elo", watermark, args.bootstrap))
    label = f"elo, {args.bootstrap} bootstrap"
    print(f"{label:<22}{seconds:>9.2f}{seconds / base:>9.2f}{peak:>9.0f}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "votes.jsonl"
        import_file(path, args.import_votes, args.competitors, args.prompts)
        target = Arena.objects.create(slug="imported", name="Imported")
        seconds, peak, report = measured(lambda: votes_import(path=path, arena=target))
    print(
        f"import: {report.votes_created:,} votes in {seconds:.1f} s, "
        f"{report.votes_created / seconds:,.0f} votes/s, peak {peak:.0f} MB traced"
    )


if __name__ == "__main__":
    main()
