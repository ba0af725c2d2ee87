"""The category boards' selectors: what they return and how many queries they take."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from arena.models import Battle, Outcome, Vote
from arena.selectors import prompt_categories_for_arena
from leaderboards.models import Leaderboard, RatingRun
from leaderboards.selectors import overall_ranks
from tests.conftest import answer_all

pytestmark = pytest.mark.django_db


def test_prompt_categories_of_the_prompt_sets(
    make_competitors, make_prompt, make_arena, django_assert_max_num_queries
):
    competitors = make_competitors(2)
    prompts = [make_prompt(category=c) for c in ("math", "coding", "math", "")]
    answer_all(competitors, prompts)
    arena = make_arena("main", competitors=competitors, prompts=prompts)
    make_arena("other", competitors=competitors, prompts=[make_prompt(category="poetry")])
    with django_assert_max_num_queries(3):
        assert prompt_categories_for_arena(arena) == ["coding", "math"]


def _voted(arena, prompt, a, b) -> Vote:
    now = timezone.now()
    battle = Battle.objects.create(
        arena=arena,
        prompt=prompt,
        competitor_a=a,
        competitor_b=b,
        origin=Battle.Origin.IMPORT,
        created_at=now,
        expires_at=now,
    )
    return Vote.objects.create(battle=battle, outcome=Outcome.A, source="crowd", created_at=now)


def test_prompt_categories_of_voted_battles_come_from_the_counts_not_the_votes(
    make_competitors, make_prompt, make_arena
):
    """The check asks this every few seconds: no query reads the votes or battles (a join over
    every vote took over ten minutes at 10M votes); a vote on a prompt of a new category still
    shows it at the next look, and another arena's categories stay its own."""
    a, b = make_competitors(2)
    arena = make_arena("main", competitors=[a, b], prompts=[make_prompt(category="math")])
    other = make_arena("other", competitors=[a, b], prompts=[])
    _voted(arena, make_prompt(category="coding"), a, b)
    _voted(other, make_prompt(category="poetry"), a, b)
    assert prompt_categories_for_arena(arena) == ["coding", "math"]
    _voted(arena, make_prompt(category="history"), a, b)
    with CaptureQueriesContext(connection) as captured:
        assert prompt_categories_for_arena(arena) == ["coding", "history", "math"]
    assert len(captured.captured_queries) == 1
    sql = captured.captured_queries[0]["sql"]
    assert '"arena_vote"' not in sql, sql
    assert '"arena_battle"' not in sql, sql
    assert prompt_categories_for_arena(other) == ["poetry"]


def test_overall_ranks_of_a_category_board(arena_setup, django_assert_num_queries):
    arena = arena_setup["arena"]
    overall = Leaderboard.objects.create(arena=arena, slug="all", name="All")
    coding = Leaderboard.objects.create(
        arena=arena, slug="category-coding", name="Coding", category="coding"
    )
    RatingRun.objects.create(
        leaderboard=overall,
        method="bt",
        params_key="k",
        watermark=5,
        status="done",
        result={"competitors": [{"name": "Model 0", "rank": 1}, {"name": "Model 1", "rank": 2}]},
        finished_at="2026-12-03T10:00:00Z",
    )
    with django_assert_num_queries(2):
        assert overall_ranks(coding, "bt") == {"Model 0": 1, "Model 1": 2}
    assert overall_ranks(coding, "elo") is None  # no overall run of that method yet
    with django_assert_num_queries(0):
        assert overall_ranks(overall, "bt") is None  # the overall board has no delta
