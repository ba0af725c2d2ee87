"""The personal board page: hidden before 20 votes, then the voter's board beside the arena's."""

from __future__ import annotations

import re

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from arena.models import Battle
from arena.voters import Voter
from leaderboards.reports.boards import personal_board
from leaderboards.selectors import comparisons_for_arena
from ratings.core.bradley_terry import bradley_terry

pytestmark = pytest.mark.django_db


def _vote_n(client: Client, n: int, prefer: str) -> None:
    for _ in range(n):
        page = client.get(reverse("arena")).content.decode()
        public_id = re.search(r'action="/battles/([^/]+)/vote/"', page)[1]
        battle = Battle.objects.get(public_id=public_id)
        outcome = "A" if battle.competitor_a.name == prefer else "B"
        if prefer not in (battle.competitor_a.name, battle.competitor_b.name):
            outcome = "TIE"
        assert (
            client.post(reverse("battle-vote", args=[public_id]), {"outcome": outcome}).status_code
            == 303
        )


def test_personal_board_appears_after_twenty_votes(arena_setup):
    client = Client()
    _vote_n(client, 19, prefer="Model 2")
    page = client.get(reverse("arena-personal-board", args=["main"])).content.decode()
    assert 'id="personal-not-ready"' in page
    assert "you have cast 19" in page
    _vote_n(client, 1, prefer="Model 2")
    page = client.get(reverse("arena-personal-board", args=["main"])).content.decode()
    assert 'id="personal-ready"' in page
    first = re.search(r'id="personal-board".*?<td>1</td><td>([^<]+)</td>', page, re.S)[1]
    assert first == "Model 2"


def test_personal_board_is_shrunk_toward_the_arena_board(arena_setup):
    crowd = Client()
    _vote_n(crowd, 30, prefer="Model 0")
    me = Client()
    _vote_n(me, 20, prefer="Model 1")
    session = me.session.session_key
    arena = arena_setup["arena"]
    board = personal_board(
        arena=arena, voter=Voter(session_key=session), min_votes=20, prior_precision=2.0
    )
    everyone = comparisons_for_arena(arena)
    arena_scores = bradley_terry(everyone).scores
    mine = comparisons_for_arena(arena, voter=Voter(session_key=session))
    assert mine.n_comparisons == 20
    rows = {r.name: r for r in board.rows}
    arena_top = everyone.names[int(np.argmax(arena_scores))]
    assert arena_top == "Model 0"
    assert max(rows, key=lambda n: rows[n].rating) == "Model 1"
    # Pulled from the arena's order toward mine, not all the way.
    assert rows["Model 1"].rating > rows["Model 1"].arena_rating
    assert rows["Model 0"].rating < rows["Model 0"].arena_rating
    heavy = personal_board(
        arena=arena, voter=Voter(session_key=session), min_votes=20, prior_precision=1e6
    )
    for row in heavy.rows:
        assert abs(row.rating - row.arena_rating) < 0.5


def test_private_arena_personal_board_is_not_found_for_outsiders(arena_setup, make_arena):
    make_arena("secret", visibility="private")
    assert Client().get(reverse("arena-personal-board", args=["secret"])).status_code == 404
