"""A page per competitor: who made it, its licence and link, its ratings and head-to-heads."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from arena.models import Competitor, Outcome, Vote
from leaderboards import services
from leaderboards.models import RatingRun

pytestmark = pytest.mark.django_db


def _run_all() -> None:
    for run_id in services.leaderboards_check(enqueue=False):
        services.rating_run_execute(run_id=run_id, task_id=f"t{run_id}")


def _head_to_heads_by_brute_force(me: Competitor) -> dict[str, Counter[str]]:
    """Each opponent's wins, losses, ties and both-bad against ``me``, vote by vote."""
    table: dict[str, Counter[str]] = {}
    for vote in Vote.objects.select_related("battle__competitor_a", "battle__competitor_b"):
        a, b = vote.battle.competitor_a, vote.battle.competitor_b
        if me not in (a, b):
            continue
        other = b if a == me else a
        mine = Outcome.A if a == me else Outcome.B
        theirs = Outcome.B if a == me else Outcome.A
        key = {
            mine: "wins",
            theirs: "losses",
            Outcome.TIE: "ties",
            Outcome.BOTH_BAD: "both_bad",
        }[Outcome(vote.outcome)]
        table.setdefault(other.name, Counter())[key] += 1
    return table


def test_model_page_shows_facts_ratings_and_head_to_heads(arena_setup, cast_votes):
    me = arena_setup["competitors"][0]
    me.organisation = "Example Labs"
    me.licence = "Apache-2.0"
    me.url = "https://example.org/model-0"
    me.save()
    cast_votes(30)
    _run_all()
    url = reverse("arena-competitor", args=["main", me.name])
    response = Client().get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Example Labs" in body
    assert "Apache-2.0" in body
    assert 'href="https://example.org/model-0"' in body
    # Its rating on the arena's overall board, as the latest run published it.
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    rating = next(r["rating"] for r in run.result["competitors"] if r["name"] == me.name)
    assert re.search(r'id="rating-history"', body)
    assert f"{rating:.1f}" in body
    # Head-to-heads against a count made vote by vote.
    expected = _head_to_heads_by_brute_force(me)
    rows = re.findall(
        r'<tr data-opponent="([^"]+)">.*?data-wins="(\d+)".*?data-losses="(\d+)"'
        r'.*?data-ties="(\d+)".*?data-both-bad="(\d+)"',
        body,
        re.S,
    )
    assert rows
    keys = ("wins", "losses", "ties", "both_bad")
    shown = {
        name: Counter({k: int(v) for k, v in zip(keys, counts, strict=True) if int(v)})
        for name, *counts in rows
    }
    assert shown == expected
    # Each opponent links to its own page and to the comparison.
    other = arena_setup["competitors"][1]
    assert f'href="{reverse("arena-competitor", args=["main", other.name])}"' in body
    assert f'href="{reverse("arena-compare", args=["main", me.name, other.name])}"' in body


def test_model_page_before_any_vote_and_for_unknown_names(arena_setup):
    me = arena_setup["competitors"][1]
    response = Client().get(reverse("arena-competitor", args=["main", me.name]))
    assert response.status_code == 200
    assert "No votes yet" in response.content.decode()
    assert Client().get(reverse("arena-competitor", args=["main", "nobody"])).status_code == 404


def test_model_page_names_with_a_slash_resolve(arena_setup, make_arena):
    odd = Competitor.objects.create(name="org/model-7b v2")
    arena_setup["arena"].competitors.add(odd)
    url = reverse("arena-competitor", args=["main", odd.name])
    assert Client().get(url).status_code == 200


def test_a_private_arenas_model_page_stays_private(arena_setup, make_arena):
    hidden = make_arena("hush", competitors=arena_setup["competitors"], visibility="private")
    url = reverse("arena-competitor", args=[hidden.slug, arena_setup["competitors"][0].name])
    assert Client().get(url).status_code == 404


def test_statistics_table_links_names_to_model_pages(arena_setup):
    body = Client().get(reverse("arena-statistics", args=["main"])).content.decode()
    for competitor in arena_setup["competitors"]:
        assert f'href="{reverse("arena-competitor", args=["main", competitor.name])}"' in body
