"""The crowd page over HTTP: serving, voting, revealing, and refusing bad requests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from arena.models import Battle, Competitor, Completion, Outcome, Vote
from tests.conftest import db_state

pytestmark = pytest.mark.django_db


def _serve(client: Client) -> Battle:
    response = client.get(reverse("arena"))
    assert response.status_code == 200
    public_id = re.search(r'action="/battles/([^/]+)/vote/"', response.content.decode())[1]
    return Battle.objects.get(public_id=public_id)


def _vote(client: Client, public_id: str, outcome: str = "A"):
    # A recorded vote answers 303 to its result page; following it shows the names.
    return client.post(reverse("battle-vote", args=[public_id]), {"outcome": outcome}, follow=True)


def test_names_are_hidden_until_the_vote_then_revealed(arena_setup, crowd_client):
    response = crowd_client.get(reverse("arena"))
    page = response.content.decode()
    for competitor in arena_setup["competitors"]:
        # Answers mention their author in bold; the heading must not.
        assert "Model A: " not in page
        assert f'data-testid="name-a">{competitor.name}' not in page
    battle = _serve(crowd_client)
    response = _vote(crowd_client, battle.public_id, "B")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="name-a">{battle.competitor_a.name}<' in page
    assert f'data-testid="name-b">{battle.competitor_b.name}<' in page
    assert 'id="next-battle"' in page
    assert Vote.objects.get().outcome == Outcome.B


def test_vote_on_someone_elses_battle_is_refused(arena_setup):
    owner, intruder = Client(), Client()
    battle = _serve(owner)
    intruder.get(reverse("statistics"))
    _serve(intruder)  # the intruder has a session of its own
    before = db_state()
    response = _vote(intruder, battle.public_id)
    assert response.status_code == 404
    assert "was served to you" in response.content.decode()
    assert db_state() == before


def test_vote_without_any_session_is_refused(arena_setup):
    battle = _serve(Client())
    before = db_state()
    response = _vote(Client(), battle.public_id)
    assert response.status_code == 404
    assert db_state() == before


def test_second_vote_is_refused(arena_setup, crowd_client):
    battle = _serve(crowd_client)
    assert _vote(crowd_client, battle.public_id, "A").status_code == 200
    before = db_state()
    response = _vote(crowd_client, battle.public_id, "B")
    assert response.status_code == 409
    assert "already has a vote" in response.content.decode()
    assert db_state() == before
    assert Vote.objects.get().outcome == Outcome.A


def test_vote_on_an_expired_battle_is_refused(arena_setup, crowd_client):
    battle = _serve(crowd_client)
    Battle.objects.filter(pk=battle.pk).update(
        created_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    before = db_state()
    response = _vote(crowd_client, battle.public_id)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert db_state() == before


@pytest.mark.parametrize("outcome", ["C", "", "A; DROP TABLE arena_vote", "5"])
def test_unknown_outcome_is_refused(arena_setup, crowd_client, outcome):
    battle = _serve(crowd_client)
    before = db_state()
    response = _vote(crowd_client, battle.public_id, outcome)
    assert response.status_code == 400
    assert "must be one of A, B, TIE or BOTH_BAD" in response.content.decode()
    assert db_state() == before


@pytest.mark.parametrize("forged", ["nonexistent-id-000000", "x" * 32, "%27%20OR%201%3D1"])
def test_forged_battle_id_is_refused(arena_setup, crowd_client, forged):
    _serve(crowd_client)
    before = db_state()
    response = _vote(crowd_client, forged)
    assert response.status_code == 404
    assert db_state() == before


def test_vote_needs_post_and_csrf(arena_setup):
    client = Client(enforce_csrf_checks=True)
    battle = _serve(client)
    before = db_state()
    assert client.get(reverse("battle-vote", args=[battle.public_id])).status_code == 405
    assert _vote(client, battle.public_id).status_code == 403
    assert db_state() == before


def test_script_in_an_answer_is_rendered_inert(make_prompt, make_arena, crowd_client):
    prompt = make_prompt("Say hello")
    hostile = (
        '<script>alert("x")</script> <img src=x onerror="alert(1)"> '
        '[click](javascript:alert(1)) <a href="#" onclick="steal()">link</a>'
    )
    competitors = []
    for name, text in (("Evil", hostile), ("Nice", "```python\nprint('hi')\n```")):
        competitors.append(Competitor.objects.create(name=name))
        Completion.objects.create(prompt=prompt, competitor=competitors[-1], text=text)
    make_arena("main", competitors=competitors, prompts=[prompt], is_default=True)
    page = crowd_client.get(reverse("arena")).content.decode()
    answers = page[page.index('class="answers"') : page.index('id="vote-form"')]
    assert "<script" not in answers
    assert "&lt;script&gt;" in answers  # shown as text, not dropped silently
    assert not re.search(r"<[^>]+\son\w+=", answers)
    assert 'href="javascript:' not in answers
    assert '<pre tabindex="0"><code class="language-python">' in answers


def test_leaderboard_counts_votes_and_win_rates(arena_setup, crowd_client):
    results = []
    for outcome in ("A", "TIE", "B", "BOTH_BAD"):
        battle = _serve(crowd_client)
        _vote(crowd_client, battle.public_id, outcome)
        results.append((battle, outcome))
    expected: dict[str, list[float]] = {}
    for battle, outcome in results:
        points_a = {"A": 1.0, "B": 0.0}.get(outcome, 0.5)
        expected.setdefault(battle.competitor_a.name, []).append(points_a)
        expected.setdefault(battle.competitor_b.name, []).append(1 - points_a)
    page = crowd_client.get(reverse("statistics")).content.decode()
    for name, points in expected.items():
        row = re.search(rf"<td><a [^>]*>{re.escape(name)}</a>.*?</tr>", page, re.S)[0]
        cells = re.findall(r"<td>([^<]*)</td>", row)
        assert cells[0] == str(len(points))
        assert cells[-1] == f"{100 * sum(points) / len(points):.1f}%"
