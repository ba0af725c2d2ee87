"""Rating pages: the published leaderboards and the personal board."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.views.decorators.http import require_GET

from arena import selectors as arena_selectors
from arena.exceptions import ArenaError
from arena.ratelimit import page_limited
from arena.voters import Voter
from leaderboards import selectors
from leaderboards.exceptions import LeaderboardNotFound
from leaderboards.reports.board_page import (
    board_matrices,
    board_view,
    matrix_tables,
    rating_history,
    with_rank_deltas,
)
from leaderboards.reports.boards import personal_board
from leaderboards.reports.comparator import CompareBounds, comparison
from leaderboards.reports.judges import judge_report_for_arena
from leaderboards.reports.pairing import pairing_report
from leaderboards.services.tournaments import tournament_advance, tournament_get, tournament_view
from ratings import engine

METHOD_LABELS = {name: method.label for name, method in engine.METHODS.items()}


@require_GET
@page_limited("board")
def personal_board_page(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """This voter's board beside the arena's, once they have cast enough votes."""
    try:
        arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
    except ArenaError as error:
        return render(request, "arena/refused.html", {"error": error}, status=error.status)
    if request.user.is_authenticated:
        voter = Voter(user=request.user)
    elif request.session.session_key:
        voter = Voter(session_key=request.session.session_key)
    else:
        voter = None
    board = None
    if voter is not None:
        board = personal_board(
            arena=arena,
            voter=voter,
            min_votes=settings.ARENA_PERSONAL_BOARD_MIN_VOTES,
            prior_precision=settings.ARENA_PERSONAL_PRIOR_PRECISION,
        )
    context = {"arena": arena, "board": board, "min_votes": settings.ARENA_PERSONAL_BOARD_MIN_VOTES}
    return render(request, "ratings/personal.html", context)


@require_GET
@page_limited("board")
def board_page(
    request: HttpRequest, slug: str | None = None, scope: str = "all", method: str = "bt"
) -> HttpResponse:
    """A published leaderboard: ratings with intervals, matrices, history; updated live."""
    try:
        arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
    except ArenaError as error:
        return render(request, "arena/refused.html", {"error": error}, status=error.status)
    boards = selectors.leaderboard_list(arena)
    board = next((b for b in boards if b.slug == scope), None)
    if board is None or method not in board.methods:
        missing = LeaderboardNotFound(f"No leaderboard {scope!r} with method {method!r} here.")
        return render(request, "arena/refused.html", {"error": missing}, status=missing.status)
    run = selectors.run_latest(board, method)
    snapshot = selectors.run_snapshot(run) if run else None
    matrices = board_matrices(run) if run else None
    overall = selectors.overall_ranks(board, method) if snapshot else None
    if snapshot and overall:
        snapshot = with_rank_deltas(snapshot, overall)
    context = {
        "arena": arena,
        "boards": [b for b in boards if not b.category],
        "category_boards": [
            (b, method if method in b.methods else b.methods[0])
            for b in boards
            if b.category and b.methods
        ],
        "board": board,
        "method": method,
        "methods": [(m, METHOD_LABELS.get(m, m)) for m in board.methods],
        "snapshot": snapshot,
        "view": board_view(snapshot) if snapshot else None,
        "matrices": matrices,
        "matrix_rows": matrix_tables(matrices) if matrices else None,
        "history": rating_history(board, method) if run else None,
    }
    return render(request, "ratings/board.html", context)


@require_GET
@page_limited("board")
def judges_page(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """How far to trust each judge of the arena, and the crowd: bias, consistency, agreement."""
    try:
        arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
    except ArenaError as error:
        return render(request, "arena/refused.html", {"error": error}, status=error.status)
    report = judge_report_for_arena(arena)
    return render(request, "ratings/judges.html", {"arena": arena, "report": report})


@require_GET
@staff_member_required
def pairing_page(request: HttpRequest, slug: str) -> HttpResponse:
    """For operators: how the arena pairs its battles and what that has saved so far."""
    try:
        arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
    except ArenaError as error:
        return render(request, "arena/refused.html", {"error": error}, status=error.status)
    return render(request, "ratings/pairing.html", {"arena": arena, "r": pairing_report(arena)})


@require_GET
@page_limited("board")
def tournament_page(request: HttpRequest, slug: str, tournament_id: int) -> HttpResponse:
    """A tournament's bracket and standings, kept current by polling its JSON."""
    try:
        arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
        tournament = tournament_get(arena=arena, tournament_id=tournament_id)
    except ArenaError as error:
        return render(request, "arena/refused.html", {"error": error}, status=error.status)
    tournament = tournament_advance(tournament_id=tournament.pk, wait=False)
    context = {"arena": arena, "v": tournament_view(tournament)}
    return render(request, "ratings/tournament.html", context)


@require_GET
@page_limited("compare")
def compare_page(request: HttpRequest, a: str, b: str, slug: str | None = None) -> HttpResponse:
    """Two competitors side by side; ``?q=`` searches the judges' rationales and voters' reasons."""
    try:
        arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
        found = comparison(
            arena, a, b, q=request.GET.get("q", "")[:200], bounds=CompareBounds.from_settings()
        )
    except ArenaError as error:
        return render(request, "arena/refused.html", {"error": error}, status=error.status)
    return render(request, "ratings/compare.html", {"arena": arena, "c": found})


@require_GET
def compare_pick(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Pick two competitors to compare; ``?a=X&b=Y`` goes to the comparator's own address.

    Without parameters it is the picker form (200); half a pair, or the same name twice, gets
    the form again with what is missing (400).
    """
    try:
        arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
    except ArenaError as error:
        return render(request, "arena/refused.html", {"error": error}, status=error.status)
    a, b = request.GET.get("a", "")[:200], request.GET.get("b", "")[:200]
    problem = ""
    if a and b and a.casefold() != b.casefold():
        try:
            return redirect("arena-compare", slug=arena.slug, a=a, b=b)
        except NoReverseMatch:
            problem = "A name with a slash cannot be compared here yet; pick another pair."
    elif a or b or "a" in request.GET or "b" in request.GET:
        problem = "Pick two different competitors to compare."
    context = {
        "arena": arena,
        "names": arena_selectors.competitor_names_for_arena(arena),
        "a": a,
        "b": b,
        "problem": problem,
    }
    return render(request, "arena/compare_pick.html", context, status=400 if problem else 200)
