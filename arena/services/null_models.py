"""The null-model guard: a competitor whose answers barely depend on the prompt is held back.

A constant answer (crafted to please an LLM judge whatever the question) can win benchmark
battles; its signature is that its answers to different prompts are nearly the same text. An
answer that only repeats its prompt (the Vicuna-80 demo's ``13-self-instruct``) changes with the
prompt but says nothing either. The score is the larger of two means of word-3-gram Jaccard
similarity over a competitor's newest ``ARENA_NULL_MODEL_SAMPLE`` answers: between its answers to
different prompts, and between each answer and its own prompt. At or above
``ARENA_NULL_MODEL_THRESHOLD`` the competitor is flagged and its votes are kept off public
leaderboards until an operator clears it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from arena.models import Competitor, Completion
from ratings.core.textsim import mean_pairwise_similarity, text_similarity

MIN_PROMPTS = 3


def null_models_check(*, competitor_ids: Iterable[int]) -> list[str]:
    """Score these competitors' answers; flag the prompt-independent ones. Returns their names.

    A competitor an operator cleared stays cleared; its score is still updated.
    """
    flagged = []
    sample = settings.ARENA_NULL_MODEL_SAMPLE
    for competitor in Competitor.objects.filter(pk__in=set(competitor_ids)):
        rows = list(
            Completion.objects.filter(competitor=competitor)
            .order_by("-id")
            .values_list("text", "prompt__text")[:sample]
        )
        score = _score(rows) if len(rows) >= MIN_PROMPTS else None
        hit = score is not None and score >= settings.ARENA_NULL_MODEL_THRESHOLD
        Competitor.objects.filter(pk=competitor.pk).update(
            null_model_score=score, null_model_flagged=hit
        )
        if hit and not competitor.null_model_cleared:
            flagged.append(competitor.name)
    return flagged


def _score(rows: list[tuple[str, str]]) -> float:
    """How little the answers say beyond their prompts: 1 for a constant or an echo, near 0 for
    answers that each address their own prompt."""
    across = mean_pairwise_similarity([text for text, _ in rows]) or 0.0
    echo = sum(text_similarity(text, prompt) for text, prompt in rows) / len(rows)
    return max(across, echo)


@transaction.atomic
def null_model_clear(*, competitor: Competitor) -> None:
    """An operator's decision: the flagged competitor may appear on leaderboards after all."""
    Competitor.objects.filter(pk=competitor.pk).update(null_model_cleared=True)
