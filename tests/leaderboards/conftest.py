"""Fixtures for the Django side of the ratings: an arena with votes cast through the service."""

from __future__ import annotations

import random
from typing import Any

import pytest

from arena.models import Outcome, Vote
from arena.services.battles import battle_create
from arena.services.votes import vote_record
from arena.voters import Voter


@pytest.fixture
def cast_votes(arena_setup: dict[str, Any]):
    """Cast ``n`` crowd votes in the default arena, favouring the first competitor."""

    def cast(n: int, *, seed: int = 0, session: str = "voter") -> list[Vote]:
        rng = random.Random(seed)
        favourite = arena_setup["competitors"][0].pk
        votes = []
        for _ in range(n):
            battle = battle_create(
                arena=arena_setup["arena"], voter=Voter(session_key=session), rng=rng
            )
            if favourite in (battle.competitor_a_id, battle.competitor_b_id):
                outcome = Outcome.A if battle.competitor_a_id == favourite else Outcome.B
            else:
                outcome = rng.choice(list(Outcome))
            votes.append(
                vote_record(
                    public_id=battle.public_id, voter=Voter(session_key=session), outcome=outcome
                )
            )
        return votes

    return cast
