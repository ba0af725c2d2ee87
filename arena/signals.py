"""The signals the arena listens to: a competitor joining an arena, however it joins, and the
end of ``migrate`` or ``flush``.

A competitor enters an arena's pool through the admin's form, an upload, a command or the
shell, all of which end in ``Arena.competitors.add``; listening to that one relation is the
only place that sees them all. The handler only queues work, when the transaction commits.

The migrations create the rows the arena cannot run well without (the built-in judge templates,
the answers' version number); ``flush`` empties every table and then sends ``post_migrate``,
so that handler makes them again rather than leave the pairing cache off for good.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import m2m_changed, post_migrate
from django.dispatch import receiver

from arena.models import Arena
from arena.services.generation import generation_jobs_start
from arena.services.judging import judge_templates_builtin_ensure
from arena.services.pairing_state import answers_version_ensure


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


def _migrated(
    sender: AppConfig, using: str = DEFAULT_DB_ALIAS, apps: Apps = global_apps, **_: Any
) -> None:
    """``migrate`` sends the migrated state's ``apps``; ``flush`` sends none (all is there)."""
    if sender.name != "arena":
        return
    try:  # a migration back to before these tables existed: nothing to make
        apps.get_model("arena", "JudgeTemplate")
        apps.get_model("arena", "AnswersVersion")
    except LookupError:
        return
    judge_templates_builtin_ensure(using=using)
    answers_version_ensure(using=using)


post_migrate.connect(_migrated, dispatch_uid="arena-required-rows")
