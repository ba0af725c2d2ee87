"""Benchmark of serving as an arena grows: the battle page + vote, the beat's check, ``/boards/``.

Builds, in a fresh PostgreSQL database (``arena_scale_bench`` unless BENCH_DATABASE_URL says
otherwise), arenas that share 100 competitors and one prompt set of 20,000 prompts with about
400,000 answers (each prompt answered by about a fifth of the competitors) and differ only in
their votes: 10,000 in one, 1,000,000 in the other by default. Prompts, answers, battles and
votes are generated inside PostgreSQL (``INSERT … SELECT generate_series``), never as Python
rows, so the 1M arena takes a minute or two. Each vote is a crowd vote except one in ten, a
judge's.

Then it times, at each size: the crowd's battle page plus its vote (``GET /a/<slug>/`` and
``POST /battles/<id>/vote/`` through Django's full middleware stack, p50 and p99), the judges'
``POST /api/v1/battles``, the beat's check per board (``scope_watermark``, the value the check
reads per leaderboard) and the public ``/a/<slug>/boards/`` page after a Bradley–Terry run.
Serving should not grow with the votes: the ratio of the large arena to the small is printed.

    .venv/bin/python bench/scale_serving.py --sizes 10000,1000000
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import database_create, django_setup  # noqa: E402 (bench/ is on sys.path)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/arena_scale_bench"


def shared_seed(n_competitors: int, n_prompts: int, share: float) -> int:
    """The competitors, prompts, prompt set and answers every arena shares; the set's id."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.21)")
        cursor.execute(
            "INSERT INTO arena_competitor (name, organisation, description, licence, url, "
            "is_active, created_at, null_model_cleared, null_model_flagged) "
            "SELECT 'scale-m' || i, '', '', '', '', true, now(), false, false "
            "FROM generate_series(1, %s) i",
            [n_competitors],
        )
        cursor.execute(
            "INSERT INTO arena_prompt (text, category, language, content_hash, external_id, "
            "created_at) SELECT 'Scale prompt ' || i || '?', "
            "(ARRAY['code', 'math', 'writing', 'general'])[1 + i %% 4], 'en', "
            "md5('scale' || i), '', now() FROM generate_series(1, %s) i",
            [n_prompts],
        )
        cursor.execute(
            "INSERT INTO arena_promptset (name, version, description, created_at) "
            "VALUES ('scale-set', 1, '', now()) RETURNING id"
        )
        prompt_set = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO arena_promptset_prompts (promptset_id, prompt_id) "
            "SELECT %s, id FROM arena_prompt WHERE text LIKE 'Scale prompt %%'",
            [prompt_set],
        )
        cursor.execute(
            "INSERT INTO arena_completion (text, n_chars, n_tokens, header_count, list_count, "
            "bold_count, created_at, competitor_id, prompt_id, identity_leak, leak_allowed, "
            "origin) SELECT 'answer ' || c.id || ' to ' || p.id, 20, 5 + (c.id + p.id) %% 200, "
            "0, (c.id * p.id) %% 3, 0, now(), c.id, p.id, '', false, 'uploaded' "
            "FROM arena_prompt p CROSS JOIN arena_competitor c "
            "WHERE p.text LIKE 'Scale prompt %%' AND c.name LIKE 'scale-m%%' AND random() < %s",
            [share],
        )
        cursor.execute(
            "INSERT INTO arena_judge (name, description, is_active, created_at) "
            "VALUES ('scale-judge', '', true, now()) ON CONFLICT DO NOTHING"
        )
    return int(prompt_set)


