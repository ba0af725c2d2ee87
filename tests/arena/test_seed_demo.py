from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from arena.models import Arena, Battle, Competitor, Completion, Prompt, PromptSet, Vote, VoterGroup

pytestmark = pytest.mark.django_db


def _content() -> dict[str, list]:
    return {
        "competitors": list(
            Competitor.objects.order_by("name").values_list("name", "organisation")
        ),
        "prompts": list(Prompt.objects.order_by("text").values_list("text", "category")),
        "votes": list(
            Vote.objects.order_by("battle__created_at").values_list(
                "battle__competitor_a__name",
                "battle__competitor_b__name",
                "battle__prompt__text",
                "outcome",
            )
        ),
    }


def _wipe() -> None:
    Vote.objects.all().delete()
    Battle.objects.all().delete()
    Completion.objects.all().delete()
    Prompt.objects.all().delete()
    Competitor.objects.all().delete()
    Arena.objects.all().delete()
    PromptSet.objects.all().delete()
    VoterGroup.objects.all().delete()


def test_seed_demo_is_deterministic_for_a_seed_and_differs_between_seeds():
    call_command("seed_demo", "--seed", "3", "--prompts", "60", "--votes", "400", stdout=StringIO())
    first = _content()
    _wipe()
    call_command("seed_demo", "--seed", "3", "--prompts", "60", "--votes", "400", stdout=StringIO())
    assert _content() == first
    _wipe()
    call_command("seed_demo", "--seed", "4", "--prompts", "60", "--votes", "400", stdout=StringIO())
    assert _content()["votes"] != first["votes"]


def test_seed_demo_builds_a_believable_arena():
    call_command("seed_demo", stdout=StringIO())
    assert Competitor.objects.count() == 12
    assert Prompt.objects.count() >= 200
    assert Prompt.objects.values("category").distinct().count() >= 5
    main, code = Arena.objects.get(slug="main"), Arena.objects.get(slug="code")
    assert main.is_default
    main_prompts = Prompt.objects.filter(prompt_sets__arenas=main)
    code_prompts = Prompt.objects.filter(prompt_sets__arenas=code)
    assert not set(main_prompts) & set(code_prompts)
    shared = set(main.competitors.all()) & set(code.competitors.all())
    assert 2 <= len(shared) < main.competitors.count()
    assert Completion.objects.count() == 12 * main_prompts.count() + 7 * code_prompts.count()
    assert Vote.objects.filter(battle__arena=code).count() >= 500
    assert Arena.objects.get(slug="expert-panel").visibility == "private"
    assert Vote.objects.count() >= 2000
    assert Completion.objects.filter(header_count__gt=0).exists()
    assert Completion.objects.filter(header_count=0).exists()


def test_seed_demo_refuses_a_populated_database_unless_if_empty():
    call_command("seed_demo", "--prompts", "10", "--votes", "10", stdout=StringIO())
    before = Vote.objects.count()
    with pytest.raises(CommandError, match="already has competitors"):
        call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "not seeded again" in out.getvalue()
    assert Vote.objects.count() == before


def test_demo_answers_never_name_their_author():
    call_command("seed_demo", "--prompts", "30", "--votes", "10", stdout=StringIO())
    for competitor in Competitor.objects.all():
        stem = competitor.name.split("-")[0]
        assert not Completion.objects.filter(competitor=competitor, text__icontains=stem).exists()
