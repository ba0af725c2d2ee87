"""An arena, a platform-run judge and a scripted judge server, for the judging tests.

The judge server reads the battle out of the built-in arena-hard template's user message and
answers with a verdict scripted from (question, answer shown first, answer shown second), so a
test can recompute every verdict it should find stored.
"""

from __future__ import annotations

import re
from typing import Any

from arena.judge_prompts import ARENA_HARD_NAME
from arena.models import (
    Arena,
    Competitor,
    Completion,
    Endpoint,
    Judge,
    JudgingPolicy,
    Prompt,
    PromptSet,
)
from arena.services.judging import judge_templates_builtin_ensure
from tests.endpoint_server import Reply, last_user_message

_BATTLE = re.compile(
    r"question (\d+)\..*?Assistant A's Answer\|>\n(m\d) answers.*?Assistant B's Answer\|>\n(m\d) ",
    re.DOTALL,
)


def scripted_verdict(question: int, first: str, second: str) -> str:
    """Lower-numbered models are better; on every fifth question the judge prefers whatever it
    sees first (a position bias), so its position consistency is below one."""
    if question % 5 == 0:
        return "A>B"
    i, j = int(first[1:]), int(second[1:])
    gap = abs(i - j)
    if gap == 0:
        return "A=B"
    better_first = i < j
    mark = ">>" if gap >= 2 else ">"
    return f"A{mark}B" if better_first else f"B{mark}A"


def judge_script(unparseable_once: set[int] | None = None) -> Any:
    """The judge server's script; the first answer about each question listed has no verdict."""
    once = set(unparseable_once or ())

    def script(body: dict[str, Any]) -> Reply:
        found = _BATTLE.search(last_user_message(body))
        if found is None:
            return Reply(status=400)
        question, first, second = int(found[1]), found[2], found[3]
        if question in once:
            once.discard(question)
            return Reply(text="Both answers have merits; I cannot decide.")
        verdict = scripted_verdict(question, first, second)
        return Reply(
            text=f"My own answer first: ... Comparing them, my final verdict: [[{verdict}]]"
        )

    return script


def judging_arena(
    *, n_models: int, n_prompts: int, url: str, mode: str = "budget", budget: int = 0
) -> JudgingPolicy:
    arena = Arena.objects.create(slug="judged", name="Judged")
    prompt_set = PromptSet.objects.create(name="judged")
    prompts = Prompt.objects.bulk_create(
        [Prompt(text=f"Solve question {q}.", content_hash=f"j{q}") for q in range(n_prompts)]
    )
    prompt_set.prompts.add(*prompts)
    arena.prompt_sets.add(prompt_set)
    models = [Competitor.objects.create(name=f"m{i}") for i in range(n_models)]
    arena.competitors.add(*models)
    Completion.objects.bulk_create(
        [
            Completion(prompt=p, competitor=m, text=f"{m.name} answers question {q}.")
            for q, p in enumerate(prompts)
            for m in models
        ]
    )
    endpoint = Endpoint.objects.create(name="judge server", base_url=url, model="judge-1")
    judge = Judge.objects.create(
        name="platform-judge",
        endpoint=endpoint,
        template=next(t for t in judge_templates_builtin_ensure() if t.name == ARENA_HARD_NAME),
    )
    return JudgingPolicy.objects.create(arena=arena, judge=judge, mode=mode, budget_calls=budget)
