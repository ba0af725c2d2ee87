"""Platform-run judges: verdict parsing, both positions, votes through vote_record."""

from __future__ import annotations

import re
from typing import Any

import pytest

from arena.judge_prompts import ARENA_HARD_NAME, MT_BENCH_NAME
from arena.models import Battle, JudgeCall, JudgeTemplate, JudgingPolicy, Outcome, Vote
from arena.services.judging import judge_messages, judging_run, verdict_parse
from arena.voters import Voter
from tests.endpoint_server import Reply
from tests.judging_setup import judge_script, judging_arena, scripted_verdict

pytestmark = pytest.mark.django_db

OUTCOME = {"A>>B": Outcome.A, "A>B": Outcome.A, "A=B": Outcome.TIE, "B>A": Outcome.B}
OUTCOME["B>>A"] = Outcome.B


@pytest.mark.parametrize(
    ("text", "scale", "label"),
    [
        ("…so my final verdict is: [[A>>B]]", "five", "A>>B"),
        ("[[B>A]] and again [[B>A]]", "five", "B>A"),
        ("first [[A>B]], on reflection [[B>A]]", "five", None),  # two verdicts: none
        ("no verdict at all", "five", None),
        ("[[A]]", "five", None),  # the other scale's label
        ("[[C]]", "three", "C"),
        ("Assistant B is better. [[B]]", "three", "B"),
        ("[[A>B]]", "three", None),
    ],
)
def test_verdicts_are_parsed_as_arena_hard_and_mt_bench_write_them(
    text: str, scale: str, label: str | None
) -> None:
    assert verdict_parse(text, scale) == label


def test_the_built_in_templates_are_there_and_fill_in_the_battle() -> None:
    five = JudgeTemplate.objects.get(name=ARENA_HARD_NAME)
    three = JudgeTemplate.objects.get(name=MT_BENCH_NAME)
    assert (five.scale, three.scale, five.is_builtin) == ("five", "three", True)
    assert "[[A>>B]]" in five.system_prompt
    assert "[[C]]" in three.system_prompt
    system, user = judge_messages(five, question="Q {x}?", answer_a="one", answer_b="two")
    assert system["role"] == "system"
    assert "Q {x}?" in user["content"]  # braces in the texts are left alone
    assert user["content"].index("one") < user["content"].index("two")


def _battle_label(battle: Battle) -> str:
    question = int(re.search(r"question (\d+)", battle.prompt.text)[1])  # type: ignore[index]
    return scripted_verdict(question, battle.competitor_a.name, battle.competitor_b.name)


def test_a_budget_is_spent_in_both_positions_and_recorded_as_votes(
    endpoint_server: Any,
) -> None:
    server = endpoint_server(judge_script())
    judging = judging_arena(n_models=3, n_prompts=6, url=server.url, budget=12)
    more = judging_run(judging_id=judging.pk, batch_size=4)
    assert more is True
    assert judging_run(judging_id=judging.pk, batch_size=4) is False
    assert judging_run(judging_id=judging.pk, batch_size=4) is False  # budget spent
    calls = JudgeCall.objects.select_related(
        "battle__prompt", "battle__competitor_a", "battle__competitor_b", "battle__vote"
    )
    assert calls.count() == 12
    assert len(server.received()) == 12
    judging.refresh_from_db()
    assert judging.calls_made == 12
    for call in calls:
        assert call.status == "voted"
        assert call.verdict == _battle_label(call.battle)
        vote = call.battle.vote
        assert (vote.source, vote.judge_id) == ("judge", judging.judge_id)
        assert vote.outcome == OUTCOME[call.verdict]
        assert "[[" in vote.rationale
    # Each battle has its twin: the same prompt and answers, positions swapped.
    battles = {(b.prompt_id, b.competitor_a_id, b.competitor_b_id) for b in Battle.objects.all()}
    assert all((p, b, a) in battles for p, a, b in battles)


def test_an_unparseable_answer_is_asked_again_then_recorded_as_such(
    endpoint_server: Any, settings: Any
) -> None:
    settings.ARENA_JUDGING_ATTEMPTS = 2
    server = endpoint_server(judge_script(unparseable_once={0, 1, 2, 3}))
    judging = judging_arena(n_models=2, n_prompts=4, url=server.url, budget=2)
    judging_run(judging_id=judging.pk, batch_size=1)
    call = JudgeCall.objects.get(battle__competitor_a__name="m0")
    twin = JudgeCall.objects.get(battle__competitor_a__name="m1")
    # One of the two calls met the question's one unparseable answer and was asked again.
    assert sorted([call.attempts, twin.attempts]) == [1, 2]
    assert {call.status, twin.status} == {"voted"}

    settings.ARENA_JUDGING_ATTEMPTS = 1
    silent = endpoint_server(lambda body: Reply(text="Both answers have merits; I cannot decide."))
    judging.judge.endpoint.base_url = silent.url
    judging.judge.endpoint.save()
    JudgingPolicy.objects.filter(pk=judging.pk).update(budget_calls=4)
    judging_run(judging_id=judging.pk, batch_size=1)
    unparsed = JudgeCall.objects.filter(status="unparseable")
    assert unparsed.count() == 2
    assert all("cannot decide" in c.text for c in unparsed)
    assert not Vote.objects.filter(battle__judge_call__in=unparsed).exists()


def test_following_the_crowd_judges_every_or_a_sample_of_new_battles(
    endpoint_server: Any, make_battle: Any
) -> None:
    server = endpoint_server(judge_script())
    judging = judging_arena(n_models=3, n_prompts=5, url=server.url, mode="every")
    crowd = [make_battle(voter=Voter(session_key=f"s{i}"), arena=judging.arena) for i in range(6)]
    assert judging_run(judging_id=judging.pk, batch_size=10) is False
    judged = Battle.objects.filter(judge=judging.judge)
    assert judged.count() == 12
    firsts = {(b.prompt_id, b.competitor_a_id, b.competitor_b_id) for b in crowd}
    assert firsts <= {(b.prompt_id, b.competitor_a_id, b.competitor_b_id) for b in judged}
    assert judging_run(judging_id=judging.pk, batch_size=10) is False  # nothing new
    assert judged.count() == 12

    JudgingPolicy.objects.filter(pk=judging.pk).update(mode="sample", sample_share=0.0)
    make_battle(voter=Voter(session_key="late"), arena=judging.arena)
    judging_run(judging_id=judging.pk, batch_size=10)
    assert judged.count() == 12  # a share of 0 judges none of them
    judging.refresh_from_db()
    assert judging.last_battle_id == Battle.objects.filter(origin="crowd").latest("id").pk


def test_a_verdict_on_an_expired_battle_is_kept_as_a_failed_call(
    endpoint_server: Any, settings: Any
) -> None:
    settings.ARENA_BATTLE_TTL_SECONDS = 0  # every battle has expired by the time it is judged
    server = endpoint_server(judge_script())
    judging = judging_arena(n_models=2, n_prompts=2, url=server.url, budget=2)
    judging_run(judging_id=judging.pk, batch_size=1)
    assert set(JudgeCall.objects.values_list("status", flat=True)) == {"failed"}
    assert "expired" in JudgeCall.objects.first().text.lower()
    assert not Vote.objects.exists()
