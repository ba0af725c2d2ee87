from __future__ import annotations

import random
from collections import Counter

import pytest

from arena import selectors
from arena.exceptions import NoBattleAvailable
from arena.models import Arena, Battle, Competitor, Completion, PairingPolicy
from arena.services.battles import battle_create
from arena.services.pair_draws import pairs_draw
from arena.voters import Voter


def _fewest_draws(monkeypatch, answered, counts, seed, count=1):
    """What the battle service draws by fewest votes, the votes per pair given (no database)."""
    monkeypatch.setattr(selectors, "pair_vote_counts", lambda arena: counts)
    arena = Arena(prompt_priority=False)
    return pairs_draw(arena, PairingPolicy.FEWEST_VOTES, answered, random.Random(seed), count)


def test_pairing_picks_the_pair_with_fewest_votes(monkeypatch):
    answered = {1: {10: 100, 11: 101}, 2: {10: 200}, 3: {11: 300}}
    counts = {(1, 2): 5, (1, 3): 2}
    # 2 and 3 share no prompt, so (1, 3) with 2 votes is the least-voted eligible pair.
    for seed in range(20):
        [(a, b, prompt, probability)] = _fewest_draws(monkeypatch, answered, counts, seed)
        assert {a, b} == {1, 3}
        assert prompt == 11
        assert probability == 1.0  # the only pair with the fewest votes


def test_pairing_spreads_over_pairs_tied_for_fewest(monkeypatch):
    answered = {c: {1: c} for c in range(4)}
    seen = Counter(
        frozenset(_fewest_draws(monkeypatch, answered, {}, seed)[0][:2]) for seed in range(300)
    )
    assert len(seen) == 6


def test_one_request_spreads_over_the_pairs_tied_for_fewest(monkeypatch):
    answered = {c: {1: c} for c in range(4)}
    draws = _fewest_draws(monkeypatch, answered, {(0, 1): 1}, seed=5, count=5)
    # Five pairs tied at none; each draw counts before the next, so all five come once.
    assert len({frozenset(d[:2]) for d in draws}) == 5
    assert [d.probability for d in draws] == [1 / 5, 1 / 4, 1 / 3, 1 / 2, 1.0]


def test_pairing_needs_a_prompt_answered_by_two_competitors(monkeypatch):
    assert _fewest_draws(monkeypatch, {1: {10: 1}, 2: {11: 2}}, {}, seed=0) == []


@pytest.mark.django_db
def test_battle_create_serves_two_different_competitors_on_a_shared_prompt(arena_setup):
    battle = battle_create(
        arena=arena_setup["arena"], voter=Voter(session_key="abc"), rng=random.Random(1)
    )
    assert battle.competitor_a_id != battle.competitor_b_id
    assert battle.completion_a.competitor_id == battle.competitor_a_id
    assert battle.completion_b.competitor_id == battle.competitor_b_id
    assert battle.completion_a.prompt_id == battle.completion_b.prompt_id == battle.prompt_id
    assert battle.session_key == "abc"
    assert battle.expires_at > battle.created_at
    assert len(battle.public_id) >= 20


@pytest.mark.django_db
def test_positions_are_random(arena_setup):
    rng = random.Random(7)
    first_as_a = Counter()
    for _ in range(60):
        battle = battle_create(arena=arena_setup["arena"], voter=Voter(session_key="abc"), rng=rng)
        first_as_a[battle.competitor_a_id < battle.competitor_b_id] += 1
    assert first_as_a[True] > 10
    assert first_as_a[False] > 10


@pytest.mark.django_db
def test_inactive_competitors_are_not_paired(arena_setup):
    retired = arena_setup["competitors"][0]
    Competitor.objects.filter(pk=retired.pk).update(is_active=False)
    for seed in range(20):
        battle = battle_create(
            arena=arena_setup["arena"], voter=Voter(session_key="abc"), rng=random.Random(seed)
        )
        assert retired.pk not in (battle.competitor_a_id, battle.competitor_b_id)


@pytest.mark.django_db
def test_no_battle_without_two_active_competitors_on_a_prompt(
    make_competitors, make_prompt, make_arena
):
    (only,) = make_competitors(1)
    prompt = make_prompt()
    Completion.objects.create(prompt=prompt, competitor=only, text="alone")
    arena = make_arena("solo", competitors=[only], prompts=[prompt])
    with pytest.raises(NoBattleAvailable):
        battle_create(arena=arena, voter=Voter(session_key="abc"))
    assert not Battle.objects.exists()


@pytest.mark.django_db
def test_battles_stay_within_the_arenas_pool_and_prompt_sets(arena_setup, make_arena):
    outsider = Competitor.objects.create(name="Outsider")
    for prompt in arena_setup["prompts"]:
        Completion.objects.create(prompt=prompt, competitor=outsider, text="not in main")
    first, second = arena_setup["competitors"][:2]
    narrow = make_arena(
        "narrow", competitors=[first, second, outsider], prompts=arena_setup["prompts"][:1]
    )
    for seed in range(30):
        battle = battle_create(
            arena=arena_setup["arena"], voter=Voter(session_key="s"), rng=random.Random(seed)
        )
        assert outsider.pk not in (battle.competitor_a_id, battle.competitor_b_id)
        narrow_battle = battle_create(
            arena=narrow, voter=Voter(session_key="s"), rng=random.Random(seed)
        )
        assert narrow_battle.arena == narrow
        assert narrow_battle.prompt == arena_setup["prompts"][0]
