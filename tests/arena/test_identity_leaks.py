"""Answers that reveal their competitor: flagged at upload, not served, votes on them marked."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from arena.models import Battle, Competitor, Completion, Vote
from arena.services.battles import battle_create
from arena.services.identity import completions_identity_scan, votes_mark_identity_revealed
from arena.services.submissions import submission_import
from arena.text import identity_leak, identity_terms
from arena.voters import Voter

PHRASES = ["I was trained by"]
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Hello! I am Aurora, happy to help.", "Aurora"),
        ("As Aurora-70B I think so.", "Aurora-70B"),
        ("My makers at northwind labs say hi.", "Northwind Labs"),
        ("i WAS TRAINED BY a lab far away.", "I was trained by"),
        ("Here is the metadata of auroras and labs.", ""),
        ("A plain answer about sorting lists.", ""),
    ],
)
def test_identity_leak_finds_name_family_maker_and_phrases(text, found):
    terms = identity_terms("Aurora-70B", "Northwind Labs", PHRASES)
    assert identity_leak(text, terms) == found


@pytest.fixture
def leaky(arena_setup):
    """The first competitor's answer to the first prompt names it."""
    competitor = arena_setup["competitors"][0]
    completion = Completion.objects.get(competitor=competitor, prompt=arena_setup["prompts"][0])
    completion.text = f"As {competitor.name}, I would say: yes."
    completion.save()
    return completion


def test_leaking_answer_is_flagged_on_save_and_never_served(leaky, arena_setup):
    assert leaky.identity_leak == leaky.competitor.name
    voter = Voter(session_key="s" * 32)
    served = {
        battle_create(arena=arena_setup["arena"], voter=voter).completion_a_id for _ in range(40)
    } | set(Battle.objects.values_list("completion_b_id", flat=True))
    assert leaky.pk not in served
    assert len(served) >= 4  # the other answers are still served


def test_allowed_leak_is_served_and_the_vote_marked(leaky, arena_setup, crowd_client):
    Completion.objects.filter(pk=leaky.pk).update(leak_allowed=True)
    marked = []
    for _ in range(30):
        page = crowd_client.get(reverse("arena")).content.decode()
        public_id = re.search(r'action="/battles/([^/]+)/vote/"', page)[1]
        response = crowd_client.post(
            reverse("battle-vote", args=[public_id]), {"outcome": "A"}, follow=True
        )
        assert response.status_code == 200
        vote = Vote.objects.select_related("battle").get(battle__public_id=public_id)
        shows_leak = leaky.pk in (vote.battle.completion_a_id, vote.battle.completion_b_id)
        assert vote.identity_revealed is shows_leak
        marked.append(shows_leak)
    assert any(marked)
    assert not all(marked)


def test_upload_reports_answers_that_reveal_their_competitor(arena_setup, django_user_model):
    owner = django_user_model.objects.create_user("owner", password="x" * 12)
    lines = [
        {"question_id": "q1", "prompt": "What are you?"},
        {
            "model": "Zephyr-9B",
            "organisation": "Windy Co",
            "question_id": "q1",
            "answer": "I am Zephyr, a helpful assistant.",
        },
        {
            "model": "Quartz-2",
            "organisation": "Stone Inc",
            "question_id": "q1",
            "answer": "I am a helpful assistant.",
        },
    ]
    body = io.BytesIO(b"\n".join(json.dumps(line).encode() for line in lines))
    report = submission_import(arena=arena_setup["arena"], user=owner, body=body)
    assert report.identity_leaks == 1
    zephyr = Completion.objects.get(competitor__name="Zephyr-9B")
    assert zephyr.identity_leak == "Zephyr"
    assert Completion.objects.get(competitor__name="Quartz-2").identity_leak == ""


def test_rescan_after_a_rename_and_marking_imported_votes(arena_setup, make_battle):
    competitor = arena_setup["competitors"][1]
    completion = Completion.objects.filter(competitor=competitor).first()
    battle = make_battle(voter=Voter(session_key="k" * 32), a=competitor)
    Vote.objects.create(battle=battle, outcome=1, source="crowd", created_at=battle.created_at)
    Competitor.objects.filter(pk=competitor.pk).update(name="Answer")  # the answers say "Answer"
    assert completions_identity_scan(completions=Completion.objects.all()) == 2
    completion.refresh_from_db()
    assert completion.identity_leak == "Answer"
    assert votes_mark_identity_revealed() == 1
    assert Vote.objects.get().identity_revealed


def test_ratings_leave_out_revealed_votes_unless_the_board_opts_in(arena_setup, make_battle):
    from leaderboards.models import Leaderboard
    from leaderboards.selectors import comparisons_for_leaderboard
    from leaderboards.services import leaderboards_ensure_defaults

    voter = Voter(session_key="v" * 32)
    for revealed in (False, False, True):
        battle = make_battle(voter=voter)
        Vote.objects.create(
            battle=battle,
            outcome=1,
            source="crowd",
            identity_revealed=revealed,
            created_at=battle.created_at,
        )
    leaderboards_ensure_defaults(arena_setup["arena"])
    board = Leaderboard.objects.get(slug="all")
    top = Vote.objects.order_by("-id").first().id
    assert comparisons_for_leaderboard(board, top).n_comparisons == 2
    board.include_identity_revealed = True
    assert comparisons_for_leaderboard(board, top).n_comparisons == 3


def test_votes_on_battles_without_answers_are_not_marked_revealed(arena_setup):
    """An imported vote without answer texts has no completion: nothing on it can reveal."""
    from arena.models import Prompt

    a, b = arena_setup["competitors"][:2]
    battle = Battle.objects.create(
        arena=arena_setup["arena"],
        prompt=Prompt.objects.first(),
        competitor_a=a,
        competitor_b=b,
        origin=Battle.Origin.IMPORT,
        created_at=timezone.now(),
        expires_at=timezone.now(),
    )
    Vote.objects.create(battle=battle, outcome=1, source="crowd", created_at=battle.created_at)
    assert votes_mark_identity_revealed() == 0
    assert not Vote.objects.get().identity_revealed
