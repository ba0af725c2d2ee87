"""The page of one competitor in one arena (``/a/<arena>/models/<name>/``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from arena import selectors as arena_selectors
from arena.exceptions import ArenaError
from arena.ratelimit import page_limited
from leaderboards.reports.competitor import competitor_report


@require_GET
@page_limited("board")
def competitor_page(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """Who made it, its licence and link, its standings and history, and its head-to-heads."""
    try:
        arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
        report = competitor_report(arena, name)
    except ArenaError as error:
        return render(request, "arena/refused.html", {"error": error}, status=error.status)
    return render(request, "arena/competitor.html", {"arena": arena, "r": report})
