"""Serving battles: to a voter, to a jury, for given matchups (pairs drawn in ``pair_draws``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from arena import access, selectors
from arena.exceptions import NoBattleAvailable
from arena.models import Arena, Battle, PromptSet
from arena.services.pair_draws import Draw, pairs_draw
from arena.voters import Voter

# Positions and pairs must not be predictable by a voter who wants to find a given model.
_SYSTEM_RANDOM = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class BattleFilter:
    """What a judge may restrict its battles to: a prompt set, a category, a pair."""

    prompt_set: PromptSet | None = None
    category: str | None = None
    competitor_ids: tuple[int, int] | None = None
    #: Copies of battles others already voted on, for juries (other filters then do not apply).
    copies: bool = False
    #: A pairing policy for this request instead of the arena's own.
    policy: str | None = None


def battles_serve(
    *,
    arena: Arena,
    voter: Voter,
    count: int,
    restrict: BattleFilter | None = None,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> list[Battle]:
    """Serve up to ``count`` new battles of ``arena`` to ``voter``, paired by the request's
    policy or else the arena's (see ``_pairs_draw``); none when no pair fits the filter."""
    access.voting_check(arena, voter)
    access.cap_check(arena, voter)
    restrict = restrict or BattleFilter()
    rng = rng or _SYSTEM_RANDOM
    created = now or timezone.now()
    if restrict.copies:
        return _battle_copies_serve(arena, voter, count, created)
    answered = selectors.answers_for_pairing(
        arena,
        prompt_set=restrict.prompt_set,
        category=restrict.category,
        competitor_ids=restrict.competitor_ids,
    )
    battles = _twins(
        arena=arena, voter=voter, restrict=restrict, rng=rng, count=count, created=created
    )
    policy = restrict.policy or arena.pairing_policy
    history = _session_history(arena, voter, created)
    choices = pairs_draw(arena, policy, answered, rng, count - len(battles), history=history)
    battles += [_battle_new(arena, voter, answered.answered, choice, created) for choice in choices]
    Battle.objects.bulk_create(battles)
    return selectors.battles_with_content([b.pk for b in battles])


def _session_history(arena: Arena, voter: Voter, now: datetime) -> selectors.SessionHistory | None:
    """A person's battles in this arena within ``ARENA_SESSION_WINDOW_HOURS`` (none: off)."""
    hours = settings.ARENA_SESSION_WINDOW_HOURS
    if hours <= 0:
        return None
    return selectors.voter_session_history(
        arena=arena, voter=voter, since=now - timedelta(hours=hours)
    )


def _twins(
    *,
    arena: Arena,
    voter: Voter,
    restrict: BattleFilter,
    rng: random.Random,
    count: int,
    created: datetime,
) -> list[Battle]:
    """A share (ARENA_JUDGE_TWIN_SHARE) of a judge's battles: swapped twins of voted ones.

    Not when the judge asked for a prompt set, category or pair: a twin might fall outside it.
    """
    share = settings.ARENA_JUDGE_TWIN_SHARE
    filtered = restrict.prompt_set or restrict.category or restrict.competitor_ids
    if voter.judge is None or share <= 0 or filtered:
        return []
    wanted = sum(rng.random() < share for _ in range(count))
    if not wanted:
        return []
    rows = selectors.twins_for_judge(arena=arena, judge=voter.judge, count=wanted)
    return _battles_of_matchups(arena, voter, rows, created)


def _battles_of_matchups(
    arena: Arena, voter: Voter, rows: list[tuple[int, int, int, int, int]], created: datetime
) -> list[Battle]:
    """Unsaved battles for ``(prompt, A, B, completion A, completion B)`` rows, as given."""
    return [
        _battle_new(
            arena,
            voter,
            {a: {prompt_id: completion_a}, b: {prompt_id: completion_b}},
            (a, b, prompt_id),
            created,
        )
        for prompt_id, a, b, completion_a, completion_b in rows
    ]


def _battle_copies_serve(arena: Arena, voter: Voter, count: int, created: datetime) -> list[Battle]:
    """Copies (same prompt, answers and positions) of voted battles this voter has not seen."""
    if voter.judge is None:
        return []
    matchups = selectors.matchups_for_jury(arena=arena, judge=voter.judge, count=count)
    return battles_serve_matchups(arena=arena, voter=voter, matchups=matchups, now=created)


def battles_serve_matchups(
    *,
    arena: Arena,
    voter: Voter,
    matchups: list[tuple[int, int, int, int, int]],
    now: datetime | None = None,
) -> list[Battle]:
    """Serve battles for ``(prompt, A, B, completion A, completion B)`` rows, as given: the
    pairs someone else chose (a jury's copies, a tournament's matches), in their positions."""
    battles = _battles_of_matchups(arena, voter, matchups, now or timezone.now())
    Battle.objects.bulk_create(battles)
    return selectors.battles_with_content([b.pk for b in battles])


def _battle_new(
    arena: Arena,
    voter: Voter,
    answered: dict[int, dict[int, int]],
    choice: Draw | tuple[int, int, int],
    created: datetime,
) -> Battle:
    first, second, prompt_id = choice[:3]
    return Battle(
        arena=arena,
        prompt_id=prompt_id,
        competitor_a_id=first,
        competitor_b_id=second,
        completion_a_id=answered[first][prompt_id],
        completion_b_id=answered[second][prompt_id],
        origin=Battle.Origin.JUDGE if voter.is_judge else Battle.Origin.CROWD,
        pair_probability=choice.probability if isinstance(choice, Draw) else None,
        user=voter.user,
        session_key="" if voter.user else voter.session_key,
        judge=voter.judge,
        created_at=created,
        expires_at=created + timedelta(seconds=settings.ARENA_BATTLE_TTL_SECONDS),
    )


def battle_create(
    *,
    arena: Arena,
    voter: Voter,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> Battle:
    """Serve a new battle of ``arena`` to ``voter``, paired by the arena's policy, A/B
    positions drawn at random.

    Refused (VotingNotAllowed, VoteCapReached) when the voter could not vote on it anyway. With
    the arena's ``informed_share``, that share of battles (when both answers carry a cost) is
    served in the informed condition: each answer's cost is shown before the vote.
    """
    access.voting_check(arena, voter)
    access.cap_check(arena, voter)
    rng = rng or _SYSTEM_RANDOM
    answered = selectors.answers_for_pairing(arena)
    created = now or timezone.now()
    history = _session_history(arena, voter, created)
    draws = pairs_draw(arena, arena.pairing_policy, answered, rng, 1, history=history)
    if not draws:
        raise NoBattleAvailable
    battle = _battle_new(arena, voter, answered.answered, draws[0], created)
    if arena.informed_share > 0 and rng.random() < arena.informed_share:
        ids = [battle.completion_a_id, battle.completion_b_id]
        if selectors.completions_have_costs([i for i in ids if i is not None]):
            battle.condition = "informed"
    battle.save(force_insert=True)
    return battle
