from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from arena import selectors
from arena.access import vote_offer


def arenas(request: HttpRequest) -> dict[str, object]:
    """The arenas this visitor may see, for the navigation bar.

    Each arena tab leads where this visitor can go: its vote page when they may vote there,
    else its rated boards (a superuser sees a group-only arena but may not vote in it, and a
    tab that answers 403 is no tab). ``nav_default`` is the arena the menu points into on
    pages that belong to no arena (sign-in, my votes, error pages), so the menu is the same.
    """
    user = getattr(request, "user", None)
    visible = selectors.arena_list_for_viewer(user)
    tabs = [
        (
            arena,
            reverse("arena-page", args=[arena.slug])
            if vote_offer(arena, user)
            else reverse("arena-boards", args=[arena.slug]),
        )
        for arena in visible
    ]
    default = next((arena for arena in visible if arena.is_default), None)
    return {"nav_arenas": visible, "nav_arena_tabs": tabs, "nav_default": default}
