"""The database itself refuses wrong states, whatever code path tries to write them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from arena.models import Arena, Battle, Competitor, Completion, Outcome, Prompt, Vote
from arena.voters import Voter

pytestmark = pytest.mark.django_db


def _battle(prompt: Prompt, a: Competitor, b: Competitor, **extra: object) -> Battle:
    now = timezone.now()
    arena, _ = Arena.objects.get_or_create(slug="main", defaults={"name": "Main"})
    fields = {
        "arena": arena,
        "prompt": prompt,
        "competitor_a": a,
        "competitor_b": b,
        "origin": "import",
        "created_at": now,
        "expires_at": now,
    } | extra
    return Battle.objects.create(**fields)


def test_battle_between_a_competitor_and_itself_is_refused(make_competitors, make_prompt):
    (a,) = make_competitors(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        _battle(make_prompt(), a, a)


def test_battle_expiring_before_creation_is_refused(make_competitors, make_prompt):
    a, b = make_competitors(2)
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        _battle(make_prompt(), a, b, created_at=now, expires_at=now - timedelta(seconds=1))


def test_served_battle_needs_both_completions(make_competitors, make_prompt):
    a, b = make_competitors(2)
    with pytest.raises(IntegrityError), transaction.atomic():
        _battle(make_prompt(), a, b, origin="crowd", session_key="s")


def test_second_vote_on_a_battle_is_refused_by_the_database(arena_setup, make_battle):
    battle = make_battle(voter=Voter(session_key="s1"))
    now = timezone.now()
    Vote.objects.create(battle=battle, outcome=Outcome.A, source="crowd", created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(battle=battle, outcome=Outcome.B, source="crowd", created_at=now)
    assert Vote.objects.count() == 1


def test_outcome_outside_the_four_is_refused(arena_setup, make_battle):
    battle = make_battle(voter=Voter(session_key="s1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(battle=battle, outcome=7, source="crowd", created_at=timezone.now())


def test_judge_vote_without_a_judge_is_refused(arena_setup, make_battle):
    battle = make_battle(voter=Voter(session_key="s1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(
            battle=battle, outcome=Outcome.A, source="judge", created_at=timezone.now()
        )


def test_one_completion_per_competitor_and_prompt(arena_setup):
    prompt, competitor = arena_setup["prompts"][0], arena_setup["competitors"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Completion.objects.create(prompt=prompt, competitor=competitor, text="again")


def test_the_same_prompt_text_is_stored_once(make_prompt):
    make_prompt("What is 2 + 2?")
    with pytest.raises(IntegrityError), transaction.atomic():
        Prompt.objects.create(text="What is 2 + 2?", category="other")


def test_competitor_names_are_unique_ignoring_case(make_competitors):
    Competitor.objects.create(name="Alpha")
    with pytest.raises(IntegrityError), transaction.atomic():
        Competitor.objects.create(name="ALPHA")


def test_completion_style_features_are_computed_on_save(arena_setup):
    completion = Completion.objects.create(
        prompt=arena_setup["prompts"][0],
        competitor=Competitor.objects.create(name="Styled"),
        text="# Title\n\n## Part\n\n- one\n- two\n1. three\n\n**bold** and __bold__\n\n"
        "```\n# not a header\n- not a list\n```",
    )
    assert (completion.header_count, completion.list_count, completion.bold_count) == (2, 3, 2)
    assert completion.n_chars == len(completion.text)
    assert completion.n_tokens > 10