def arena_seed(slug: str, prompt_set: int, n_votes: int) -> object:
    """An arena over the shared answers with ``n_votes`` random votes, made in PostgreSQL."""
    from django.db import connection

    from arena.models import Arena, Competitor, Judge

    arena = Arena.objects.create(slug=slug, name=slug)
    arena.prompt_sets.add(prompt_set)
    arena.competitors.set(Competitor.objects.filter(name__startswith="scale-m"))
    judge = Judge.objects.get(name="scale-judge")
    with connection.cursor() as cursor:
        # Each battle: a random prompt and two of its answers (numbered per prompt).
        cursor.execute(
            "CREATE TEMP TABLE answers AS SELECT prompt_id, competitor_id, id, "
            "row_number() OVER (PARTITION BY prompt_id ORDER BY id) - 1 AS k, "
            "count(*) OVER (PARTITION BY prompt_id) AS n FROM arena_completion "
            "WHERE prompt_id IN (SELECT prompt_id FROM arena_promptset_prompts "
            "WHERE promptset_id = %s)",
            [prompt_set],
        )
        cursor.execute("CREATE INDEX ON answers (prompt_id, k)")
        cursor.execute(
            "CREATE TEMP TABLE prompts AS SELECT row_number() OVER (ORDER BY prompt_id) AS r, "
            "prompt_id, max(n) AS n FROM answers GROUP BY prompt_id HAVING max(n) >= 2"
        )
        cursor.execute("SELECT count(*) FROM prompts")
        n_prompts = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO arena_battle (public_id, origin, session_key, created_at, expires_at, "
            "competitor_a_id, competitor_b_id, prompt_id, arena_id, condition, "
            "completion_a_id, completion_b_id) "
            "SELECT md5(%s || g.i), 'import', '', now() - interval '1 day', now(), "
            "a.competitor_id, b.competitor_id, p.prompt_id, %s, 'blind', a.id, b.id "
            "FROM (SELECT i, 1 + floor(random() * %s)::int AS r, random() AS u, random() AS v "
            "FROM generate_series(1, %s) i) g "
            "JOIN prompts p ON p.r = g.r "
            "JOIN answers a ON a.prompt_id = p.prompt_id AND a.k = floor(g.u * p.n) "
            "JOIN answers b ON b.prompt_id = p.prompt_id "
            "AND b.k = (floor(g.u * p.n)::bigint + 1 + floor(g.v * (p.n - 1))::bigint) %% p.n",
            [slug, arena.pk, n_prompts, n_votes],
        )
        cursor.execute(
            "INSERT INTO arena_vote (outcome, source, session_key, external_voter, rationale, "
            "meta, created_at, battle_id, reason, voter_kind, identity_revealed, judge_id) "
            "SELECT 1 + (random() * 3.999)::int %% 4, "
            "CASE WHEN b.id %% 10 = 0 THEN 'judge' ELSE 'crowd' END, "
            "'voter' || (b.id %% 5000), '', '', '{}', b.created_at, b.id, '', "
            "CASE WHEN b.id %% 10 = 0 THEN 'judge' ELSE 'anonymous' END, false, "
            "CASE WHEN b.id %% 10 = 0 THEN %s END "
            "FROM arena_battle b WHERE b.arena_id = %s ORDER BY b.id",
            [judge.pk, arena.pk],
        )
        cursor.execute("DROP TABLE answers, prompts")
        cursor.execute("ANALYZE")
    return arena


def served(arena: object, n: int) -> list[float]:
    """Milliseconds per battle served and voted on, through the whole middleware stack."""
    from django.test import Client

    client = Client()
    slug = arena.slug  # type: ignore[attr-defined]
    times = []
    for k in range(n + 2):
        start = time.perf_counter()
        page = client.get(f"/a/{slug}/").content.decode()
        public_id = re.search(r'action="/battles/([^/]+)/vote/"', page)[1]  # type: ignore[index]
        voted = client.post(f"/battles/{public_id}/vote/", {"outcome": "A"})
        if voted.status_code not in (200, 303):  # a crowd vote answers 303 to its result
            raise SystemExit(f"vote refused: {voted.status_code} {voted.content[:200]!r}")
        if k >= 2:  # the first few warm caches and connections
            times.append(1000 * (time.perf_counter() - start))
    return times


def judge_served(arena: object, key: str, n: int) -> list[float]:
    """Milliseconds per ``POST /api/v1/battles`` (one battle) by a judge."""
    from django.test import Client

    client = Client(headers={"authorization": f"Bearer {key}"})
    times = []
    for k in range(n + 3):
        start = time.perf_counter()
        made = client.post(
            f"/api/v1/arenas/{arena.slug}/battles",  # type: ignore[attr-defined]
            {"count": 1},
            content_type="application/json",
        )
        if made.status_code not in (200, 201):
            raise SystemExit(f"battle refused: {made.status_code} {made.content[:200]!r}")
        if k >= 3:
            times.append(1000 * (time.perf_counter() - start))
    return times


def checks(arena: object, repeat: int) -> dict[str, tuple[float, float]]:
    """Per board, milliseconds of its watermark (the query the beat's check runs per board):
    the first look (nothing remembered yet) and the median of the next ``repeat``."""
    from arena import selectors as arena_selectors
    from leaderboards import selectors, services
    from leaderboards.models import Leaderboard

    services.leaderboards_ensure_defaults(arena)
    out = {}
    for board in Leaderboard.objects.filter(arena=arena, is_active=True).order_by("slug"):
        scope = selectors.scope_of(board)
        times = []
        for _ in range(repeat + 1):
            start = time.perf_counter()
            arena_selectors.scope_watermark(board.arena, scope)
            times.append(1000 * (time.perf_counter() - start))
        out[board.slug] = times[0], statistics.median(times[1:])
    return out


