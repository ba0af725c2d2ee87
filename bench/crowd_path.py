"""Benchmark of the crowd's path with each pairing setting: serve a battle, then vote on it.

Creates a fresh PostgreSQL database (``arena_crowd_bench`` unless BENCH_DATABASE_URL says
otherwise), seeds arenas of 20 and 200 competitors (every one answering every prompt, with a
published Bradley–Terry run so that the adaptive policies have ratings to read), and times the
crowd's two requests through Django's full middleware stack in this process: the battle page
(``GET /``) and the vote (``POST /battles/<id>/vote/``). ``fewest-votes``, the arena's
default, is the baseline measured in the same run; the others are printed beside it.

    make bench-crowd          # or: .venv/bin/python bench/crowd_path.py --help
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import database_create, django_setup  # noqa: E402 (bench/ is on sys.path)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/arena_crowd_bench"
SETTINGS = (
    ("fewest-votes", False),
    ("information", False),
    ("ci-reduction", False),
    ("information", True),
)


def seed(n_competitors: int, n_prompts: int, n_votes: int, slug: str) -> object:
    from arena.models import Arena, Competitor, Completion, Outcome, Prompt, PromptSet
    from arena.services.battles import battle_create
    from arena.services.votes import vote_record
    from arena.voters import Voter
    from leaderboards import services

    rng = random.Random(0)
    competitors = [Competitor.objects.create(name=f"{slug}-m{i}") for i in range(n_competitors)]
    prompts = [Prompt.objects.create(text=f"{slug} prompt {i}?") for i in range(n_prompts)]
    words = [f"w{k}" for k in range(300)]
    Completion.objects.bulk_create(
        [
            Completion(prompt=p, competitor=c, text=" ".join(rng.sample(words, 60)))
            for p in prompts
            for c in competitors
        ]
    )
    arena = Arena.objects.create(slug=slug, name=slug)
    prompt_set = PromptSet.objects.create(name=f"{slug}-set")
    prompt_set.prompts.set(prompts)
    arena.prompt_sets.add(prompt_set)
    arena.competitors.set(competitors)
    strength = {c.pk: k for k, c in enumerate(competitors)}
    for _ in range(n_votes):
        battle = battle_create(arena=arena, voter=Voter(session_key="seed"), rng=rng)
        a_wins = (
            strength[battle.competitor_a_id] + rng.gauss(0, 20) > strength[battle.competitor_b_id]
        )
        vote_record(
            public_id=battle.public_id,
            voter=Voter(session_key="seed"),
            outcome=Outcome.A if a_wins else Outcome.B,
        )
    services.leaderboards_ensure_defaults(arena)
    services.leaderboards_check(enqueue=False)
    from leaderboards.models import RatingRun

    run = RatingRun.objects.get(leaderboard__arena=arena, leaderboard__slug="all", method="bt")
    services.rating_run_execute(run_id=run.id, task_id="bench")
    return arena


def measure(arena: object, policy: str, prompt_priority: bool, n: int) -> list[float]:
    """Milliseconds per battle served and voted on, through the whole middleware stack."""
    from django.test import Client

    arena.pairing_policy = policy  # type: ignore[attr-defined]
    arena.prompt_priority = prompt_priority  # type: ignore[attr-defined]
    arena.save()  # type: ignore[attr-defined]
    client = Client()
    slug = arena.slug  # type: ignore[attr-defined]
    times = []
    for k in range(n + 5):
        start = time.perf_counter()
        page = client.get(f"/a/{slug}/").content.decode()
        public_id = re.search(r'action="/battles/([^/]+)/vote/"', page)[1]
        voted = client.post(f"/battles/{public_id}/vote/", {"outcome": "A"})
        if voted.status_code != 200:
            raise SystemExit(f"vote refused: {voted.status_code} {voted.content[:200]!r}")
        if k >= 5:  # the first few warm caches and connections
            times.append(1000 * (time.perf_counter() - start))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--battles", type=int, default=60, help="measured per setting")
    parser.add_argument("--sizes", default="20,200", help="competitors per arena")
    args = parser.parse_args(argv)
    # The caps on votes per session and address would stop one client voting this much.
    for cap in ("SESSION_PER_HOUR", "SESSION_PER_DAY", "ADDRESS_PER_HOUR", "ADDRESS_PER_DAY"):
        os.environ[f"ARENA_VOTE_CAP_{cap}"] = "0"
    # The same for the crowd pages' rate limits (one address, a machine's rate).
    os.environ["ARENA_PAGE_RATE_PER_ADDRESS"] = os.environ["ARENA_PAGE_RATE_PER_USER"] = ""
    database_create(args.database_url)
    django_setup(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"load average {os.getloadavg()[0]:.1f}; ms per crowd battle (page + vote), median / p90")
    for size in (int(s) for s in args.sizes.split(",")):
        arena = seed(size, 5, 4 * size, f"crowd{size}")
        baseline = None
        for policy, priority in SETTINGS:
            times = measure(arena, policy, priority, args.battles)
            median = statistics.median(times)
            p90 = statistics.quantiles(times, n=10)[-1]
            baseline = baseline or median
            label = policy + (" + prompt priority" if priority else "")
            print(
                f"  {size:>4} competitors  {label:<34} {median:6.1f} / {p90:6.1f} ms  "
                f"({median / baseline:.2f}x the fewest-votes baseline)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
