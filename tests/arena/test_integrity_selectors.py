"""Query counts of the integrity selectors: one query each, whatever the number of rows."""

from __future__ import annotations

import pytest
from django.utils import timezone

from arena import selectors
from arena.models import Vote, VoterFlag
from arena.voters import Voter

pytestmark = pytest.mark.django_db


@pytest.fixture
def voted(arena_setup, make_battle):
    voter = Voter(session_key="s" * 32)
    battles = [make_battle(voter=voter) for _ in range(5)]
    for battle in battles:
        Vote.objects.create(battle=battle, outcome=1, source="crowd", created_at=battle.created_at)
    VoterFlag.objects.create(
        arena=arena_setup["arena"],
        kind="burst",
        client_ip="10.0.0.1",
        n_votes=30,
        score=30,
        reason="test",
        created_at=timezone.now(),
    )
    return arena_setup["arena"], battles


def test_integrity_selectors_take_one_query_each(voted, django_assert_num_queries):
    arena, battles = voted
    with django_assert_num_queries(1):
        assert selectors.battles_revealing_identity([b.pk for b in battles]) == set()
    with django_assert_num_queries(1):
        assert len(selectors.crowd_votes_for_flagging(arena)) == 5
    with django_assert_num_queries(1):
        assert selectors.voter_flags_version(arena).startswith("1:")
    with django_assert_num_queries(1):
        assert [f.reason for f in selectors.voter_flags_list(arena)] == ["test"]
