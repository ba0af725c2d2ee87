"""The category boards' selectors: what they return and how many queries they take."""

from __future__ import annotations

import pytest

from arena.selectors import prompt_categories_for_arena
from leaderboards.models import Leaderboard, RatingRun
from leaderboards.selectors import overall_ranks
from tests.conftest import answer_all

pytestmark = pytest.mark.django_db


def test_prompt_categories_in_one_query(
    make_competitors, make_prompt, make_arena, django_assert_num_queries
):
    competitors = make_competitors(2)
    prompts = [make_prompt(category=c) for c in ("math", "coding", "math", "")]
    answer_all(competitors, prompts)
    arena = make_arena("main", competitors=competitors, prompts=prompts)
    make_arena("other", competitors=competitors, prompts=[make_prompt(category="poetry")])
    with django_assert_num_queries(1):
        assert prompt_categories_for_arena(arena) == ["coding", "math"]


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
