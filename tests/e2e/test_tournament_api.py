"""A single-elimination tournament played through the real judge API by a scripted judge.

Daphne serves the site against the test database; the judge is an HTTP client that fetches its
matches, votes (one vote replayed with its Idempotency-Key, one battle voted on by two requests
at once) and reads the bracket, until the tournament is over.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from arena.models import Completion, Vote
from leaderboards.models import TournamentMatch
from leaderboards.services.tournaments import tournament_create
from tests.arena.api_helpers import key_for
from tests.e2e.stack import running_stack
from tests.leaderboards.direct import direct_bt_ratings

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

N_COMPETITORS, N_PROMPTS = 8, 5


def _quality(answer: str) -> int:
    return int(re.search(r"quality (\d+)", answer)[1])


def _vote(client: httpx.Client, base: str, battle: dict, key: str) -> httpx.Response:
    outcome = "A" if _quality(battle["a"]) > _quality(battle["b"]) else "B"
    return client.post(
        f"{base}/api/v1/battles/{battle['id']}/vote",
        json={"outcome": outcome, "rationale": "the better answer"},
        headers={"Idempotency-Key": key},
    )


def _race(client: httpx.Client, base: str, battle: dict, key: str) -> list[int]:
    """The statuses of two votes on one battle sent at the same moment."""
    barrier = threading.Barrier(2)

    def send(k: int) -> int:
        barrier.wait()
        return _vote(client, base, battle, f"{key}-{k}").status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        return sorted(pool.map(send, range(2)))


def test_a_single_elimination_tournament_runs_through_the_judge_api(
    make_competitors, make_prompt, make_arena, judge, tmp_path: Path
):
    competitors = make_competitors(N_COMPETITORS)
    prompts = [make_prompt() for _ in range(N_PROMPTS)]
    for prompt in prompts:
        for quality, competitor in enumerate(competitors):
            Completion.objects.create(
                prompt=prompt, competitor=competitor, text=f"An answer of quality {quality}."
            )
    arena = make_arena("cup", competitors=competitors, prompts=prompts)
    tournament = tournament_create(
        arena=arena,
        name="Cup",
        format="single-elimination",
        competitors=competitors,
        prompts=prompts,
        judges=[judge],
        seed=3,
    )
    auth = {"Authorization": f"Bearer {key_for(scopes=['judge'], judge=judge)}"}
    with (
        running_stack(tmp_path, worker=False, beat=False) as stack,
        httpx.Client(headers=auth, timeout=30) as client,
    ):
        base = stack.url
        fetch = f"{base}/api/v1/arenas/cup/tournaments/{tournament.pk}/battles"
        replayed = raced = False
        while battles := client.post(fetch, json={"count": 100}).json()["battles"]:
            for battle in battles:
                key = f"v-{battle['id']}"
                if not raced:  # two requests at once on one battle, different keys
                    assert _race(client, base, battle, key) == [201, 409]
                    raced = True
                    continue
                first = _vote(client, base, battle, key)
                assert first.status_code == 201, first.text
                if not replayed:
                    again = _vote(client, base, battle, key)
                    assert again.status_code == 201
                    assert again.json() == first.json()
                    replayed = True
        detail = client.get(f"{base}/api/v1/arenas/cup/tournaments/{tournament.pk}").json()
        page = client.get(f"{base}/a/cup/tournaments/{tournament.pk}/").text

    assert detail["done"] is True
    assert detail["recorded"] == (N_COMPETITORS - 1) * N_PROMPTS == 35
    assert Vote.objects.count() == 35
    matches = TournamentMatch.objects.filter(tournament=tournament)
    assert matches.count() == 35
    assert matches.filter(recorded=True).count() == 35
    assert len(set(matches.values_list("match_id", flat=True))) == 35
    # The ratings computed from the matches: the API's standings are Bradley–Terry on the votes.
    standings = {s["name"]: s["rating"] for s in detail["standings"]}
    assert standings == pytest.approx(direct_bt_ratings(), abs=1e-6)
    assert detail["standings"][0]["name"] == competitors[-1].name
    assert "finished" in page
