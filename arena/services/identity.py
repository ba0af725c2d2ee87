"""Answers that reveal their competitor: found at upload, kept out of anonymous battles."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q, QuerySet

from arena.models import Completion, Vote
from arena.text import identity_leak, identity_terms


def completions_identity_scan(*, completions: QuerySet[Completion]) -> int:
    """Set ``identity_leak`` on these completions from their text; returns how many reveal.

    Run after every bulk insert (imports, uploads, the demo), which skips ``save()``, and by the
    admin action after a competitor is renamed or the phrases change.
    """
    phrases = settings.ARENA_IDENTITY_PHRASES
    changed, revealing = [], 0
    for completion in completions.select_related("competitor").only(
        "id", "text", "identity_leak", "competitor__name", "competitor__organisation"
    ):
        terms = identity_terms(
            completion.competitor.name, completion.competitor.organisation, phrases
        )
        found = identity_leak(completion.text, terms)[:200]
        revealing += bool(found)
        if found != completion.identity_leak:
            completion.identity_leak = found
            changed.append(completion)
    Completion.objects.bulk_update(changed, ["identity_leak"], batch_size=1000)
    return revealing


def votes_mark_identity_revealed(*, battle_ids: Iterable[int] | None = None) -> int:
    """Mark the votes on battles showing an answer that reveals its competitor; returns count.

    Imported votes get it here (their answers arrive with them); crowd and judge votes get it
    when recorded.
    """
    # A positive test on the leaking completions: a negated filter (``~Q(...leak="")``) is also
    # true where the battle has no completion, and would mark every imported vote without answers.
    leaking = Completion.objects.exclude(identity_leak="").values("id")
    votes = Vote.objects.filter(identity_revealed=False).filter(
        Q(battle__completion_a__in=leaking) | Q(battle__completion_b__in=leaking)
    )
    if battle_ids is not None:
        votes = votes.filter(battle_id__in=list(battle_ids))
    return votes.update(identity_revealed=True)


def completions_leak_allow(*, completions: QuerySet[Completion]) -> int:
    """An operator's decision to serve these answers although they may reveal their author."""
    return completions.update(leak_allowed=True)
