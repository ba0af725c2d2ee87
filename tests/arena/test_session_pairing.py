"""A person's battles stay varied: no competitor over its share, no prompt twice (#19).

The finding: as an anonymous voter, 29 of 30 battles included one of the same two models —
``fewest-votes`` keeps choosing the least-voted pairs, which are those of the newest models.
Within a session each competitor may now take at most twice its fair share (``2 / n``) of the
battles and no prompt comes twice, while the probability stored with each battle is still the
one its pair was drawn with: the policy's, renormalised over the pairs the session allows
(computed here independently, from the test's own tally of votes and appearances).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from typing import Any

import pytest

from arena.models import Completion, Judge, Outcome, PairingPolicy
from arena.services.battles import battle_create, battles_serve_matchups
from arena.services.votes import vote_record
from arena.voters import Voter
from tests.conftest import answer_all

N_COMPETITORS = 12
N_PROMPTS = 40
N_BATTLES = 30


@pytest.fixture
def crowded(make_competitors: Any, make_prompt: Any, make_arena: Any) -> dict[str, Any]:
    """Twelve models on 40 prompts; the first ten already met twice each, two are new."""
    competitors = make_competitors(N_COMPETITORS)
    prompts = [make_prompt() for _ in range(N_PROMPTS)]
    answer_all(competitors, prompts)
    arena = make_arena(
        "crowded",
        competitors=competitors,
        prompts=prompts,
        pairing_policy=PairingPolicy.FEWEST_VOTES,
        prompt_priority=False,
    )
    veteran = Voter(session_key="earlier-voters")
    completions = {
        (c.competitor_id, c.prompt_id): c.pk for c in arena_completions(competitors, prompts)
    }
    votes: Counter[frozenset[int]] = Counter()
    matchups = []
    for k, (a, b) in enumerate(itertools.combinations(competitors[:10], 2)):
        for j in range(2):
            prompt = prompts[(2 * k + j) % N_PROMPTS]
            matchups.append(
                (prompt.pk, a.pk, b.pk, completions[a.pk, prompt.pk], completions[b.pk, prompt.pk])
            )
            votes[frozenset((a.pk, b.pk))] += 1
    for battle in battles_serve_matchups(arena=arena, voter=veteran, matchups=matchups):
        vote_record(public_id=battle.public_id, voter=veteran, outcome=Outcome.A)
    return {"arena": arena, "competitors": competitors, "votes": votes}


def arena_completions(competitors: list[Any], prompts: list[Any]) -> list[Any]:
    return list(Completion.objects.filter(competitor__in=competitors, prompt__in=prompts))


def _expected_fewest(
    ids: list[int], votes: Counter[frozenset[int]], seen: Counter[int], n_served: int
) -> set[frozenset[int]]:
    """The pairs the session allows that are tied for fewest votes (all pairs share prompts)."""
    limit = max(1.0, 2.0 * (2.0 / len(ids)) * (n_served + 1))
    allowed = [
        frozenset(pair)
        for pair in itertools.combinations(ids, 2)
        if all(seen[c] + 1 <= limit + 1e-9 for c in pair)
    ]
    least = min(votes[p] for p in allowed)
    return {p for p in allowed if votes[p] == least}


@pytest.mark.django_db
def test_an_anonymous_voter_meets_every_model_and_no_prompt_twice(
    crowded: dict[str, Any],
) -> None:
    arena, votes = crowded["arena"], crowded["votes"]
    ids = [c.pk for c in crowded["competitors"]]
    voter = Voter(session_key="a-new-voter")
    rng = random.Random(3)
    seen: Counter[int] = Counter()
    prompts: list[int] = []
    for n_served in range(N_BATTLES):
        battle = battle_create(arena=arena, voter=voter, rng=rng)
        pair = frozenset((battle.competitor_a_id, battle.competitor_b_id))
        candidates = _expected_fewest(ids, votes, seen, n_served)
        assert pair in candidates
        assert battle.pair_probability == pytest.approx(1.0 / len(candidates), abs=1e-12)
        seen.update(pair)
        prompts.append(battle.prompt_id)
        votes[pair] += 1
        vote_record(public_id=battle.public_id, voter=voter, outcome=Outcome.TIE)

    assert len(set(prompts)) == N_BATTLES  # no prompt twice
    assert max(seen.values()) <= 0.4 * N_BATTLES  # no competitor in more than 40%
    assert set(seen) == set(ids)  # the two top models were met too


@pytest.mark.django_db
def test_an_adaptive_policy_keeps_its_probabilities_renormalised(
    crowded: dict[str, Any],
) -> None:
    """With ``uniform``, each stored probability is 1 over the pairs the session allows."""
    arena = crowded["arena"]
    arena.pairing_policy = PairingPolicy.UNIFORM
    arena.save(update_fields=["pairing_policy"])
    ids = [c.pk for c in crowded["competitors"]]
    voter = Voter(session_key="uniform-voter")
    rng = random.Random(11)
    seen: Counter[int] = Counter()
    for n_served in range(N_BATTLES):
        battle = battle_create(arena=arena, voter=voter, rng=rng)
        limit = max(1.0, 2.0 * (2.0 / len(ids)) * (n_served + 1))
        allowed = [
            pair
            for pair in itertools.combinations(ids, 2)
            if all(seen[c] + 1 <= limit + 1e-9 for c in pair)
        ]
        assert battle.pair_probability == pytest.approx(1.0 / len(allowed), rel=1e-9)
        seen.update((battle.competitor_a_id, battle.competitor_b_id))
    assert max(seen.values()) <= 0.4 * N_BATTLES


@pytest.mark.django_db
def test_judges_are_served_what_the_policy_wants(crowded: dict[str, Any]) -> None:
    """A judge's battles are not narrowed: without sessions, the two new models dominate."""
    judge = Judge.objects.create(name="gpt-judge")
    voter = Voter(judge=judge)
    rng = random.Random(5)
    seen: Counter[int] = Counter()
    new = {c.pk for c in crowded["competitors"][10:]}
    for _ in range(10):
        battle = battle_create(arena=crowded["arena"], voter=voter, rng=rng)
        seen.update((battle.competitor_a_id, battle.competitor_b_id))
        assert {battle.competitor_a_id, battle.competitor_b_id} & new
        vote_record(public_id=battle.public_id, voter=voter, outcome=Outcome.A)
