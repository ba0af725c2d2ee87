"""Making battles: the pairing rule and the creation of a served battle."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone

from arena import access, pairing, selectors
from arena.exceptions import NoBattleAvailable
from arena.models import Arena, Battle, PairingPolicy, PromptSet
from arena.services.completion_distances import completion_distances_ensure
from arena.voters import Voter

# Positions and pairs must not be predictable by a voter who wants to find a given model.
_SYSTEM_RANDOM = random.SystemRandom()


class Draw(NamedTuple):
    """A drawn pair, A/B order not yet decided: its prompt and the pair's probability."""

    first: int
    second: int
    prompt_id: int
    probability: float


def pair_choose(
    answered: dict[int, dict[int, int]],
    vote_counts: dict[tuple[int, int], int],
    rng: random.Random,
) -> Draw:
    """Choose ``(competitor, competitor, prompt)`` for the next battle by fewest votes.

    Among the pairs of competitors that answered at least one common prompt, the pairs with the
    fewest votes so far are the candidates; one of them is drawn at random, then one of the
    prompts both answered. Every pair thus catches up with the others before any gets more.
    """
    best: list[tuple[int, int]] = []
    fewest = None
    for pair in _eligible_pairs(answered):
        n = vote_counts.get(pair, 0)
        if fewest is None or n < fewest:
            best, fewest = [pair], n
        elif n == fewest:
            best.append(pair)
    if not best:
        raise NoBattleAvailable
    first, second = rng.choice(best)
    return Draw(first, second, _prompt_choose(answered, first, second, rng), 1.0 / len(best))


def pair_draw(
    answered: dict[int, dict[int, int]],
    probabilities: dict[tuple[int, int], float],
    rng: random.Random,
) -> Draw:
    """Draw a pair from a policy's probabilities, kept to the pairs that share a prompt.

    The stored probability is the drawn pair's share among those pairs, so that boards
    weighting each vote by ``1/p`` undo exactly the design that chose it.
    """
    pairs = [pair for pair in _eligible_pairs(answered) if probabilities.get(pair, 0.0) > 0]
    if not pairs:
        raise NoBattleAvailable
    weights = [probabilities[pair] for pair in pairs]
    first, second = rng.choices(pairs, weights=weights)[0]
    probability = probabilities[(first, second)] / math.fsum(weights)
    return Draw(first, second, _prompt_choose(answered, first, second, rng), probability)


def next_pair_distribution(
    arena: Arena, policy: str | None = None
) -> tuple[dict[tuple[int, int], float], dict[tuple[int, int], int]]:
    """The probability of each eligible pair at the next draw, and the votes per pair so far.

    What the operator's pairing page shows; the same rules as ``_pairs_draw``.
    """
    policy = policy or arena.pairing_policy
    answered = selectors.completions_for_pairing(arena)
    counts = selectors.pair_vote_counts(arena)
    eligible = list(_eligible_pairs(answered))
    probabilities = None
    if policy != PairingPolicy.FEWEST_VOTES:
        probabilities = pairing.pair_probabilities(arena, policy, sorted(answered), counts)
    if probabilities is None:
        fewest = min((counts.get(pair, 0) for pair in eligible), default=0)
        probabilities = {pair: 1.0 for pair in eligible if counts.get(pair, 0) == fewest}
    total = math.fsum(probabilities.get(pair, 0.0) for pair in eligible)
    if total <= 0:
        return {}, counts
    return {pair: probabilities.get(pair, 0.0) / total for pair in eligible}, counts


def _eligible_pairs(answered: dict[int, dict[int, int]]) -> Iterator[tuple[int, int]]:
    """The pairs (smaller id, larger id) of competitors that answered a common prompt."""
    competitors = sorted(answered)
    for i, first in enumerate(competitors):
        for second in competitors[i + 1 :]:
            if not answered[first].keys().isdisjoint(answered[second].keys()):
                yield first, second


