"""Per-category boards (issue #19): one per prompt category, made by the rating check, each with
its rank against the overall board, LMArena style."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from arena.models import Arena, Prompt
from arena.selectors import VoteScope, vote_export_rows
from leaderboards.models import Leaderboard, RatingRun
from leaderboards.services import leaderboards_check, rating_run_execute
from leaderboards.services.categories import category_slug
from ratings.cli import main
from tests.conftest import answer_all

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # over whole shared data sets


def _category_boards(arena: Arena) -> dict[str, Leaderboard]:
    return {b.category: b for b in Leaderboard.objects.filter(arena=arena).exclude(category="")}


def test_each_prompt_category_gets_one_board(make_competitors, make_prompt, make_arena):
    competitors = make_competitors(2)
    prompts = [make_prompt(category="coding"), make_prompt(category="math"), make_prompt()]
    prompts.append(make_prompt(category=""))
    answer_all(competitors, prompts)
    arena = make_arena("main", competitors=competitors, prompts=prompts)
    leaderboards_check(enqueue=False)
    boards = _category_boards(arena)
    assert set(boards) == {"coding", "math", "general"}
    assert boards["coding"].slug == "category-coding"
    assert boards["coding"].is_active


def test_category_boards_are_made_once_and_stay_off_when_switched_off(
    make_competitors, make_prompt, make_arena
):
    competitors = make_competitors(2)
    prompts = [make_prompt(category="coding"), make_prompt(category="math")]
    answer_all(competitors, prompts)
    arena = make_arena("main", competitors=competitors, prompts=prompts)
    leaderboards_check(enqueue=False)
    Leaderboard.objects.filter(arena=arena, category="math").update(is_active=False, name="Sums")
    leaderboards_check(enqueue=False)
    leaderboards_check(enqueue=False)
    assert Leaderboard.objects.filter(arena=arena).exclude(category="").count() == 2
    math = Leaderboard.objects.get(arena=arena, category="math")
    assert (math.is_active, math.name) == (False, "Sums")


def test_a_new_category_gets_its_board_at_the_next_check(make_competitors, make_prompt, make_arena):
    competitors = make_competitors(2)
    prompts = [make_prompt(category="coding")]
    answer_all(competitors, prompts)
    arena = make_arena("main", competitors=competitors, prompts=prompts)
    leaderboards_check(enqueue=False)
    assert set(_category_boards(arena)) == {"coding"}
    extra = make_prompt(category="Role play / fiction")
    arena.prompt_sets.first().prompts.add(extra)
    leaderboards_check(enqueue=False)
    assert set(_category_boards(arena)) == {"coding", "Role play / fiction"}
    assert category_slug("Role play / fiction") == "category-role-play-fiction"


# --- the Vicuna-80 demo: 9 categories, 15,200 real votes -------------------------------------


def _rate(path: Path, category: str) -> dict[str, dict]:
    out = io.StringIO()
    args = ["rate", str(path), "--json", "--method", "bt", "--bootstrap", "100", "--seed", "0"]
    args += ["--where", f"category={category}"]
    with contextlib.redirect_stdout(out):
        assert main(args) == 0
    return {row["name"]: row for row in json.loads(out.getvalue())["competitors"]}


@pytest.fixture(scope="module")
def vicuna(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo seeded once, its category boards' bt runs and the overall bt run computed."""
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=io.StringIO())
        leaderboards_check(enqueue=False)
        arena = Arena.objects.get(slug="vicuna-80")
        runs = RatingRun.objects.filter(leaderboard__arena=arena, method="bt").exclude(
            leaderboard__source__in=["crowd", "judge"]
        )
        for run_id in runs.values_list("id", flat=True):
            assert rating_run_execute(run_id=run_id, task_id="test") == "done"
        folder = tmp_path_factory.mktemp("vicuna")
        # The export's own rows, scoped as the boards are: a board leaves out the votes on
        # answers that revealed their model (50 in fermi) and those of held-back null models.
        scope = VoteScope(exclude_identity_revealed=True, without_held_back=True)
        exported = folder / "votes.jsonl"
        with exported.open("w") as out:
            for row in vote_export_rows(arena, scope):
                out.write(json.dumps(row) + "\n")
        yield arena, exported
        call_command("flush", "--no-input", verbosity=0)


@pytest.mark.django_db
def test_vicuna_demo_has_a_board_for_each_of_its_nine_categories(vicuna):
    arena, _ = vicuna
    categories = set(
        Prompt.objects.filter(prompt_sets__arenas=arena).values_list("category", flat=True)
    )
    assert len(categories) == 9
    assert set(_category_boards(arena)) == categories


@pytest.mark.django_db
def test_category_board_equals_the_cli_on_the_exported_votes(vicuna):
    arena, exported = vicuna
    for category, board in _category_boards(arena).items():
        run = RatingRun.objects.get(leaderboard=board, method="bt", status="done")
        published = {row["name"]: row for row in run.result["competitors"]}
        expected = _rate(exported, category)
        assert set(published) == set(expected), category
        ratings = {name: row["rating"] for name, row in published.items()}
        assert ratings == pytest.approx(
            {name: row["rating"] for name, row in expected.items()}, abs=1e-6
        ), category


@pytest.mark.django_db
def test_category_board_page_shows_the_rank_against_the_overall_board(vicuna):
    arena, _ = vicuna
    overall = RatingRun.objects.get(leaderboard__arena=arena, leaderboard__slug="all", method="bt")
    overall_rank = {row["name"]: row["rank"] for row in overall.result["competitors"]}
    board = _category_boards(arena)["coding"]
    run = RatingRun.objects.get(leaderboard=board, method="bt", status="done")
    page = Client().get(f"/a/vicuna-80/boards/{board.slug}/bt/").content.decode()
    shown = dict(re.findall(r'data-competitor="([^"]+)".*?data-rank-delta="(-?\d+)"', page, re.S))
    assert shown, "no rank delta on the category board"
    expected = {
        row["name"]: overall_rank[row["name"]] - row["rank"] for row in run.result["competitors"]
    }
    assert {name: int(d) for name, d in shown.items()} == expected
    assert any(d != 0 for d in expected.values())
    # the overall board has no delta, and its navigation lists the categories
    page = Client().get("/a/vicuna-80/boards/all/bt/").content.decode()
    assert "data-rank-delta" not in page
    assert page.count('href="/a/vicuna-80/boards/category-') == 9
