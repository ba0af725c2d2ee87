from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from arena.exceptions import AlreadyVoted, BattleExpired, BattleNotFound, InvalidOutcome
from arena.models import Outcome, Vote
from arena.services.votes import outcome_parse, vote_record
from arena.voters import Voter
from tests.conftest import db_state

pytestmark = pytest.mark.django_db


def test_vote_is_recorded_once_with_its_voter(arena_setup, make_battle):
    voter = Voter(session_key="s1")
    battle = make_battle(voter=voter)
    vote = vote_record(public_id=battle.public_id, voter=voter, outcome=Outcome.TIE)
    assert Vote.objects.get() == vote
    assert (vote.outcome, vote.source, vote.session_key) == (Outcome.TIE, "crowd", "s1")


def test_second_vote_is_refused_and_changes_nothing(arena_setup, make_battle):
    voter = Voter(session_key="s1")
    battle = make_battle(voter=voter)
    vote_record(public_id=battle.public_id, voter=voter, outcome=Outcome.A)
    before = db_state()
    with pytest.raises(AlreadyVoted):
        vote_record(public_id=battle.public_id, voter=voter, outcome=Outcome.B)
    assert db_state() == before


def test_vote_on_another_voters_battle_is_refused(arena_setup, make_battle):
    battle = make_battle(voter=Voter(session_key="owner"))
    with pytest.raises(BattleNotFound):
        vote_record(
            public_id=battle.public_id, voter=Voter(session_key="intruder"), outcome=Outcome.A
        )
    assert not Vote.objects.exists()


def test_vote_on_a_judges_battle_by_another_judge_is_refused(
    arena_setup, make_battle, judge, other_judge
):
    battle = make_battle(voter=Voter(judge=judge))
    with pytest.raises(BattleNotFound):
        vote_record(public_id=battle.public_id, voter=Voter(judge=other_judge), outcome=Outcome.A)
    vote = vote_record(public_id=battle.public_id, voter=Voter(judge=judge), outcome=Outcome.A)
    assert (vote.source, vote.judge) == ("judge", judge)


def test_vote_after_expiry_is_refused(arena_setup, make_battle):
    voter = Voter(session_key="s1")
    battle = make_battle(voter=voter, expires_in=timedelta(seconds=30))
    with pytest.raises(BattleExpired):
        vote_record(
            public_id=battle.public_id,
            voter=voter,
            outcome=Outcome.A,
            now=timezone.now() + timedelta(seconds=31),
        )
    assert not Vote.objects.exists()


def test_replayed_idempotency_key_returns_first_vote(arena_setup, make_battle, judge):
    voter = Voter(judge=judge)
    battle = make_battle(voter=voter)
    first = vote_record(
        public_id=battle.public_id, voter=voter, outcome=Outcome.B, idempotency_key="k-1"
    )
    again = vote_record(
        public_id=battle.public_id, voter=voter, outcome=Outcome.B, idempotency_key="k-1"
    )
    assert again.pk == first.pk
    assert Vote.objects.count() == 1


@pytest.mark.parametrize("raw", ["", "C", "a-ish", "0", "5", None, 2.5, True])
def test_unknown_outcomes_are_refused(raw):
    with pytest.raises(InvalidOutcome):
        outcome_parse(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A", Outcome.A),
        ("b", Outcome.B),
        ("TIE", Outcome.TIE),
        ("both_bad", Outcome.BOTH_BAD),
        (3, Outcome.TIE),
        ("4", Outcome.BOTH_BAD),
    ],
)
def test_outcomes_by_name_or_number(raw, expected):
    assert outcome_parse(raw) == expected


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_on_one_battle_record_exactly_one(arena_setup, make_battle):
    voter = Voter(session_key="s1")
    battle = make_battle(voter=voter)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def cast(outcome: Outcome) -> None:
        barrier.wait()
        try:
            vote_record(public_id=battle.public_id, voter=voter, outcome=outcome)
            results.append("ok")
        except AlreadyVoted:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=cast, args=(list(Outcome)[i % 4],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok"] + ["refused"] * 7
    assert Vote.objects.filter(battle=battle).count() == 1
