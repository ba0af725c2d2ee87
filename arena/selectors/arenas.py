"""Arenas and API keys: who may see what."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from arena.access import can_view
from arena.exceptions import ArenaNotFound
from arena.models import (
    ApiKey,
    Arena,
    Battle,
    Judge,
    Prompt,
    User,
    Vote,
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


#: Votes looked at again below the newest vote id of the last look (as for the watermarks: an id
#: is taken at insert but seen at commit).
CATEGORIES_MARGIN = 1000
#: How long the remembered categories of an arena's voted prompts outlive their last look (each
#: look stores them again). A category given to an already-voted prompt afterwards, or one
#: whose votes were all deleted, shows when they are next read in full: the cache flushed, or
#: this long without a look. A board left without votes is harmless: the check skips it.
CATEGORIES_MEMO_SECONDS = 3600


def prompt_categories_for_arena(arena: Arena) -> list[str]:
    """The categories of the arena's prompts (its prompt sets' and those of its voted battles),
    sorted; a prompt without a category adds none.

    The rating check asks this for every arena every few seconds, and the voted battles' part
    was a join over every vote of the arena (over ten minutes at 10M votes, #21). So that part
    is remembered in the cache with the newest vote id of the whole table at that time (an
    index-only read), and the next look reads only the votes past it (less
    :data:`CATEGORIES_MARGIN`); a table whose newest id went down is read in full again.
    """
    from_sets = Prompt.objects.filter(prompt_sets__arenas=arena).exclude(category="")
    categories = set(from_sets.order_by().values_list("category", flat=True).distinct())
    newest = Vote.objects.aggregate(top=Max("id"))["top"]
    if newest is None:
        return sorted(categories)
    key = f"arena-voted-categories:{arena.pk}"
    memo = cache.get(key)
    voted = Battle.objects.filter(arena=arena)
    if isinstance(memo, tuple) and memo[0] <= newest:
        checked, known = memo
        recent = voted.filter(vote__id__gt=checked - CATEGORIES_MARGIN)
        found = set(known) | _categories_of(recent)
    else:
        # Per prompt, is there a voted battle of the arena: an index probe each, not a join of
        # every vote.
        found = set(
            Prompt.objects.exclude(category="")
            .filter(Exists(voted.filter(prompt=OuterRef("pk"), vote__isnull=False)))
            .order_by()
            .values_list("category", flat=True)
            .distinct()
        )
    cache.set(key, (newest, sorted(found)), CATEGORIES_MEMO_SECONDS)
    return sorted(categories | found)


def _categories_of(battles: QuerySet[Battle]) -> set[str]:
    prompts = Prompt.objects.filter(pk__in=battles.values("prompt_id")).exclude(category="")
    return set(prompts.order_by().values_list("category", flat=True).distinct())
