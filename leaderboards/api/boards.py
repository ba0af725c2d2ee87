"""JSON endpoints of the published leaderboards; paths without an arena mean the default one."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arena import selectors as arena_selectors
from arena.api.views import ERRORS
from arena.exceptions import ArenaError
from leaderboards import selectors
from leaderboards.exceptions import NotComputedYet
from leaderboards.reports.comparator import CompareBounds, comparison
from leaderboards.reports.judges import judge_report_for_arena


def _error(status: int, code: str, message: str) -> Response:
    return Response({"code": code, "message": message}, status=status)


class LeaderboardListView(APIView):
    @extend_schema(operation_id="leaderboards_list", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request: Request, slug: str | None = None) -> Response:
        """The arena's leaderboards (scopes) and the methods each publishes."""
        try:
            arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
        except ArenaError as error:
            return _error(error.status, error.code, error.message)
        boards = [
            {
                "scope": board.slug,
                "name": board.name,
                "methods": board.methods,
                "filters": {
                    "category": board.category,
                    "language": board.language,
                    "source": board.source,
                    "voter_kind": board.voter_kind,
                    "judge": board.judge.name if board.judge else None,
                },
            }
            for board in selectors.leaderboard_list(arena)
        ]
        return Response({"arena": arena.slug, "leaderboards": boards})


_HISTORY = OpenApiParameter("history", bool, description="add earlier runs")


class LeaderboardDetailView(APIView):
    @extend_schema(
        operation_id="leaderboard_latest",
        parameters=[_HISTORY],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request, scope: str, method: str, slug: str | None = None) -> Response:
        """The latest run, shaped like ``python -m ratings rate``, with watermark and time."""
        try:
            arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
            board = selectors.leaderboard_get(arena, scope, method)
            run = selectors.run_latest(board, method)
            if run is None:
                raise NotComputedYet
        except ArenaError as error:
            return _error(error.status, error.code, error.message)
        body: dict[str, Any] = selectors.run_snapshot(run)
        if request.query_params.get("history") in ("1", "true"):
            body["history"] = [
                selectors.run_snapshot(r) for r in selectors.run_history(board, method)[1:]
            ]
        return Response(body)


class ArenaLeaderboardListView(LeaderboardListView):
    """The same list for a named arena (its own operation in the schema)."""

    @extend_schema(
        operation_id="arena_leaderboards_list", responses={200: OpenApiTypes.OBJECT, **ERRORS}
    )
    def get(self, request: Request, slug: str | None = None) -> Response:
        return super().get(request, slug)


class ArenaLeaderboardDetailView(LeaderboardDetailView):
    """The same latest run for a named arena."""

    @extend_schema(
        operation_id="arena_leaderboard_latest",
        parameters=[_HISTORY],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request, scope: str, method: str, slug: str | None = None) -> Response:
        return super().get(request, scope, method, slug)


class ArenaJudgeReportView(APIView):
    @extend_schema(
        operation_id="arena_judge_report", responses={200: OpenApiTypes.OBJECT, **ERRORS}
    )
    def get(self, request: Request, slug: str) -> Response:
        """Each judge's (and the crowd's) position consistency and bias, transitivity, length
        bias, and the agreement of every pair, shaped like ``python -m ratings judges``."""
        try:
            arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
        except ArenaError as error:
            return _error(error.status, error.code, error.message)
        return Response({"arena": arena.slug, **judge_report_for_arena(arena)})


_QUERY = OpenApiParameter("q", str, description="search the rationales and reasons")


class ArenaCompareView(APIView):
    @extend_schema(
        operation_id="arena_compare",
        parameters=[_QUERY],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request, slug: str, a: str, b: str) -> Response:
        """Competitor ``a`` against ``b``: head-to-head with a Wilson interval, by category and by
        judge, the prompts whose answers differ most, crowd-judge disagreements, outcome by
        length difference, and the rationales (``q`` filters them)."""
        try:
            arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
            q = request.query_params.get("q", "")[:200]
            bounds = CompareBounds.from_settings()
            return Response(comparison(arena, a, b, q=q, bounds=bounds))
        except ArenaError as error:
            return _error(error.status, error.code, error.message)
