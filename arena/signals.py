"""The one signal the arena listens to: a competitor joining an arena, however it joins.

A competitor enters an arena's pool through the admin's form, an upload, a command or the
shell, all of which end in ``Arena.competitors.add``; listening to that one relation is the
only place that sees them all. The handler only queues work, when the transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from arena.models import Arena
from arena.services.generation import generation_jobs_start


@receiver(m2m_changed, sender=Arena.competitors.through)
def _competitors_joined(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    if action != "post_add" or not pk_set:
        return
    if reverse:  # competitor.arenas.add(arena, ...)
        for arena_id in pk_set:
            generation_jobs_start(arena_id=arena_id, competitor_ids=[instance.pk])
    else:
        generation_jobs_start(arena_id=instance.pk, competitor_ids=pk_set)
