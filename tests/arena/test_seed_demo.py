"""The demo: a Vicuna-80 arena of real prompts, answers and votes, and a simulated arena."""

from __future__ import annotations

import gzip
import json
from html import escape
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from arena.models import (
    Arena,
    Battle,
    Competitor,
    Completion,
    Judge,
    Prompt,
    PromptSet,
    Vote,
    VoterGroup,
    VoteTag,
)
from arena.services.demo_vicuna import DATA
from tests.conftest import planner_rows

pytestmark = pytest.mark.django_db

REVIEWERS = ["bard", "claude", "gpt-3.5-turbo", "gpt-4", "vicuna-13b"]


def _quick(*args: str) -> None:
    call_command("seed_demo", "--without-vicuna-votes", *args, stdout=StringIO())


def _simulated() -> list[tuple]:
    return list(
        Vote.objects.filter(battle__arena__slug="simulated")
        .order_by("battle__created_at")
        .values_list(
            "battle__competitor_a__name",
            "battle__competitor_b__name",
            "battle__prompt__text",
            "outcome",
        )
    )


def _wipe() -> None:
    VoteTag.objects.all().delete()
    Vote.objects.all().delete()
    Battle.objects.all().delete()
    Completion.objects.all().delete()
    Prompt.objects.all().delete()
    Competitor.objects.all().delete()
    Arena.objects.all().delete()
    PromptSet.objects.all().delete()
    VoterGroup.objects.all().delete()


def test_seed_demo_is_deterministic_for_a_seed_and_differs_between_seeds():
    _quick("--seed", "3", "--votes", "300")
    first = _simulated()
    assert len(first) == 300
    _wipe()
    _quick("--seed", "3", "--votes", "300")
    assert _simulated() == first
    _wipe()
    _quick("--seed", "4", "--votes", "300")
    assert _simulated() != first


def test_seed_demo_refuses_a_populated_database_unless_if_empty():
    _quick("--votes", "10")
    before = Vote.objects.count()
    with pytest.raises(CommandError, match="already has competitors"):
        call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "not seeded again" in out.getvalue()
    assert Vote.objects.count() == before


def test_demo_answers_are_the_real_vicuna_answers():
    _quick("--votes", "0")
    with gzip.open(DATA / "answers.jsonl.gz", "rt", encoding="utf-8") as handle:
        real = {(r["question_id"], r["model"]): r["answer"] for r in map(json.loads, handle)}
    assert Prompt.objects.count() == 80
    for completion in Completion.objects.select_related("prompt", "competitor"):
        key = (completion.prompt.external_id, completion.competitor.name)
        assert completion.text == real[key]
        assert "Point 1 about" not in completion.text
    # Real answers for the five systems that have them; the Guanaco answers of this copy repeat
    # the prompt and are left out; the null model's echoes are kept, for the guard.
    answered = set(Completion.objects.values_list("competitor__name", flat=True))
    assert answered == {*REVIEWERS, "13-self-instruct"}
    assert Arena.objects.get(is_default=True).slug == "simulated"


@pytest.mark.django_db(transaction=True)  # the planner's statistics are refreshed on commit
def test_seed_then_recompute_fills_every_board_the_judge_report_and_the_guard():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "null models held back: 13-self-instruct" in out.getvalue()
    vicuna = Arena.objects.get(slug="vicuna-80")
    assert vicuna.is_default
    assert Vote.objects.filter(battle__arena=vicuna).count() == 15_200
    assert planner_rows(Vote) == Vote.objects.count()  # analysed: pages read it planned right
    assert Vote.objects.filter(battle__arena=vicuna, source="crowd").count() == 7_040
    assert sorted(Judge.objects.values_list("name", flat=True)) == REVIEWERS
    assert Arena.objects.filter(slug__in=["simulated", "expert-panel"]).count() == 2

    recompute = StringIO()
    call_command("recompute", "--no-progress", stdout=recompute)
    assert ", 0 failed" in recompute.getvalue()
    client = Client()
    for arena in ("vicuna-80", "simulated"):
        for scope, method in (("all", "bt"), ("all", "elo"), ("crowd", "bt"), ("all", "nash")):
            response = client.get(f"/api/v1/arenas/{arena}/leaderboards/{scope}/{method}/")
            assert response.status_code == 200, (arena, scope, method)
            assert len(response.json()["competitors"]) >= 5
    judges = client.get("/api/v1/arenas/vicuna-80/judges/").json()["judges"]
    assert {j["name"] for j in judges} >= set(REVIEWERS)
    reviewed = {j["name"]: j for j in judges if j["name"] in REVIEWERS}
    assert all(j["n_twins"] > 0 for j in reviewed.values())  # both screen orders: consistency

    # The null-model guard: 13-self-instruct repeats the prompt, is flagged and never served.
    null = Competitor.objects.get(name="13-self-instruct")
    assert null.null_model_flagged
    assert null.null_model_score == pytest.approx(1.0)
    board = client.get("/api/v1/arenas/vicuna-80/leaderboards/all/bt/").json()
    assert "13-self-instruct" not in {row["name"] for row in board["competitors"]}

    page = client.get("/").content.decode()
    prompts = Prompt.objects.filter(prompt_sets__arenas=vicuna).values_list("text", flat=True)
    assert any(escape(text) in page for text in prompts), (
        "the crowd page shows a Vicuna-80 question"
    )
    assert "Point 1 about" not in page
