"""Suspicious voters: the flagging job's findings, replaced whole on each run."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from arena.models import Arena, VoterFlag


@transaction.atomic
def voter_flags_replace(*, arena: Arena, flags: Iterable[VoterFlag]) -> int:
    """Make ``flags`` the arena's flags; returns how many. Idempotent: same votes, same flags."""
    VoterFlag.objects.filter(arena=arena).delete()
    created = VoterFlag.objects.bulk_create([f for f in flags if f.arena_id == arena.pk])
    return len(created)
