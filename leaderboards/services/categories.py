"""Per-category boards: each prompt category of an arena gets its own board beside the overall one.

LMArena shows a board per category (coding, maths, writing, ...) with each model's rank there
against its overall rank; a model that is third overall and first at coding is what a reader
looks for. The boards are ordinary leaderboards scoped by ``category``, made by the rating check
(so a category that appears with new prompts gets its board within one check), and made once: an
operator may rename one, change its methods, or switch it off (``is_active``), and the check
leaves it so.
"""

from __future__ import annotations

from django.utils.text import slugify

from arena import selectors as arena_selectors
from arena.models import Arena
from leaderboards.models import Leaderboard

#: The methods of a category board: the Bradley–Terry family. The equilibrium methods play over
#: the categories themselves, which a board of one category does not have.
CATEGORY_METHODS = ("bt", "elo", "style-bt")
#: Category boards' slugs start so, apart from the default scopes and operators' own boards.
SLUG_PREFIX = "category-"
_SLUG_LENGTH = 60


def category_slug(category: str) -> str:
    """The board slug of a category, e.g. ``category-role-play-fiction``; empty if the category
    has no letter or digit to make one from."""
    slug = slugify(category)[: _SLUG_LENGTH - len(SLUG_PREFIX)].strip("-")
    return f"{SLUG_PREFIX}{slug}" if slug else ""


def category_name(category: str) -> str:
    return category.replace("-", " ").replace("_", " ").strip().capitalize()


def leaderboards_ensure_categories(arena: Arena) -> list[Leaderboard]:
    """Make the board of each of the arena's prompt categories that has none; returns those made.

    Idempotent: a board already there under the slug (switched off, renamed, or made by an
    operator) is left as it is.
    """
    made = []
    # one read of the boards there, so that a check with nothing to make writes nothing
    there = set(Leaderboard.objects.filter(arena=arena).values_list("slug", flat=True))
    for category in arena_selectors.prompt_categories_for_arena(arena):
        slug = category_slug(category)
        if not slug or slug in there:
            continue
        board, created = Leaderboard.objects.get_or_create(
            arena=arena,
            slug=slug,
            defaults={
                "name": category_name(category),
                "category": category,
                "methods": list(CATEGORY_METHODS),
            },
        )
        if created:
            made.append(board)
    return made
