"""Arenas, their content and their voter groups."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import ManyToManyField, Model

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
        _link(Arena, "competitors", arena.pk, competitor_ids)
    if prompt_ids:
        _link(PromptSet, "prompts", arena_prompt_set(arena).pk, prompt_ids)


def _link(model: type[Model], name: str, source_id: int, target_ids: list[int]) -> None:
    """Add ``target_ids`` to ``model``'s many-to-many ``name`` of row ``source_id``.

    On PostgreSQL one INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING: an import links tens of
    thousands of prompts, which ``add()`` would turn into as many model instances. (No handler
    listens to ``m2m_changed`` on these relations.)
    """
    field = model._meta.get_field(name)
    if not isinstance(field, ManyToManyField):
        raise TypeError(f"{model.__name__}.{name} is not a many-to-many field")
    if connection.vendor != "postgresql":
        getattr(model._default_manager.get(pk=source_id), name).add(*target_ids)
        return
    quote = connection.ops.quote_name
    through = quote(getattr(model, name).through._meta.db_table)
    source, target = quote(field.m2m_column_name()), quote(field.m2m_reverse_name())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {through} ({source}, {target}) "
            f"SELECT %s, unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
            [source_id, target_ids],
        )


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
