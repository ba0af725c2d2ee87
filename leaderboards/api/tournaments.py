"""The judge API of tournaments: a judge asks for its next matches and votes on them as on any
battle (``POST /api/v1/battles/{id}/vote``); anyone who can see the arena reads the bracket."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from arena import selectors as arena_selectors
from arena.api.permissions import JudgeScope
from arena.api.serializers import MAX_BATTLES_PER_REQUEST, BattlesSerializer, ClosedSerializer
from arena.api.views import ERRORS, ApiView, judge_of
from leaderboards.services.tournaments import (
    TournamentView,
    tournament_advance,
    tournament_battles_serve,
    tournament_get,
    tournament_view,
)


class TournamentBattlesRequestSerializer(ClosedSerializer):
    count = serializers.IntegerField(min_value=1, max_value=MAX_BATTLES_PER_REQUEST, default=1)


class TournamentBattlesView(ApiView):
    permission_classes = [JudgeScope]

    @extend_schema(
        operation_id="tournament_battles",
        request=TournamentBattlesRequestSerializer,
        responses={200: BattlesSerializer, **ERRORS},
    )
    def post(self, request: Request, slug: str, tournament_id: int) -> Response:
        """Up to `count` matches of the tournament playable now, as anonymous battles for this
        judge (none when every playable match is already out with a judge, or the bracket is
        over). Vote on them with `POST /api/v1/battles/{id}/vote`."""
        arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
        tournament = tournament_get(arena=arena, tournament_id=tournament_id)
        serializer = TournamentBattlesRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        battles = tournament_battles_serve(
            tournament_id=tournament.pk,
            judge=judge_of(request),
            count=serializer.validated_data["count"],
        )
        return Response(BattlesSerializer({"battles": battles}).data)


class TournamentDetailView(ApiView):
    @extend_schema(operation_id="tournament_detail", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request: Request, slug: str, tournament_id: int) -> Response:
        """The bracket as it stands (votes received so far recorded first): every match with
        its outcome, progress, and a Bradley–Terry ranking of the matches played."""
        arena = arena_selectors.arena_get_for_viewer(slug=slug, user=request.user)
        tournament = tournament_get(arena=arena, tournament_id=tournament_id)
        tournament = tournament_advance(tournament_id=tournament.pk, wait=False)
        return Response(tournament_json(tournament_view(tournament)))


def tournament_json(view: TournamentView) -> dict[str, Any]:
    t = view.tournament
    return {
        "id": t.pk,
        "name": t.name,
        "format": t.format,
        "arena": t.arena.slug,
        "recorded": view.n_recorded,
        "pending": view.n_pending,
        "done": view.done,
        "finished_at": t.finished_at.isoformat() if t.finished_at else None,
        "matches": [asdict(m) for m in view.matches],
        "standings": [asdict(s) for s in view.standings],
    }
