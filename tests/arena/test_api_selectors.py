"""The judge API's selectors and pure helpers: results and fixed query counts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from arena import selectors
from arena.services.votes import vote_record
from arena.voters import Voter
from tests.arena.api_helpers import key_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(arena_setup, make_battle, judge, other_judge):
    for voter_judge in (judge, other_judge):
        for prompt in arena_setup["prompts"]:
            battle = make_battle(voter=Voter(judge=voter_judge), prompt=prompt)
            vote_record(public_id=battle.public_id, voter=Voter(judge=voter_judge), outcome=1)
    return arena_setup


def test_api_key_lookup_is_one_query_and_ignores_revoked_keys(judge, django_assert_num_queries):
    secret = key_for(scopes=["judge"], judge=judge)
    with django_assert_num_queries(1):
        key = selectors.api_key_get_active(secret)
        assert key.judge.pk == judge.pk  # what the vote path needs, without a second query
    with django_assert_num_queries(1):
        assert key.judge.name == "judge-gpt"  # the rest loads on access
    assert selectors.api_key_get_active(secret + "x") is None
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    assert selectors.api_key_get_active(secret) is None


def test_battles_lock_for_judge_is_one_query(
    arena_setup, make_battle, judge, other_judge, django_assert_num_queries
):
    mine = make_battle(voter=Voter(judge=judge))
    theirs = make_battle(voter=Voter(judge=other_judge))
    with django_assert_num_queries(1):
        locked = selectors.battles_lock_for_judge(
            judge=judge, public_ids=[mine.public_id, theirs.public_id]
        )
    assert list(locked) == [mine.public_id]
    assert locked[mine.public_id].expires_at == mine.expires_at


def test_judge_agreement_is_one_query(judged, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = selectors.judge_agreement(judged["arena"])
    assert [r.judge for r in rows] == ["judge-claude", "judge-gpt"]
    assert rows[0].judges["judge-gpt"].shared == 2
    assert rows[0].crowd.shared == 0


def test_competitor_history_is_two_queries(judged, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows = selectors.competitor_history(judged["arena"], "model 0", limit=10)
    assert len(rows) == 4


def test_submissions_for_user_is_three_queries(django_user_model, django_assert_num_queries):
    owner = django_user_model.objects.create_user("o")
    with django_assert_num_queries(3):
        listing = selectors.submissions_for_user(owner)
    assert listing == {"competitors": [], "prompts": 0, "completions": 0}
