"""The menu, the reveal page and its permalink, the compare picker (issue #19, navigation)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from arena.models import Arena, Battle, Outcome, User, Vote
from leaderboards.services import leaderboards_ensure_defaults
from tests.conftest import db_state

pytestmark = pytest.mark.django_db

PUBLIC_ITEMS = ["Vote", "Leaderboard", "Statistics", "Compare", "Your board"]


def _menu(page: str) -> list[tuple[str, str]]:
    """The (label, href) of each link of the site's main menu, in order."""
    nav = re.search(r'<nav class="menu"[^>]*>(.*?)</nav>', page, re.S)
    assert nav is not None, page[:800]
    links = re.findall(r'<a [^>]*href="([^"]*)"[^>]*>([^<]*)</a>', nav[1])
    return [(label.strip(), href) for href, label in links]


def _labels(page: str) -> list[str]:
    return [label for label, _ in _menu(page)]


def _serve(client: Client, slug: str | None = None) -> Battle:
    url = reverse("arena") if slug is None else reverse("arena-page", args=[slug])
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:300]
    public_id = re.search(r'action="/battles/([^/]+)/vote/"', response.content.decode())[1]
    return Battle.objects.get(public_id=public_id)


# --- 1. naming and navigation ------------------------------------------------------------------


def test_leaderboard_leads_to_the_rated_boards_and_statistics_to_the_raw_counts(arena_setup):
    page = Client().get(reverse("arena-page", args=["main"])).content.decode()
    menu = dict(_menu(page))
    assert menu["Leaderboard"] == reverse("arena-boards", args=["main"])
    assert menu["Statistics"] == reverse("arena-statistics", args=["main"])
    stats = Client().get(menu["Statistics"])
    assert stats.status_code == 200
    assert 'id="board"' in stats.content.decode()  # the raw win-rate table


@pytest.mark.parametrize(
    ("old", "new"),
    [("/leaderboard/", "/stats/"), ("/a/main/leaderboard/", "/a/main/stats/")],
)
def test_old_leaderboard_urls_redirect_to_the_statistics(arena_setup, old, new):
    response = Client().get(old)
    assert response.status_code == 301
    assert response["Location"] == new
    assert Client().get(new).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/a/main/",
        "/stats/",
        "/a/main/stats/",
        "/a/main/boards/",
        "/me/board/",
        "/a/main/compare/",
        "/accounts/login/",
        "/accounts/signup/",
        "/a/no-such-arena/",
        "/no/such/page/",
    ],
)
def test_the_same_menu_on_every_page(arena_setup, path):
    response = Client().get(path)
    assert response.status_code in (200, 404), path
    assert _labels(response.content.decode()) == [*PUBLIC_ITEMS, "Sign in"]


def test_signed_in_menu_is_the_same_on_every_page_with_my_votes(arena_setup):
    user = User.objects.create_user("reader", password="pw-long-enough-1")
    client = Client()
    client.force_login(user)
    for path in ("/", "/me/votes/", "/a/main/stats/", "/no/such/page/"):
        labels = _labels(client.get(path).content.decode())
        assert labels == [*PUBLIC_ITEMS, "My votes"], path


def test_staff_get_the_pairing_page_and_the_admin_and_can_open_them(arena_setup):
    staff = User.objects.create_user("op", password="pw-long-enough-1", is_staff=True)
    client = Client()
    client.force_login(staff)
    menu = _menu(client.get("/a/main/").content.decode())
    hrefs = dict(menu)
    assert hrefs["Pairing"] == reverse("arena-pairing", args=["main"])
    assert hrefs["Admin"] == reverse("admin:index")
    assert client.get(hrefs["Pairing"]).status_code == 200
    assert client.get(hrefs["Admin"]).status_code == 200
    plain = Client()
    assert "Pairing" not in _labels(plain.get("/a/main/").content.decode())
    assert "Admin" not in _labels(plain.get("/a/main/").content.decode())


def test_no_tab_a_superuser_cannot_open(arena_setup, make_arena, experts):
    """A superuser sees private arenas; one that only its group votes in must not offer Vote."""
    panel = make_arena(
        "panel",
        competitors=arena_setup["competitors"],
        prompts=arena_setup["prompts"],
        visibility=Arena.Visibility.PRIVATE,
        voting_rule=Arena.VotingRule.GROUPS,
    )
    panel.voter_groups.add(experts)
    for arena in (panel, arena_setup["arena"]):
        leaderboards_ensure_defaults(arena)  # as the first board check does
    root = User.objects.create_superuser("root", password="pw-long-enough-1")
    client = Client()
    client.force_login(root)
    for path in ("/", "/a/panel/boards/", "/a/panel/stats/"):
        page = client.get(path).content.decode()
        arenas = re.search(r'<nav class="arenas"[^>]*>(.*?)</nav>', page, re.S)
        assert arenas is not None
        tabs = re.findall(r'href="([^"]*)"', arenas[1]) + [h for _, h in _menu(page)]
        for href in tabs:
            status = client.get(href).status_code
            assert status in (200, 301, 302), (path, href, status)
    # The group's own members still get the vote tab.
    member = User.objects.create_user("expert", password="pw-long-enough-1")
    experts.members.add(member)
    client.force_login(member)
    assert dict(_menu(client.get("/a/panel/stats/").content.decode()))["Vote"] == "/a/panel/"


