"""The comparator page and API against a hand count of the votes cast."""

from __future__ import annotations

import random

import pytest
from django.test import Client
from django.urls import reverse

from arena.models import Outcome, Vote
from arena.services.battles import battle_create, battles_serve
from arena.services.votes import vote_record
from arena.voters import Voter

pytestmark = pytest.mark.django_db


@pytest.fixture
def voted(arena_setup, judge):
    """Crowd and judge votes in the default arena; the judge explains each verdict."""
    arena, rng = arena_setup["arena"], random.Random(3)
    for k in range(30):
        voter = Voter(session_key=f"s{k % 4}")
        battle = battle_create(arena=arena, voter=voter, rng=rng)
        vote_record(public_id=battle.public_id, voter=voter, outcome=rng.choice(list(Outcome)))
    for k, battle in enumerate(
        battles_serve(arena=arena, voter=Voter(judge=judge), count=20, rng=rng)
    ):
        vote_record(
            public_id=battle.public_id,
            voter=Voter(judge=judge),
            outcome=Outcome.A if k % 3 else Outcome.B,
            rationale="clearer structure" if k % 2 else "more accurate facts",
        )
    return arena_setup


def hand_count(x, y):
    """Wins, losses, ties and both-bad of x against y, from the vote rows."""
    counts = {"wins": 0, "losses": 0, "ties": 0, "both_bad": 0}
    for vote in Vote.objects.select_related("battle"):
        pair = (vote.battle.competitor_a_id, vote.battle.competitor_b_id)
        if set(pair) != {x.pk, y.pk}:
            continue
        x_first = pair[0] == x.pk
        if vote.outcome == Outcome.TIE:
            counts["ties"] += 1
        elif vote.outcome == Outcome.BOTH_BAD:
            counts["both_bad"] += 1
        elif (vote.outcome == Outcome.A) == x_first:
            counts["wins"] += 1
        else:
            counts["losses"] += 1
    return counts


def test_head_to_head_by_category_and_judge_match_a_hand_count(voted, judge):
    x, y = voted["competitors"][:2]
    body = Client().get(reverse("api-arena-compare", args=["main", x.name, y.name])).json()
    expected = hand_count(x, y)
    overall = body["overall"]
    assert {k: overall[k] for k in expected} == expected
    assert overall["n"] == sum(expected.values()) > 0
    assert overall["low"] <= overall["win_share"] <= overall["high"]
    assert sum(h["n"] for h in body["by_judge"].values()) == overall["n"]
    assert set(body["by_judge"]) <= {"crowd", judge.name}
    assert sum(h["n"] for h in body["by_category"].values()) == overall["n"]
    swapped = Client().get(reverse("api-arena-compare", args=["main", y.name, x.name])).json()
    assert swapped["overall"]["wins"] == overall["losses"]
    assert len(body["differing_prompts"]) == 2  # both answered the two prompts


def test_rationale_search_and_the_page(voted, judge):
    x, y = voted["competitors"][:2]
    url = reverse("arena-compare", args=["main", x.name, y.name])
    body = (
        Client()
        .get(reverse("api-arena-compare", args=["main", x.name, y.name]), {"q": "ACCURATE"})
        .json()
    )
    assert body["rationales"]
    assert all("accurate" in r["text"] for r in body["rationales"])
    page = Client().get(url, {"q": "accurate"}).content.decode()
    assert 'id="head-to-head"' in page
    assert 'id="by-category"' in page
    assert "more accurate facts" in page
    assert "clearer structure" not in page
    assert "length-data" in page


def test_unknown_same_or_private_competitors_are_refused(voted, make_arena):
    x = voted["competitors"][0]
    client = Client()
    missing = client.get(reverse("api-arena-compare", args=["main", x.name, "nobody"]))
    assert missing.status_code == 404
    assert missing.json()["code"] == "competitor_not_found"
    same = client.get(reverse("api-arena-compare", args=["main", x.name, x.name.upper()]))
    assert same.status_code == 404
    assert same.json()["code"] == "same_competitor"
    make_arena("hidden", visibility="private")
    assert client.get(reverse("arena-compare", args=["hidden", "a", "b"])).status_code == 404
    pick = client.get(reverse("arena-compare-pick", args=["main"]), {"a": x.name, "b": "other"})
    assert pick.status_code == 302
    # Without a pair the picker is a form (#19), not an error; half a pair is still a 400.
    assert client.get(reverse("arena-compare-pick", args=["main"])).status_code == 200
    half = client.get(reverse("arena-compare-pick", args=["main"]), {"a": x.name})
    assert half.status_code == 400


def _queries(url: str, **params: str) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert Client().get(url, params).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_a_second_request_is_served_from_the_cache_until_a_new_vote(voted, settings):
    """The costly part (every vote between the two, every answer's 3-grams) runs once per
    pair watermark: a repeat reads only the watermark."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "c"}
    }
    x, y = voted["competitors"][:2]
    url = reverse("arena-compare", args=["main", x.name, y.name])
    first = _queries(url)
    second = _queries(url)
    assert any("SUBSTRING" in sql for sql in first)  # the answers were read
    assert any('"rationale"' in sql for sql in first)  # and the votes
    assert not any("SUBSTRING" in sql or '"rationale"' in sql for sql in second)
    assert len(second) < len(first)
    # Another search is another result, computed once too.
    assert any('"rationale"' in sql for sql in _queries(url, q="facts"))
    assert not any('"rationale"' in sql for sql in _queries(url, q="facts"))
    # A new vote between the two moves the watermark: computed again, and counted.
    before = Client().get(reverse("api-arena-compare", args=["main", x.name, y.name])).json()
    arena, voter, rng = voted["arena"], Voter(session_key="late"), random.Random(7)
    for _ in range(50):
        battle = battle_create(arena=arena, voter=voter, rng=rng)
        if {battle.competitor_a_id, battle.competitor_b_id} == {x.pk, y.pk}:
            break
    else:
        pytest.fail("no battle between the two was drawn")
    vote_record(public_id=battle.public_id, voter=voter, outcome=Outcome.TIE)
    assert any('"rationale"' in sql for sql in _queries(url))
    after = Client().get(reverse("api-arena-compare", args=["main", x.name, y.name])).json()
    assert after["overall"]["n"] == before["overall"]["n"] + 1


def test_similarity_reads_bounded_answers_and_the_page_says_so(voted, settings):
    from ratings.core.textsim import text_similarity

    settings.ARENA_COMPARE_MAX_CHARS = 12
    settings.ARENA_COMPARE_MAX_PROMPTS = 1
    x, y = voted["competitors"][:2]
    body = Client().get(reverse("api-arena-compare", args=["main", x.name, y.name])).json()
    assert body["similarity_bounds"] == {"answer_chars": 12, "prompts": 1, "capped": True}
    (row,) = body["differing_prompts"]
    newest = max(p.pk for p in voted["prompts"])
    full_x = x.completions.get(prompt_id=newest).text
    full_y = y.completions.get(prompt_id=newest).text
    assert row["x_answer"] == full_x[:12]
    assert row["similarity"] == text_similarity(full_x[:12], full_y[:12])
    page = Client().get(reverse("arena-compare", args=["main", x.name, y.name])).content.decode()
    assert "first 12 characters of each answer" in page
    assert "the newest 1 of the prompts both answered" in page
