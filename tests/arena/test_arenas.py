"""Several arenas side by side: isolation, visibility, voting rules, feedback."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from arena.models import Arena, Battle, Outcome, User, Vote, VoteTag
from tests.conftest import answer_all, db_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_arenas(make_competitors: Any, make_prompt: Any, make_arena: Any) -> dict[str, Arena]:
    """Overlapping pools (m1, m2 in both) and different prompt sets."""
    m0, m1, m2, m3 = make_competitors(4)
    general = [make_prompt(), make_prompt()]
    coding = [make_prompt("Write a sort"), make_prompt("Fix this bug")]
    answer_all([m0, m1, m2], general)
    answer_all([m1, m2, m3], coding)
    main = make_arena("main", competitors=[m0, m1, m2], prompts=general, is_default=True)
    code = make_arena("code", competitors=[m1, m2, m3], prompts=coding)
    return {"main": main, "code": code}


def _serve(client: Client, slug: str | None = None) -> Battle:
    url = reverse("arena-page", args=[slug]) if slug else reverse("arena")
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:500]
    public_id = re.search(r'action="/battles/([^/]+)/vote/"', response.content.decode())[1]
    return Battle.objects.get(public_id=public_id)


def _vote(client: Client, battle: Battle, outcome: str = "A"):
    # A recorded vote answers 303 to its result page; following it shows the names.
    return client.post(
        reverse("battle-vote", args=[battle.public_id]), {"outcome": outcome}, follow=True
    )


def _export(client: Client, slug: str) -> list[dict]:
    response = client.get(reverse("arena-export", args=[slug]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in body.splitlines()]


def test_votes_in_one_arena_never_reach_the_others_boards_or_exports(two_arenas):
    client = Client()
    code_before = client.get(reverse("api-arena", args=["code"])).json()["board"]
    battles = [_serve(client, "main") for _ in range(4)]
    for battle in battles:
        assert _vote(client, battle, "A").status_code == 200
        assert battle.arena.slug == "main"
    assert client.get(reverse("api-arena", args=["code"])).json()["board"] == code_before
    assert _export(client, "code") == []
    main_rows = _export(client, "main")
    assert len(main_rows) == 4
    assert {row["arena"] for row in main_rows} == {"main"}
    main_board = client.get(reverse("api-arena", args=["main"])).json()["board"]
    assert sum(row["votes"] for row in main_board) == 8
    page = client.get(reverse("arena-statistics", args=["code"])).content.decode()
    assert re.findall(r"<td>(\d+)</td><td>\d+</td><td>\d+</td>", page) == ["0", "0", "0"]


def test_root_serves_the_default_arena_and_lists_public_arenas(two_arenas, make_arena):
    make_arena("hidden", visibility=Arena.Visibility.PRIVATE)
    make_arena("by-link", visibility=Arena.Visibility.UNLISTED)
    client = Client()
    assert _serve(client).arena.slug == "main"
    page = client.get(reverse("arena")).content.decode()
    assert 'href="/a/code/"' in page
    assert "/a/hidden/" not in page
    assert "/a/by-link/" not in page
    slugs = [a["slug"] for a in client.get(reverse("api-arenas")).json()]
    assert slugs == ["main", "code"]
    assert client.get(reverse("arena-page", args=["by-link"])).status_code in (200, 503)


@pytest.fixture
def private_arena(two_arenas, make_arena, experts) -> Arena:
    main = two_arenas["main"]
    arena = make_arena(
        "secret",
        competitors=list(main.competitors.all()),
        visibility=Arena.Visibility.PRIVATE,
        voting_rule=Arena.VotingRule.GROUPS,
    )
    arena.prompt_sets.set(main.prompt_sets.all())
    arena.voter_groups.add(experts)
    return arena


@pytest.mark.parametrize(
    "url",
    [
        "/a/secret/",
        "/a/secret/stats/",
        "/a/secret/export.jsonl",
        "/api/v1/arenas/secret/",
        "/api/v1/arenas/secret/export/",
    ],
)
def test_private_arena_is_not_found_for_outsiders(private_arena, experts, url):
    member = User.objects.create_user("member", password="pw")
    experts.members.add(member)
    outsider = User.objects.create_user("outsider", password="pw")
    insider = Client()
    insider.force_login(member)
    Vote.objects.create(
        battle=_serve(insider, "secret"),
        outcome=Outcome.A,
        source="crowd",
        voter_kind="group_member",
        user=member,
        created_at=Battle.objects.get().created_at,
    )
    signed_in = Client()
    signed_in.force_login(outsider)
    for client in (Client(), signed_in):
        before = db_state()
        response = client.get(url)
        assert response.status_code == 404, url
        assert "secret" not in response.content.decode().lower().replace("/a/secret", "")
        assert db_state() == before
    assert insider.get(url).status_code == 200


def test_private_arena_is_not_listed_for_outsiders(private_arena, experts):
    assert "secret" not in [a["slug"] for a in Client().get(reverse("api-arenas")).json()]
    assert "/a/secret/" not in Client().get(reverse("arena")).content.decode()
    member = User.objects.create_user("member", password="pw")
    experts.members.add(member)
    client = Client()
    client.force_login(member)
    assert "secret" in [a["slug"] for a in client.get(reverse("api-arenas")).json()]


@pytest.fixture
def member_client(two_arenas, experts) -> Client:
    """A signed-in member of Experts, the only group that may vote in the coding arena."""
    arena = two_arenas["code"]
    arena.voting_rule = Arena.VotingRule.GROUPS
    arena.save()
    arena.voter_groups.add(experts)
    member = User.objects.create_user("member", password="pw")
    experts.members.add(member)
    client = Client()
    client.force_login(member)
    return client


def test_group_arena_accepts_a_members_vote_and_refuses_a_non_member(member_client):
    client = member_client
    battle = _serve(client, "code")
    assert _vote(client, battle, "B").status_code == 200
    assert Vote.objects.get().voter_kind == Vote.VoterKind.GROUP_MEMBER

    outsider = Client()
    outsider.force_login(User.objects.create_user("outsider", password="pw"))
    before = db_state()
    response = outsider.get(reverse("arena-page", args=["code"]))
    assert response.status_code == 403
    assert "Only members of Experts may vote" in response.content.decode()
    assert db_state() == before
    assert Client().get(reverse("arena-page", args=["code"])).status_code == 403


def test_membership_ended_after_serving_refuses_the_vote(member_client, experts):
    client = member_client
    battle = _serve(client, "code")
    experts.members.remove(User.objects.get(username="member"))
    before = db_state()
    assert _vote(client, battle).status_code == 403
    assert db_state() == before


def test_signed_in_rule_and_vote_history(two_arenas):
    arena = two_arenas["code"]
    arena.voting_rule = Arena.VotingRule.SIGNED_IN
    arena.save()
    response = Client().get(reverse("arena-page", args=["code"]))
    assert response.status_code == 403
    assert "Sign in to vote" in response.content.decode()
    client = Client()
    client.force_login(User.objects.create_user("voter", password="pw"))
    battle = _serve(client, "code")
    _vote(client, battle, "TIE")
    assert Vote.objects.get().voter_kind == Vote.VoterKind.SIGNED_IN
    history = client.get(reverse("vote-history")).content.decode()
    assert battle.competitor_a.name in history
    assert "Tie" in history


def test_daily_cap_holds(two_arenas):
    arena = two_arenas["main"]
    arena.daily_vote_cap = 2
    arena.save()
    client = Client()
    for _ in range(2):
        assert _vote(client, _serve(client)).status_code == 200
    before = db_state()
    response = client.get(reverse("arena"))
    assert response.status_code == 429
    assert "limit of 2 votes" in response.content.decode()
    assert db_state() == before


def test_joining_a_group_by_invitation_link(experts):
    user = User.objects.create_user("invitee", password="pw")
    client = Client()
    assert client.get(reverse("group-join", args=[experts.invite_token])).status_code == 302
    assert not experts.members.filter(pk=user.pk).exists()  # sent to sign in first
    client.force_login(user)
    client.get(reverse("group-join", args=[experts.invite_token]))
    assert experts.members.filter(pk=user.pk).exists()
    assert client.get(reverse("group-join", args=["forged-token"])).status_code == 404


def _feedback(client: Client, battle: Battle, **data: Any):
    return client.post(reverse("battle-feedback", args=[battle.public_id]), data)


def test_feedback_reason_and_tags_reach_the_board_and_the_export(two_arenas):
    client = Client()
    battle = _serve(client)
    assert _feedback(client, battle, reason="too early").status_code == 400  # vote first
    _vote(client, battle, "A")
    response = _feedback(
        client,
        battle,
        reason="A cites its sources",
        tag_a=["correct", "helpful"],
        tag_b=["incorrect"],
    )
    assert response.status_code == 200
    vote = Vote.objects.get()
    assert vote.reason == "A cites its sources"
    assert sorted(VoteTag.objects.values_list("side", "tag")) == [
        ("A", "correct"),
        ("A", "helpful"),
        ("B", "incorrect"),
    ]
    before = db_state()
    assert _feedback(client, battle, reason="again", tag_a=["unsafe"]).status_code == 400
    assert db_state() == before
    (row,) = _export(client, "main")
    assert (row["reason"], row["tags_a"], row["tags_b"]) == (
        "A cites its sources",
        ["correct", "helpful"],
        ["incorrect"],
    )
    page = client.get(reverse("statistics")).content.decode()
    a_row = re.search(rf'data-competitor="{battle.competitor_a.name}".*?</tr>', page, re.S)[0]
    assert 'data-tag="correct" data-tagged="1"' in a_row
    assert 'data-tag="incorrect" data-tagged="0"' in a_row
    assert f"Most often marked <strong>correct</strong>: {battle.competitor_a.name}" in page
    assert f"Most often marked <strong>incorrect</strong>: {battle.competitor_b.name}" in page


def test_unknown_feedback_tag_is_refused_and_writes_nothing(two_arenas):
    client = Client()
    battle = _serve(client)
    _vote(client, battle, "B")
    before = db_state()
    response = _feedback(client, battle, reason="x", tag_a=["helpful", "sparkly"])
    assert response.status_code == 400
    assert "Unknown tag(s): sparkly" in response.content.decode()
    assert db_state() == before
    assert Vote.objects.get().feedback_at is None
