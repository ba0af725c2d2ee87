"""The null-model guard: a competitor whose answers barely depend on the prompt is held back.

A constant answer (crafted to please an LLM judge whatever the question) can win benchmark
battles; its signature is that its answers to different prompts are nearly the same text. The
score is the mean word-3-gram Jaccard similarity over pairs of a competitor's answers to
different prompts (its newest ``ARENA_NULL_MODEL_SAMPLE``); at or above
``ARENA_NULL_MODEL_THRESHOLD`` the competitor is flagged and its votes are kept off public
leaderboards until an operator clears it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from arena.models import Competitor, Completion
from ratings.core.textsim import mean_pairwise_similarity

MIN_PROMPTS = 3


def null_models_check(*, competitor_ids: Iterable[int]) -> list[str]:
    """Score these competitors' answers; flag the prompt-independent ones. Returns their names.

    A competitor an operator cleared stays cleared; its score is still updated.
    """
    flagged = []
    sample = settings.ARENA_NULL_MODEL_SAMPLE
    for competitor in Competitor.objects.filter(pk__in=set(competitor_ids)):
        texts = list(
            Completion.objects.filter(competitor=competitor)
            .order_by("-id")
            .values_list("text", flat=True)[:sample]
        )
        score = mean_pairwise_similarity(texts) if len(texts) >= MIN_PROMPTS else None
        hit = score is not None and score >= settings.ARENA_NULL_MODEL_THRESHOLD
        Competitor.objects.filter(pk=competitor.pk).update(
            null_model_score=score, null_model_flagged=hit
        )
        if hit and not competitor.null_model_cleared:
            flagged.append(competitor.name)
    return flagged


@transaction.atomic
def null_model_clear(*, competitor: Competitor) -> None:
    """An operator's decision: the flagged competitor may appear on leaderboards after all."""
    Competitor.objects.filter(pk=competitor.pk).update(null_model_cleared=True)
