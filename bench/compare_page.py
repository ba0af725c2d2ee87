"""The comparator's cost per request: unbounded (as it was), bounded, and served from the cache.

Creates a fresh PostgreSQL database (``arena_compare_bench`` unless BENCH_DATABASE_URL says
otherwise) with two competitors that answered ``--prompts`` prompts at ``--words`` words each,
and ``--votes`` votes between them, then times ``comparison()`` (what the page and the API
call) in this process: with no bounds and no cache (every request as before), with the default
bounds on a cold cache, and again on the warm cache.

    .venv/bin/python bench/compare_page.py
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import database_create, django_setup

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/arena_compare_bench"


def seed(n_prompts: int, n_words: int, n_votes: int) -> object:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from arena.models import Arena, Competitor, Completion, Outcome, Prompt, PromptSet
    from arena.services.battles import battle_create
    from arena.services.votes import vote_record
    from arena.voters import Voter

    rng = random.Random(0)
    words = [f"w{k}" for k in range(2000)]
    x, y = (Competitor.objects.create(name=name) for name in ("bench-x", "bench-y"))
    prompts = [Prompt.objects.create(text=f"Bench prompt {i}?") for i in range(n_prompts)]
    Completion.objects.bulk_create(
        [
            Completion(prompt=p, competitor=c, text=" ".join(rng.choices(words, k=n_words)))
            for p in prompts
            for c in (x, y)
        ]
    )
    arena = Arena.objects.create(slug="bench", name="bench")
    prompt_set = PromptSet.objects.create(name="bench-set")
    prompt_set.prompts.set(prompts)
    arena.prompt_sets.add(prompt_set)
    arena.competitors.set([x, y])
    for k in range(n_votes):
        voter = Voter(session_key=f"bench-{k % 50}")
        battle = battle_create(arena=arena, voter=voter, rng=rng)
        vote_record(public_id=battle.public_id, voter=voter, outcome=rng.choice(list(Outcome)))
    return arena


def timed(call: object, repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--prompts", type=int, default=500)
    parser.add_argument("--words", type=int, default=1500, help="words per answer")
    parser.add_argument("--votes", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    database_create(args.database_url)
    django_setup(args.database_url)
    from django.core.cache import cache

    from leaderboards.reports.comparator import CompareBounds, comparison

    arena = seed(args.prompts, args.words, args.votes)
    unbounded = CompareBounds(max_chars=10**9, max_prompts=10**9, cache_seconds=600)
    bounded = CompareBounds()

    def cold(bounds: CompareBounds) -> None:
        cache.clear()
        comparison(arena, "bench-x", "bench-y", bounds=bounds)  # type: ignore[arg-type]

    before = timed(lambda: cold(unbounded), args.repeats)
    after_cold = timed(lambda: cold(bounded), args.repeats)
    cold(bounded)
    after_warm = timed(
        lambda: comparison(arena, "bench-x", "bench-y", bounds=bounded),  # type: ignore[arg-type]
        args.repeats * 10,
    )
    print(
        f"comparator, {args.prompts} shared prompts x {args.words} words per answer, "
        f"{args.votes} votes (median of {args.repeats}):\n"
        f"  unbounded, uncached (before): {before * 1000:.0f} ms\n"
        f"  bounded ({bounded.max_chars} chars, {bounded.max_prompts} prompts), cold cache: "
        f"{after_cold * 1000:.0f} ms\n"
        f"  bounded, warm cache (every request until a new vote or answer): "
        f"{after_warm * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
