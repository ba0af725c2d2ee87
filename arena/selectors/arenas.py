"""Arenas and API keys: who may see what."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from arena.access import can_view
from arena.exceptions import ArenaNotFound
from arena.models import (
    ApiKey,
    Arena,
    Judge,
    Prompt,
    ScopeVoteCount,
    User,
    key_hash,
)


def arena_get_default() -> Arena:
    """The arena behind the URLs without an arena; ArenaNotFound when none is configured."""
    arena = Arena.objects.filter(is_default=True).first()
    if arena is None:
        raise ArenaNotFound("No default arena is configured; create one in the admin.")
    return arena


def arena_get_for_viewer(*, slug: str | None, user: User | AnonymousUser | None) -> Arena:
    """The arena with that slug (the default one when None) if this user may see it.

    A private arena the user may not see gets the same answer as one that does not exist.
    """
    if slug is None:
        return arena_get_default()
    arena = Arena.objects.filter(slug=slug).first()
    if arena is None or not can_view(arena, user):
        raise ArenaNotFound
    return arena


def arena_list_public() -> QuerySet[Arena]:
    return Arena.objects.filter(visibility=Arena.Visibility.PUBLIC).order_by("-is_default", "name")


def arena_list_for_viewer(user: User | AnonymousUser | None) -> list[Arena]:
    """Public arenas, plus the private ones this user may see (unlisted ones stay unlisted)."""
    visible = Q(visibility=Arena.Visibility.PUBLIC)
    if user is not None and user.is_authenticated:
        if user.is_staff:
            visible |= Q(visibility=Arena.Visibility.PRIVATE)
        else:
            visible |= Q(visibility=Arena.Visibility.PRIVATE, voter_groups__members=user)
    return list(Arena.objects.filter(visible).distinct().order_by("-is_default", "name"))


# --- API keys ----------------------------------------------------------------------------------


def api_key_get_active(secret: str) -> ApiKey | None:
    """The unrevoked key with that secret; None for anything else.

    Plain SQL, because every API request pays for it. The key's judge comes with only its id
    loaded (the vote path needs no more; other fields load on access), its user on access.
    """
    keys = ApiKey.objects.raw(_ACTIVE_KEY, [key_hash(secret)])
    api_key = next(iter(keys), None)
    if api_key is not None and api_key.judge_id is not None:
        api_key.judge = Judge.from_db(api_key._state.db, ["id"], [api_key.judge_id])
    return api_key


_ACTIVE_KEY = (
    f"SELECT * FROM {ApiKey._meta.db_table} "  # noqa: S608 (a constant)
    "WHERE hashed_key = %s AND revoked_at IS NULL"
)


def prompt_categories_for_arena(arena: Arena) -> list[str]:
    """The categories of the arena's prompts (its prompt sets' and those of its voted battles),
    sorted; a prompt without a category adds none.

    The voted ones come from the maintained counts (``ScopeVoteCount``), not the votes: the
    rating check asks this of every arena every few seconds (146 s at a million votes when it
    joined the votes)."""
    voted = (
        ScopeVoteCount.objects.filter(arena=arena, n__gt=0)
        .exclude(category="")
        .values_list("category", flat=True)
    )
    in_sets = (
        Prompt.objects.filter(prompt_sets__arenas=arena)
        .exclude(category="")
        .values_list("category", flat=True)
    )
    # one query; UNION keeps each category once (SQLite refuses an ORDER BY inside it)
    return sorted(in_sets.order_by().union(voted.order_by()))
