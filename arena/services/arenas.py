"""Arenas, their content and their voter groups."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from arena.exceptions import ArenaNotFound
from arena.models import Arena, PromptSet, User, VoterGroup

DEFAULT_SLUG = "main"


def arena_ensure_default() -> Arena:
    """The default arena, created (public, open to anyone) when there is none yet."""
    arena = Arena.objects.filter(is_default=True).first()
    if arena is not None:
        return arena
    arena, _ = Arena.objects.get_or_create(
        slug=DEFAULT_SLUG, defaults={"name": "Main arena", "is_default": True}
    )
    return arena


def arena_prompt_set(arena: Arena) -> PromptSet:
    """The arena's own prompt set (named after its slug), where imported prompts go."""
    prompt_set, _ = PromptSet.objects.get_or_create(name=arena.slug, version=1)
    arena.prompt_sets.add(prompt_set)
    return prompt_set


@transaction.atomic
def arena_content_add(
    *, arena: Arena, competitor_ids: Iterable[int] = (), prompt_ids: Iterable[int] = ()
) -> None:
    """Put competitors in the arena's pool and prompts in its own prompt set."""
    competitor_ids = list(competitor_ids)
    prompt_ids = list(prompt_ids)
    if competitor_ids:
        arena.competitors.add(*competitor_ids)
    if prompt_ids:
        arena_prompt_set(arena).prompts.add(*prompt_ids)


def arena_get_by_slug(slug: str | None) -> Arena:
    """For commands: the arena named, or the default one (created if needed) when None."""
    if slug is None:
        return arena_ensure_default()
    arena = Arena.objects.filter(slug=slug).first()
    if arena is None:
        raise ArenaNotFound(f"No arena with the slug {slug!r}.")
    return arena


def voter_group_join(*, token: str, user: User) -> VoterGroup:
    """Add the user to the group whose invitation link carries ``token``."""
    group = VoterGroup.objects.filter(invite_token=token).first()
    if group is None:
        raise ArenaNotFound("This invitation link is not valid (any more).")
    group.members.add(user)
    return group