def _prompt_choose(
    answered: dict[int, dict[int, int]], first: int, second: int, rng: random.Random
) -> int:
    return rng.choice(sorted(answered[first].keys() & answered[second].keys()))


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
    answered = selectors.completions_for_pairing(
        arena,
        prompt_set=restrict.prompt_set,
        category=restrict.category,
        competitor_ids=restrict.competitor_ids,
    )
    battles = _twins(
        arena=arena, voter=voter, restrict=restrict, rng=rng, count=count, created=created
    )
    policy = restrict.policy or arena.pairing_policy
    choices = _pairs_draw(arena, policy, answered, rng, count - len(battles))
    battles += [_battle_new(arena, voter, answered, choice, created) for choice in choices]
    Battle.objects.bulk_create(battles)
    return selectors.battles_with_content([b.pk for b in battles])


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


def _pairs_draw(
    arena: Arena,
    policy: str,
    answered: dict[int, dict[int, int]],
    rng: random.Random,
    count: int,
) -> list[Draw]:
    """Up to ``count`` draws by ``policy``, A/B positions shuffled.

    By fewest votes, each draw counts as a vote for its pair before the next, so one request
    spreads over the least-voted pairs. An adaptive policy's probabilities are computed once
    per request from the newest rating and every draw is independent, so each stored
    probability is exact.
    """
    counts = selectors.pair_vote_counts(arena)
    probabilities = None
    if policy != PairingPolicy.FEWEST_VOTES:
        probabilities = pairing.pair_probabilities(arena, policy, sorted(answered), counts)
    draws = []
    for _ in range(count):
        try:
            if probabilities is None:
                draw = pair_choose(answered, counts, rng)
                counts[(draw.first, draw.second)] = counts.get((draw.first, draw.second), 0) + 1
            else:
                draw = pair_draw(answered, probabilities, rng)
        except NoBattleAvailable:
            break
        if rng.getrandbits(1):
            draw = draw._replace(first=draw.second, second=draw.first)
        draws.append(draw)
    if arena.prompt_priority and draws:
        draws = _prompts_prioritise(arena, answered, draws, rng)
    return draws


def _prompts_prioritise(
    arena: Arena, answered: dict[int, dict[int, int]], draws: list[Draw], rng: random.Random
) -> list[Draw]:
    """Each draw's prompt chosen again, preferring the prompts where the pair's answers differ
    most and voters tie least (``pairing.prompt_probabilities``), a share kept at random."""
    shared = {
        draw: sorted(answered[draw.first].keys() & answered[draw.second].keys()) for draw in draws
    }

    def answers(draw: Draw, prompt: int) -> tuple[int, int]:
        x, y = answered[draw.first][prompt], answered[draw.second][prompt]
        return (x, y) if x < y else (y, x)

    distances = completion_distances_ensure(
        {answers(draw, p) for draw, prompts in shared.items() for p in prompts}
    )
    counts = selectors.prompt_outcome_counts(arena, {p for ps in shared.values() for p in ps})
    out = []
    for draw in draws:
        prompts = shared[draw]
        weights = pairing.prompt_probabilities(
            [distances.get(answers(draw, p), 0.0) for p in prompts],
            [counts.get(p, (0, 0))[0] for p in prompts],
            [counts.get(p, (0, 0))[1] for p in prompts],
        )
        if weights is None:
            out.append(draw)
        else:
            out.append(draw._replace(prompt_id=rng.choices(prompts, weights=weights)[0]))
    return out


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
    answered = selectors.completions_for_pairing(arena)
    draws = _pairs_draw(arena, arena.pairing_policy, answered, rng, 1)
    if not draws:
        raise NoBattleAvailable
    battle = _battle_new(arena, voter, answered, draws[0], now or timezone.now())
    if arena.informed_share > 0 and rng.random() < arena.informed_share:
        ids = [battle.completion_a_id, battle.completion_b_id]
        if selectors.completions_have_costs([i for i in ids if i is not None]):
            battle.condition = "informed"
    battle.save(force_insert=True)
    return battle
