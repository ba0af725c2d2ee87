from __future__ import annotations

from django.http import HttpRequest

from arena import selectors


def arenas(request: HttpRequest) -> dict[str, object]:
    """The arenas this visitor may see, for the navigation bar."""
    return {"nav_arenas": selectors.arena_list_for_viewer(getattr(request, "user", None))}
