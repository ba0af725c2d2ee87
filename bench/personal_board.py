"""The personal board page ("Your board", ``/me/board/``) with 10,000 votes in the arena.

Creates a fresh PostgreSQL database (``arena_personal_bench`` unless BENCH_DATABASE_URL says
otherwise) with an arena of ``--competitors`` competitors, ``--votes`` votes imported from a
generated vote file (the 50 of one signed-in voter among them, cast through the crowd service),
then times the page through Django's test client: first with the competitor-names query as it
was before issue #19 (three joins OR-ed, which PostgreSQL multiplied out), then as it is now.
The page must render under ``--floor`` seconds (1 s, the issue's target); the exit code says so.

    .venv/bin/python bench/personal_board.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import database_create, django_setup

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/arena_personal_bench"
WINNERS = ("model_a", "model_b", "tie", "tie (bothbad)")


def seed(n_competitors: int, n_votes: int, n_mine: int) -> Any:
    """The arena and the signed-in voter whose board is timed."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from arena.models import Arena, Competitor, Completion, Outcome, Prompt, PromptSet, User
    from arena.services.battles import battle_create
    from arena.services.imports import votes_import
    from arena.services.votes import vote_record
    from arena.voters import Voter

    rng = random.Random(0)
    names = [f"bench-{k:02d}" for k in range(n_competitors)]
    competitors = [Competitor.objects.create(name=name) for name in names]
    prompts = [Prompt.objects.create(text=f"Bench prompt {i}?") for i in range(20)]
    Completion.objects.bulk_create(
        [
            Completion(prompt=p, competitor=c, text=f"answer {p.pk}.{c.pk}")
            for p in prompts
            for c in competitors
        ]
    )
    arena = Arena.objects.create(slug="bench", name="bench", is_default=True)
    prompt_set = PromptSet.objects.create(name="bench-set")
    prompt_set.prompts.set(prompts)
    arena.prompt_sets.add(prompt_set)
    arena.competitors.set(competitors)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "votes.jsonl"
        with path.open("w") as out:
            for k in range(n_votes - n_mine):
                a, b = rng.sample(names, 2)
                record = {
                    "model_a": a,
                    "model_b": b,
                    "winner": rng.choice(WINNERS),
                    "judge": f"v{k % 300}",
                    "question_id": k % 20,
                }
                out.write(json.dumps(record) + "\n")
        votes_import(path=path, arena=arena)
    me = User.objects.create_user(username="bench-me", password="unused-bench-password")  # noqa: S106
    voter = Voter(user=me)
    for _ in range(n_mine):
        battle = battle_create(arena=arena, voter=voter, rng=rng)
        vote_record(public_id=battle.public_id, voter=voter, outcome=rng.choice(list(Outcome)))
    return me


def names_before(arena: Any) -> list[str]:
    """The competitor-names query as it was before issue #19."""
    from django.db.models import Q

    from arena.models import Battle, Competitor

    voted = Battle.objects.filter(arena=arena, vote__isnull=False)
    return list(
        Competitor.objects.filter(
            Q(arenas=arena) | Q(battles_as_a__in=voted) | Q(battles_as_b__in=voted)
        )
        .distinct()
        .order_by("name")
        .values_list("name", flat=True)
    )


def timed_page(client: Any, repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get("/me/board/")
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200 or b'id="personal-ready"' not in response.content:
            raise SystemExit(f"the page did not render the board: {response.status_code}")
    return statistics.median(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--votes", type=int, default=10_000)
    parser.add_argument("--mine", type=int, default=50, help="the timed voter's votes")
    parser.add_argument("--competitors", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--floor", type=float, default=1.0, help="seconds the page must beat")
    parser.add_argument("--skip-before", action="store_true", help="time only the current code")
    args = parser.parse_args(argv)
    database_create(args.database_url)
    django_setup(args.database_url)
    from django.conf import settings
    from django.test import Client

    import arena.selectors

    settings.ALLOWED_HOSTS = ["*"]
    me = seed(args.competitors, args.votes, args.mine)
    client = Client()
    client.force_login(me)
    current = arena.selectors.competitor_names_for_arena
    before = None
    if not args.skip_before:
        arena.selectors.competitor_names_for_arena = names_before  # type: ignore[assignment]
        before = timed_page(client, args.repeats)
        arena.selectors.competitor_names_for_arena = current
    after = timed_page(client, args.repeats)
    print(
        f"personal board page, {args.votes} votes in the arena, {args.mine} of them the voter's, "
        f"{args.competitors} competitors (median of {args.repeats}):\n"
        + (f"  before (names by three OR-ed joins): {before:.3f} s\n" if before is not None else "")
        + f"  after (names by subquery): {after:.3f} s\n"
        f"  floor: {args.floor:.3f} s -> {'PASS' if after < args.floor else 'FAIL'}"
    )
    return 0 if after < args.floor else 1


if __name__ == "__main__":
    raise SystemExit(main())
