"""Energy-aware evaluation: crowd votes in the blind and the informed condition, boards per
condition, and how often the cheaper answer is chosen in each."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from arena.models import Battle, Completion, Outcome, Vote
from leaderboards import services
from leaderboards.models import Leaderboard, RatingRun

pytestmark = pytest.mark.django_db
ENERGY = [0.5, 1.0, 2.0]  # Wh per answer: competitor 0 the cheapest


def serve(client: Client) -> tuple[Battle, str]:
    page = client.get(reverse("arena")).content.decode()
    public_id = re.search(r'action="/battles/([^/]+)/vote/"', page)[1]
    return Battle.objects.select_related("completion_a", "completion_b").get(
        public_id=public_id
    ), page


def test_votes_in_both_conditions_reach_their_own_boards_and_the_cheaper_share(arena_setup):
    arena, competitors = arena_setup["arena"], arena_setup["competitors"]
    for competitor, energy in zip(competitors, ENERGY, strict=True):
        Completion.objects.filter(competitor=competitor).update(energy_wh=energy, latency_ms=900)
    client = Client()
    for share, n in ((1.0, 14), (0.0, 10)):
        arena.informed_share = share
        arena.save()
        for k in range(n):
            battle, page = serve(client)
            informed = battle.condition == "informed"
            assert informed == (share == 1.0)
            assert ('data-testid="cost-a"' in page) == informed
            assert (f"{battle.completion_a.energy_wh:.2f} Wh" in page) == informed
            if informed:  # this voter, told the costs, picks the cheaper answer
                cheaper_a = battle.completion_a.energy_wh < battle.completion_b.energy_wh
                outcome = "A" if cheaper_a else "B"
            else:
                outcome = "AB"[k % 2]
            response = client.post(
                reverse("battle-vote", args=[battle.public_id]), {"outcome": outcome}
            )
            assert response.status_code == 303

    for condition in ("blind", "informed"):
        Leaderboard.objects.create(
            arena=arena, slug=condition, name=condition.title(), condition=condition, methods=["bt"]
        )
    for run_id in services.leaderboards_check(enqueue=False):
        services.rating_run_execute(run_id=run_id, task_id=f"t{run_id}")
    for condition, n in (("informed", 14), ("blind", 10)):
        run = RatingRun.objects.get(leaderboard__slug=condition, method="bt", status="done")
        assert run.result["n_votes"] == n
        assert Vote.objects.filter(battle__condition=condition).count() == n
    page = Client().get(reverse("arena-board", args=["main", "informed", "bt"])).content.decode()
    assert competitors[0].name in page

    # The comparator's share of cheaper answers chosen, against a count of the votes.
    x, y = competitors[0], competitors[1]
    body = Client().get(reverse("api-arena-compare", args=["main", x.name, y.name])).json()
    for condition in ("blind", "informed"):
        votes = Vote.objects.filter(battle__condition=condition).select_related("battle")
        between = [
            v for v in votes if {v.battle.competitor_a_id, v.battle.competitor_b_id} == {x.pk, y.pk}
        ]
        decisive = [v for v in between if v.outcome in (Outcome.A, Outcome.B)]
        winner = [
            v.battle.competitor_a_id if v.outcome == Outcome.A else v.battle.competitor_b_id
            for v in decisive
        ]
        cheaper = sum(w == x.pk for w in winner)  # x is the cheaper of the two
        found = body["cheaper_chosen"][condition]
        assert found["n"] == len(decisive)
        if decisive:
            assert found["share"] == pytest.approx(cheaper / len(decisive))
    assert body["cheaper_chosen"]["informed"]["n"] > 0
    assert body["cheaper_chosen"]["informed"]["share"] == 1.0


def test_battles_without_costs_stay_blind_even_when_informed_is_asked(arena_setup):
    arena = arena_setup["arena"]
    arena.informed_share = 1.0
    arena.save()
    battle, page = serve(Client())
    assert battle.condition == "blind"
    assert 'data-testid="cost-a"' not in page
