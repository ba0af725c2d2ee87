"""Swapped twins served to judges, and the arena's judge report (page and API)."""

from __future__ import annotations

import random

import pytest
from django.test import Client
from django.urls import reverse

from arena.models import Battle, Outcome
from arena.selectors import twins_for_judge
from arena.services.battles import battles_serve
from arena.services.votes import vote_record
from arena.voters import Voter

pytestmark = pytest.mark.django_db


def judge_votes(arena, judge, n: int, *, prefer_first: bool, rng: random.Random) -> list[Battle]:
    """Serve ``n`` battles to the judge and vote: for the first answer, or for the lower id."""
    voter = Voter(judge=judge)
    battles = battles_serve(arena=arena, voter=voter, count=n, rng=rng)
    for battle in battles:
        if prefer_first:
            outcome = Outcome.A
        else:
            outcome = Outcome.A if battle.competitor_a_id < battle.competitor_b_id else Outcome.B
        vote_record(public_id=battle.public_id, voter=voter, outcome=outcome)
    return battles


def test_a_share_of_a_judges_battles_are_swapped_twins_never_served_twice(
    arena_setup, judge, settings
):
    arena, rng = arena_setup["arena"], random.Random(4)
    first = judge_votes(arena, judge, 6, prefer_first=True, rng=rng)
    # Twins of this judge's voted battles that it has not seen in the other order.
    shown = {(b.prompt_id, b.competitor_a_id, b.competitor_b_id) for b in first}
    expected = {
        (b.prompt_id, b.completion_b_id, b.completion_a_id)
        for b in first
        if (b.prompt_id, b.competitor_b_id, b.competitor_a_id) not in shown
    }
    assert expected
    settings.ARENA_JUDGE_TWIN_SHARE = 1.0
    served = battles_serve(arena=arena, voter=Voter(judge=judge), count=10, rng=rng)
    twins = served[: len(expected)]  # twins are created first
    assert {(b.prompt_id, b.completion_a_id, b.completion_b_id) for b in twins} == expected
    assert all(b.judge_id == judge.pk for b in served)
    assert twins_for_judge(arena=arena, judge=judge, count=10) == []  # none left to serve again


def twin_count(judge) -> int:
    """Battles of the judge on the same prompt and pair in both orders, paired one to one."""
    orders: dict[tuple[int, int, int], list[int]] = {}
    for b in Battle.objects.filter(judge=judge, vote__isnull=False):
        lo, hi = sorted((b.competitor_a_id, b.competitor_b_id))
        counts = orders.setdefault((b.prompt_id, lo, hi), [0, 0])
        counts[b.competitor_a_id != lo] += 1
    return sum(min(c) for c in orders.values())


def test_report_measures_a_position_biased_judge_and_a_consistent_one(
    arena_setup, judge, other_judge, settings
):
    arena, rng = arena_setup["arena"], random.Random(6)
    judge_votes(arena, judge, 8, prefer_first=True, rng=rng)  # always the first answer
    judge_votes(arena, other_judge, 8, prefer_first=False, rng=rng)  # by identity only
    settings.ARENA_JUDGE_TWIN_SHARE = 1.0
    judge_votes(arena, judge, 8, prefer_first=True, rng=rng)
    judge_votes(arena, other_judge, 8, prefer_first=False, rng=rng)

    body = Client().get(reverse("api-arena-judges", args=[arena.slug])).json()
    rows = {j["name"]: j for j in body["judges"]}
    biased, fair = rows[judge.name], rows[other_judge.name]
    assert biased["n_votes"] == fair["n_votes"] == 16
    assert biased["n_twins"] == twin_count(judge) > 0
    assert biased["position_consistency"] == 0.0  # the swap flips every verdict
    assert biased["first_position_win_share"] == 1.0
    assert fair["position_consistency"] == 1.0
    # The fair judge's first-position wins: counted from its own battles.
    fair_battles = Battle.objects.filter(judge=other_judge).select_related("vote")
    first_won = [b.competitor_a_id < b.competitor_b_id for b in fair_battles]
    assert fair["first_position_win_share"] == pytest.approx(sum(first_won) / len(first_won))
    assert fair["transitivity_violation_share"] in (0.0, None)  # a fixed order has no cycle

    page = Client().get(reverse("arena-judges", args=[arena.slug])).content.decode()
    assert f'data-judge="{judge.name}"' in page
    assert f"0.000 ({twin_count(judge)})" in page  # the biased judge's consistency
    assert 'id="agreement-table"' in page


def test_private_arena_report_is_not_found_for_outsiders(make_arena):
    make_arena("hidden", visibility="private")
    assert Client().get(reverse("api-arena-judges", args=["hidden"])).status_code == 404
    assert Client().get(reverse("arena-judges", args=["hidden"])).status_code == 404
    assert Client().get(reverse("api-arena-judges", args=["nowhere"])).status_code == 404


def test_the_arena_api_and_the_judge_report_publish_the_same_kappa(
    arena_setup, make_battle, judge, other_judge, django_user_model
):
    """Two judges and the crowd on every battle, in both screen orders, some votes split."""
    from tests.arena.api_helpers import Api, key_for

    arena, rng = arena_setup["arena"], random.Random(11)
    competitors, prompts = arena_setup["competitors"], arena_setup["prompts"]
    voters = [Voter(judge=judge), Voter(judge=other_judge), Voter(session_key="crowd-1")]
    outcomes = list(Outcome)
    for prompt in prompts:
        for i, x in enumerate(competitors):
            for y in competitors[i + 1 :]:
                for voter in voters:
                    for _ in range(rng.randint(1, 3)):  # repeated verdicts: modal, or split
                        a, b = (x, y) if rng.random() < 0.5 else (y, x)
                        battle = make_battle(voter=voter, prompt=prompt, a=a, b=b)
                        vote_record(
                            public_id=battle.public_id, voter=voter, outcome=rng.choice(outcomes)
                        )

    report = Client().get(reverse("api-arena-judges", args=[arena.slug])).json()
    published = {frozenset((g["a"], g["b"])): g for g in report["agreement"]}
    rows = (
        Api(key_for(scopes=["read"], user=django_user_model.objects.create_user("r")))
        .get("/api/v1/judges/agreement")
        .json()
    )
    compared = 0
    for row in rows:
        others = {"crowd": row["crowd"], **row["judges"]}
        for other, mine in others.items():
            theirs = published[frozenset((row["judge"], other))]
            assert mine["shared"] == theirs["n_shared"] > 0
            assert mine["rate"] == pytest.approx(theirs["agreement"], abs=1e-12)
            assert mine["kappa"] == pytest.approx(theirs["kappa"], abs=1e-12)
            compared += 1
    assert compared == 4  # each judge with the crowd and with the other judge