def boards_page(arena: object, repeat: int) -> float:
    """Median milliseconds of ``/a/<slug>/boards/`` once a Bradley–Terry run is published."""
    from django.test import Client

    client = Client()
    times = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        page = client.get(f"/a/{arena.slug}/boards/")  # type: ignore[attr-defined]
        if page.status_code != 200:
            raise SystemExit(f"/boards/ failed: {page.status_code}")
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times[1:])


def board_run(arena: object) -> None:
    """Publish one Bradley–Terry run on the arena's ``all`` board (what ``/boards/`` shows)."""
    from leaderboards import services
    from leaderboards.models import Leaderboard, RatingRun

    services.leaderboards_ensure_defaults(arena)
    Leaderboard.objects.filter(arena=arena).update(methods=["bt"])
    services.leaderboards_check(enqueue=False)
    run = RatingRun.objects.filter(
        leaderboard__arena=arena, leaderboard__slug="all", method="bt"
    ).latest("watermark")
    services.rating_run_execute(run_id=run.id, task_id="bench")


def percentile(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--sizes", default="10000,1000000", help="votes per arena")
    parser.add_argument("--battles", type=int, default=40, help="measured per arena")
    parser.add_argument("--keep", action="store_true", help="reuse the database's arenas")
    args = parser.parse_args(argv)
    for cap in ("SESSION_PER_HOUR", "SESSION_PER_DAY", "ADDRESS_PER_HOUR", "ADDRESS_PER_DAY"):
        os.environ[f"ARENA_VOTE_CAP_{cap}"] = "0"
    os.environ["ARENA_PAGE_RATE_PER_ADDRESS"] = os.environ["ARENA_PAGE_RATE_PER_USER"] = ""
    os.environ["ARENA_API_RATE_PER_KEY"] = os.environ["ARENA_API_RATE_PER_ADDRESS"] = "100000/min"
    if not args.keep:
        database_create(args.database_url)
    django_setup(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from arena.models import Arena, Judge
    from arena.services.api_keys import api_key_create

    sizes = [int(s) for s in args.sizes.split(",")]
    if not args.keep:
        start = time.perf_counter()
        prompt_set = shared_seed(100, 20_000, 0.2)
        print(f"shared answers made in {time.perf_counter() - start:.1f} s")
        for size in sizes:
            start = time.perf_counter()
            arena_seed(f"scale{size}", prompt_set, size)
            print(f"arena of {size:,} votes made in {time.perf_counter() - start:.1f} s")
    key = api_key_create(
        name="bench", scopes=["judge"], judge=Judge.objects.get(name="scale-judge")
    )[1]
    print(f"load average {os.getloadavg()[0]:.1f}")
    arenas = {size: Arena.objects.get(slug=f"scale{size}") for size in sizes}
    # Rounds alternate between the sizes, so that a change in the machine's load (it is
    # shared) falls on both alike.
    crowd: dict[int, list[float]] = {size: [] for size in sizes}
    judge: dict[int, list[float]] = {size: [] for size in sizes}
    rounds = 4
    for _ in range(rounds):
        for size in sizes:
            crowd[size] += served(arenas[size], args.battles // rounds)
            judge[size] += judge_served(arenas[size], key, args.battles // (2 * rounds))
    results = {}
    for size in sizes:
        arena = arenas[size]
        check = checks(arena, 5)
        start = time.perf_counter()
        board_run(arena)
        run_s = time.perf_counter() - start
        boards = boards_page(arena, 3)
        results[size] = statistics.median(crowd[size]), statistics.median(judge[size]), boards
        print(f"{size:>9,} votes")
        print(
            f"  battle page + vote   p50 {statistics.median(crowd[size]):7.1f} ms   "
            f"p99 {percentile(crowd[size], 0.99):7.1f} ms   ({len(crowd[size])} battles)"
        )
        print(
            f"  judge POST /battles  p50 {statistics.median(judge[size]):7.1f} ms   "
            f"p99 {percentile(judge[size], 0.99):7.1f} ms"
        )
        for slug, (first, then) in check.items():
            print(f"  check of board {slug:<8} first {first:7.1f} ms   then {then:7.1f} ms")
        print(f"  /boards/ page        {boards:7.1f} ms   (after a bt run of {run_s:.1f} s)")
    if len(sizes) > 1:
        small, large = results[sizes[0]], results[sizes[-1]]
        print(
            f"{sizes[-1]:,} / {sizes[0]:,} votes: crowd p50 {large[0] / small[0]:.2f}x, "
            f"judge p50 {large[1] / small[1]:.2f}x, /boards/ {large[2] / small[2]:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
