"""Adaptive pairing in the arena: the stored pair probabilities and the 1/p-weighted boards."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest

from arena.models import Battle, Completion, CompletionDistance, Outcome, PairingPolicy, Vote
from arena.services.battles import BattleFilter, battle_create, battles_serve
from arena.services.completion_distances import (
    completion_distances_ensure,
    completion_distances_fill,
)
from arena.services.pair_draws import next_pair_distribution
from arena.services.pairing_state import pairing_state_replace
from arena.services.votes import vote_record
from arena.voters import Voter
from leaderboards import services
from leaderboards.models import Leaderboard, RatingRun
from leaderboards.selectors import vote_weights_from_probabilities
from ratings.core.pairing.policies import POLICIES, PairingState, information
from tests.arena.api_helpers import Api, key_for
from tests.leaderboards.direct import direct_bt_ratings

pytestmark = pytest.mark.django_db


def test_the_arena_offers_the_rating_cores_policies():
    assert set(PairingPolicy.values) == set(POLICIES)


def test_fewest_votes_stores_the_share_of_the_pairs_tied_for_fewest(arena_setup):
    battle = battle_create(
        arena=arena_setup["arena"], voter=Voter(session_key="s"), rng=random.Random(0)
    )
    assert battle.pair_probability == pytest.approx(1 / 3)  # three pairs, none voted yet


def test_a_policy_draws_only_pairs_that_share_a_prompt_and_renormalises(
    arena_setup, make_competitors, make_prompt, judge
):
    arena = arena_setup["arena"]
    loner = make_competitors(1, prefix="Loner")[0]
    Completion.objects.create(prompt=make_prompt(), competitor=loner, text="alone")
    arena.competitors.add(loner)
    battles = battles_serve(
        arena=arena,
        voter=Voter(judge=judge),
        count=30,
        restrict=BattleFilter(policy="uniform"),
        rng=random.Random(1),
    )
    assert len(battles) == 30
    assert loner.pk not in {b.competitor_a_id for b in battles} | {
        b.competitor_b_id for b in battles
    }
    # Four competitors make six pairs, but only the three among the first three share a prompt.
    assert [b.pair_probability for b in battles] == pytest.approx([1 / 3] * 30)


def test_information_policy_reads_the_stored_pairing_state(
    make_competitors, make_prompt, make_arena, judge
):
    competitors = make_competitors(5)
    prompt = make_prompt()
    for c in competitors:
        Completion.objects.create(prompt=prompt, competitor=c, text=f"answer {c.pk}")
    arena = make_arena("adaptive", competitors=competitors, prompts=[prompt])
    scores = np.array([1000, 1010, 1200, 1400, 1600]) * math.log(10) / 400
    variance = (40.0 / 1.959963984540054 * math.log(10) / 400) ** 2
    pairing_state_replace(
        arena=arena,
        strengths={c.pk: (s, variance) for c, s in zip(competitors, scores, strict=True)},
        watermark=1,
        run_id=1,
    )

    battles = battles_serve(
        arena=arena,
        voter=Voter(judge=judge),
        count=200,
        restrict=BattleFilter(policy="information"),
        rng=random.Random(2),
    )

    # The same probabilities computed by hand from the stored state.
    state = PairingState(
        scores=scores - scores.mean(), covariance=np.eye(5) * variance, pair_votes=np.zeros((5, 5))
    )
    expected = _by_pair([c.pk for c in competitors], information(state))
    for battle in battles:
        pair = tuple(sorted((battle.competitor_a_id, battle.competitor_b_id)))
        assert battle.pair_probability == pytest.approx(expected[pair], rel=1e-9)
    drawn = Counter(tuple(sorted((b.competitor_a_id, b.competitor_b_id))) for b in battles)
    closest = (competitors[0].pk, competitors[1].pk)
    assert drawn.most_common(1)[0][0] == closest


def _by_pair(ids: list[int], probabilities: np.ndarray) -> dict[tuple[int, int], float]:
    """A policy's probabilities over sorted ``ids`` keyed by pair of competitor ids."""
    first, second = np.triu_indices(len(ids), 1)
    return {
        (ids[i], ids[j]): float(p) for i, j, p in zip(first, second, probabilities, strict=True)
    }


def test_the_judge_api_takes_a_policy_and_refuses_an_unknown_one(arena_setup, judge):
    api = Api(key_for(scopes=["judge"], judge=judge))
    refused = api.post("/api/v1/battles", {"count": 2, "policy": "best-guess"})
    assert refused.status_code == 400
    assert "policy" in refused.json()["message"]
    assert not Battle.objects.exists()
    served = api.post("/api/v1/battles", {"count": 4, "policy": "uniform"})
    assert served.status_code == 200
    assert len(served.json()["battles"]) == 4
    stored = list(Battle.objects.values_list("pair_probability", flat=True))
    assert stored == pytest.approx([1 / 3] * 4)


def test_inverse_probability_weights_average_one_and_leave_unknowns_at_one():
    weights = vote_weights_from_probabilities([0.5, 0.25, None])
    assert weights.tolist() == pytest.approx([2 / 3, 4 / 3, 1.0])


