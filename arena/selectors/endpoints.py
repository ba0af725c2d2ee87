"""Reads for platform-run work: the prompts a competitor has yet to answer, the battles a
platform-run judge has yet to judge."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from arena.models import Arena, Battle, Completion, Prompt


def prompts_missing_answers(*, arena: Arena, competitor_id: int, limit: int) -> list[Prompt]:
    """The arena's prompts without an answer by the competitor, oldest first."""
    answered = Completion.objects.filter(prompt=OuterRef("pk"), competitor_id=competitor_id)
    return list(
        arena_prompts(arena).filter(~Exists(answered)).only("id", "text").order_by("id")[:limit]
    )


def arena_prompts(arena: Arena) -> QuerySet[Prompt]:
    return Prompt.objects.filter(
        pk__in=Prompt.objects.filter(prompt_sets__arenas=arena).values("pk")
    )


def answers_progress(*, arena: Arena, competitor_id: int) -> tuple[int, int]:
    """(answered, prompts) of the arena for one competitor."""
    prompts = arena_prompts(arena)
    answered = Completion.objects.filter(competitor_id=competitor_id, prompt__in=prompts)
    return answered.count(), prompts.count()


def crowd_battles_after(*, arena: Arena, after_id: int, limit: int) -> list[Battle]:
    """The arena's battles served to people after ``after_id``, oldest first (what a judging
    policy of 'every' or 'sample' mode judges)."""
    return list(
        Battle.objects.filter(arena=arena, origin=Battle.Origin.CROWD, pk__gt=after_id)
        .only(
            "id",
            "public_id",
            "prompt_id",
            "competitor_a_id",
            "competitor_b_id",
            "completion_a_id",
            "completion_b_id",
        )
        .order_by("id")[:limit]
    )


def battles_for_judging(battle_ids: list[int]) -> list[Battle]:
    """Battles with the texts a judge reads: the prompt and both answers."""
    return list(
        Battle.objects.filter(pk__in=battle_ids)
        .select_related("prompt", "completion_a", "completion_b")
        .order_by("id")
    )