def test_signed_in_only_arena_offers_sign_in_to_vote(arena_setup, make_arena):
    make_arena(
        "members",
        competitors=arena_setup["competitors"],
        prompts=arena_setup["prompts"],
        voting_rule=Arena.VotingRule.SIGNED_IN,
    )
    page = Client().get("/a/members/stats/").content.decode()
    assert dict(_menu(page))["Vote"].startswith(reverse("login") + "?next=")


# --- 2. the reveal page ------------------------------------------------------------------------


def test_vote_redirects_to_a_result_page_that_survives_reload(arena_setup, crowd_client):
    battle = _serve(crowd_client)
    response = crowd_client.post(reverse("battle-vote", args=[battle.public_id]), {"outcome": "B"})
    assert response.status_code == 303
    result_url = reverse("battle-result", args=[battle.public_id])
    assert response["Location"] == result_url
    for _ in range(2):  # the first GET and a reload
        page = crowd_client.get(result_url)
        assert page.status_code == 200
        body = page.content.decode()
        assert f'data-testid="name-a">{battle.competitor_a.name}<' in body
        assert f'data-testid="name-b">{battle.competitor_b.name}<' in body
        assert 'id="vote-recorded"' in body
        assert 'id="feedback-form"' in body
    assert Vote.objects.get().outcome == Outcome.B


@pytest.mark.parametrize(("outcome", "chosen"), [("A", ["a"]), ("B", ["b"]), ("TIE", [])])
def test_the_chosen_side_is_highlighted(arena_setup, crowd_client, outcome, chosen):
    battle = _serve(crowd_client)
    crowd_client.post(reverse("battle-vote", args=[battle.public_id]), {"outcome": outcome})
    body = crowd_client.get(reverse("battle-result", args=[battle.public_id])).content.decode()
    highlighted = re.findall(r'<article class="answer chosen" id="answer-(a|b)"', body)
    assert highlighted == chosen
    assert 'aria-label="Your choice"' in body if chosen else 'aria-label="Your choice"' not in body


def test_the_permalink_opens_the_result_for_anyone_without_the_voters_controls(
    arena_setup, crowd_client
):
    battle = _serve(crowd_client)
    crowd_client.post(reverse("battle-vote", args=[battle.public_id]), {"outcome": "A"})
    own = crowd_client.get(reverse("battle-result", args=[battle.public_id])).content.decode()
    share = re.search(r'id="share-link"[^>]*href="([^"]+)"', own)
    assert share is not None
    before = db_state()
    stranger = Client()
    response = stranger.get(share[1])
    assert response.status_code == 200
    body = response.content.decode()
    assert battle.prompt.text in body
    assert f'data-testid="name-a">{battle.competitor_a.name}<' in body
    assert f'data-testid="name-b">{battle.competitor_b.name}<' in body
    assert "Answer" in body  # both answers' texts
    assert 'id="verdict"' in body
    assert "A is better" in body
    assert 'id="feedback-form"' not in body
    assert db_state() == before
    # The link is not the battle's number: it holds 128 random bits.
    assert len(share[1].rstrip("/").rsplit("/", 1)[1]) >= 22


def test_no_result_page_for_an_unvoted_or_unknown_battle(arena_setup, crowd_client):
    battle = _serve(crowd_client)
    url = reverse("battle-result", args=[battle.public_id])
    assert crowd_client.get(url).status_code == 404
    assert Client().get(url).status_code == 404
    body = crowd_client.get(url).content.decode()
    assert battle.competitor_a.name not in body
    assert Client().get(reverse("battle-result", args=["x" * 22])).status_code == 404


def test_a_private_arenas_result_stays_private(arena_setup, make_arena, experts):
    panel = make_arena(
        "panel",
        competitors=arena_setup["competitors"],
        prompts=arena_setup["prompts"],
        visibility=Arena.Visibility.PRIVATE,
        voting_rule=Arena.VotingRule.GROUPS,
    )
    panel.voter_groups.add(experts)
    member = User.objects.create_user("expert", password="pw-long-enough-1")
    experts.members.add(member)
    client = Client()
    client.force_login(member)
    battle = _serve(client, "panel")
    client.post(reverse("battle-vote", args=[battle.public_id]), {"outcome": "A"})
    url = reverse("battle-result", args=[battle.public_id])
    assert client.get(url).status_code == 200
    assert Client().get(url).status_code == 404


def test_a_second_vote_is_still_refused_and_changes_nothing(arena_setup, crowd_client):
    battle = _serve(crowd_client)
    vote_url = reverse("battle-vote", args=[battle.public_id])
    assert crowd_client.post(vote_url, {"outcome": "A"}).status_code == 303
    before = db_state()
    assert crowd_client.post(vote_url, {"outcome": "B"}).status_code == 409
    assert db_state() == before


# --- 4. the compare picker ---------------------------------------------------------------------


def test_compare_without_parameters_shows_a_picker(arena_setup):
    response = Client().get(reverse("arena-compare-pick", args=["main"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="compare-picker"' in body
    for competitor in arena_setup["competitors"]:
        assert f'<option value="{competitor.name}"' in body


def test_compare_picker_goes_to_the_comparison(arena_setup):
    a, b = arena_setup["competitors"][:2]
    response = Client().get(
        reverse("arena-compare-pick", args=["main"]), {"a": a.name, "b": b.name}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("arena-compare", args=["main", a.name, b.name])


@pytest.mark.parametrize("query", [{"a": "Model 0"}, {"a": "Model 0", "b": "Model 0"}])
def test_compare_picker_with_half_a_pair_says_what_is_missing(arena_setup, query):
    response = Client().get(reverse("arena-compare-pick", args=["main"]), query)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="compare-picker"' in body
    assert "two different competitors" in body