def test_a_weighted_board_fits_each_vote_at_one_over_its_pair_probability(arena_setup):
    arena = arena_setup["arena"]
    a, _, c = arena_setup["competitors"]
    rng = random.Random(3)
    # Battles stored with unequal draw probabilities, as an adaptive policy leaves them.
    for k in range(60):
        battle = battle_create(arena=arena, voter=Voter(session_key="s"), rng=rng)
        Battle.objects.filter(pk=battle.pk).update(pair_probability=(0.1, 0.3, 0.6)[k % 3])
        favourite = a.pk if k % 4 else c.pk
        if favourite in (battle.competitor_a_id, battle.competitor_b_id):
            outcome = Outcome.A if battle.competitor_a_id == favourite else Outcome.B
        else:
            outcome = Outcome.TIE
        vote_record(public_id=battle.public_id, voter=Voter(session_key="s"), outcome=outcome)
    services.leaderboards_ensure_defaults(arena)
    weighted = Leaderboard.objects.create(
        arena=arena,
        slug="weighted",
        name="Weighted",
        methods=["bt"],
        inverse_probability_weights=True,
    )
    services.leaderboards_check(enqueue=False)
    runs = {}
    for slug in ("all", "weighted"):
        run = RatingRun.objects.get(leaderboard__slug=slug, method="bt")
        assert services.rating_run_execute(run_id=run.id, task_id=slug) == "done"
        run.refresh_from_db()
        runs[slug] = {row["name"]: row["rating"] for row in run.result["competitors"]}
    assert RatingRun.objects.get(leaderboard=weighted).params["ipw"] is True
    assert runs["weighted"] == pytest.approx(direct_bt_ratings(inverse_probability=True), abs=1e-6)
    assert runs["all"] == pytest.approx(direct_bt_ratings(), abs=1e-6)
    assert max(abs(runs["weighted"][n] - runs["all"][n]) for n in runs["all"]) > 1.0
    assert Vote.objects.count() == 60


def test_the_next_draw_distribution_follows_fewest_votes(cast_votes, arena_setup):
    cast_votes(4)
    probabilities, counts = next_pair_distribution(arena_setup["arena"])
    fewest = min(counts.get(pair, 0) for pair in probabilities)
    tied = [pair for pair in probabilities if counts.get(pair, 0) == fewest]
    assert sum(probabilities.values()) == pytest.approx(1.0)
    assert {pair: probabilities[pair] for pair in tied} == pytest.approx(
        {pair: 1 / len(tied) for pair in tied}
    )


def test_the_pairing_page_is_for_operators_and_shows_the_votes_saved(
    cast_votes, arena_setup, client, django_user_model
):
    arena = arena_setup["arena"]
    cast_votes(30)
    services.leaderboards_check(enqueue=False)
    run = RatingRun.objects.get(leaderboard__slug="all", method="bt")
    assert services.rating_run_execute(run_id=run.id, task_id="t") == "done"
    url = f"/a/{arena.slug}/pairing/"
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(django_user_model.objects.create_user("op", is_staff=True))
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="policy">fewest-votes<' in html
    assert "votes saved" in html
    assert html.count("<tr><td>Model") == 3  # the three pairs


def test_answer_distances_are_computed_once_per_pair(make_competitors, make_prompt):
    a, b, c = make_competitors(3)
    prompt = make_prompt()
    same_a = Completion.objects.create(prompt=prompt, competitor=a, text="one two three four")
    same_b = Completion.objects.create(prompt=prompt, competitor=b, text="One two three four!")
    other = Completion.objects.create(prompt=prompt, competitor=c, text="entirely unrelated words")
    assert completion_distances_fill(prompt_ids=[prompt.pk]) == 3
    assert completion_distances_fill(prompt_ids=[prompt.pk]) == 0
    stored = completion_distances_ensure({(same_a.pk, same_b.pk), (same_a.pk, other.pk)})
    assert stored == {(same_a.pk, same_b.pk): 0.0, (same_a.pk, other.pk): 1.0}
    assert CompletionDistance.objects.count() == 3


def test_prompt_priority_prefers_differing_answers_and_decisive_prompts(
    make_competitors, make_prompt, make_arena, judge
):
    a, b = make_competitors(2)
    alike, differ, tied = make_prompt(), make_prompt(), make_prompt()
    texts = {
        alike: ("the same answer here", "the same answer here"),
        differ: ("alpha beta gamma delta", "one two three four"),
        tied: ("red green blue yellow", "five six seven eight"),
    }
    for prompt, (text_a, text_b) in texts.items():
        Completion.objects.create(prompt=prompt, competitor=a, text=text_a)
        Completion.objects.create(prompt=prompt, competitor=b, text=text_b)
    arena = make_arena("focus", competitors=[a, b], prompts=list(texts), prompt_priority=True)
    for _ in range(6):  # voters could not tell the answers to ``tied`` apart
        battle = battles_serve(
            arena=arena, voter=Voter(judge=judge), count=1, restrict=BattleFilter()
        )[0]
        Battle.objects.filter(pk=battle.pk).update(
            prompt=tied,
            completion_a=Completion.objects.get(prompt=tied, competitor=battle.competitor_a),
            completion_b=Completion.objects.get(prompt=tied, competitor=battle.competitor_b),
        )
        vote_record(public_id=battle.public_id, voter=Voter(judge=judge), outcome=Outcome.TIE)
    served = battles_serve(arena=arena, voter=Voter(judge=judge), count=100, rng=random.Random(4))
    chosen = Counter(battle.prompt_id for battle in served)
    # 80% to the best prompt plus its share of the random 20%: about 87 of 100.
    assert chosen[differ.pk] >= 75
    assert chosen[alike.pk] <= 15
    assert chosen[tied.pk] <= 15
    arena.prompt_priority = False
    arena.save()
    uniform = battles_serve(arena=arena, voter=Voter(judge=judge), count=99, rng=random.Random(4))
    assert min(Counter(battle.prompt_id for battle in uniform).values()) >= 20
