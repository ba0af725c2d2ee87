"""The rating state the adaptive pairing policies read: written when a rating run is published."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import DEFAULT_DB_ALIAS, transaction

from arena.models import AnswersVersion, Arena, CompetitorStrength


def pairing_state_replace(
    *,
    arena: Arena,
    strengths: Mapping[int, tuple[float, float]],
    watermark: int,
    run_id: int,
) -> bool:
    """Make ``strengths`` (competitor id → (log-strength, variance)) the arena's pairing state.

    The rating app calls this in the transaction that marks its run done, so the state and the
    published board change together. Runs may finish out of order: a state from an older run
    (a smaller ``(watermark, run_id)``) than the stored one is ignored, so pairing always reads
    the newest fit. Returns whether the state was replaced.
    """
    with transaction.atomic():
        # Serialises two publishes for the same arena, so that the newer one wins.
        Arena.objects.select_for_update().filter(pk=arena.pk).values_list("pk").first()
        stored = (
            CompetitorStrength.objects.filter(arena=arena)
            .order_by("-watermark", "-run_id")
            .values_list("watermark", "run_id")
            .first()
        )
        if stored is not None and stored > (watermark, run_id):
            return False
        CompetitorStrength.objects.filter(arena=arena).delete()
        CompetitorStrength.objects.bulk_create(
            CompetitorStrength(
                arena=arena,
                competitor_id=competitor_id,
                score=float(score),
                variance=float(variance),
                watermark=watermark,
                run_id=run_id,
            )
            for competitor_id, (score, variance) in strengths.items()
        )
    return True


def answers_version_ensure(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """The answers' version row, made again where missing (the migration makes it; ``flush``
    empties it): without it the pairing's answers cache is off."""
    AnswersVersion.objects.using(using).get_or_create(pk=1, defaults={"n": 0})
