"""The API: arenas, judges' battles and votes. Paths without an arena mean the default arena."""

from __future__ import annotations

import hashlib
import io
import json
from typing import IO, Any

from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arena import selectors
from arena.api.exports import export_stream
from arena.api.parsers import JSONLinesParser, JSONLParser
from arena.api.permissions import JudgeScope, ReadScope, SubmitScope
from arena.api.serializers import (
    MAX_VERDICTS_PER_BATCH,
    ArenaSerializer,
    BatchReceiptSerializer,
    BatchRequestSerializer,
    BattleSerializer,
    BattlesRequestSerializer,
    BattlesSerializer,
    BoardRowSerializer,
    ErrorSerializer,
    ExportQuerySerializer,
    HistoryQuerySerializer,
    HistoryRowSerializer,
    JudgeAgreementSerializer,
    LeaderboardSerializer,
    SubmissionReportSerializer,
    SubmissionsSerializer,
    VoteReceiptSerializer,
    VoteRequestSerializer,
    verdict_parse,
)
from arena.exceptions import ArenaError, BatchItemInvalid, InvalidRequest, ScopeMissing
from arena.models import ApiKey, Arena, Judge, User
from arena.services.battles import BattleFilter, battles_serve
from arena.services.judges import Receipt, judge_vote, judge_votes_batch
from arena.services.submissions import UploadCaps, submission_import
from arena.views import export_response
from arena.voters import Voter

ERRORS = dict.fromkeys((400, 401, 403, 404, 409, 410, 413, 422, 429), ErrorSerializer)


def error_response(error: ArenaError) -> Response:
    return Response({"code": error.code, "message": error.message}, status=error.status)


class ArenaListView(APIView):
    @extend_schema(responses={200: ArenaSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        """The arenas this caller may see."""
        arenas = selectors.arena_list_for_viewer(request.user)
        return Response(ArenaSerializer(arenas, many=True).data)


class ArenaDetailView(APIView):
    @extend_schema(responses={200: ArenaSerializer, **ERRORS})
    def get(self, request: Request, slug: str | None = None) -> Response:
        """One arena with its raw board (votes and win rates per competitor)."""
        try:
            arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
        except ArenaError as error:
            return error_response(error)
        data: dict[str, Any] = dict(ArenaSerializer(arena).data)
        data["board"] = BoardRowSerializer(selectors.leaderboard_rows(arena), many=True).data
        return Response(data)


class ArenaExportView(APIView):
    @extend_schema(responses={(200, "application/x-ndjson"): str, **ERRORS})
    def get(self, request: Request, slug: str | None = None) -> HttpResponseBase:
        """The arena's votes in the shared JSON Lines vote schema, with voter feedback."""
        try:
            arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
        except ArenaError as error:
            return error_response(error)
        return export_response(arena)


# --- shared ------------------------------------------------------------------------------------

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    # The schema states what _idempotency checks, so that a generated key is a valid one.
    {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[ -~]+$"},
    OpenApiParameter.HEADER,
    description="1 to 200 printable ASCII characters, new for each new request. A replay gets the "
    "first answer and records nothing; the same key with another body is refused (422).",
)


class ApiView(APIView):
    """An API endpoint whose body limit (413, checked before the body is read) is a setting.

    ``arena.middleware.RequestCheckMiddleware`` reads ``body_limit_setting`` and refuses a
    larger Content-Length before any view code, parser or database query runs.
    """

    body_limit_setting = "ARENA_API_MAX_BODY_BYTES"


def _valid(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _idempotency(request: Request) -> tuple[str | None, str]:
    """The request's Idempotency-Key (checked) and the fingerprint a replay must match."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 200 and key.isprintable() and key.isascii()):  # noqa: PLR2004
        raise InvalidRequest("Idempotency-Key: 1 to 200 printable ASCII characters.")
    body = json.dumps(request.data, sort_keys=True, default=str)
    fingerprint = hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()
    return key, fingerprint


def _receipt_response(receipt: Receipt) -> Response:
    headers = {"Idempotent-Replayed": "true"} if receipt.replayed else None
    return Response(receipt.body, status=receipt.status, headers=headers)


def judge_of(request: Request) -> Judge:
    """The judge the request's key acts for; ScopeMissing (403) for a key without one."""
    api_key = request.auth
    if not isinstance(api_key, ApiKey) or api_key.judge is None:
        raise ScopeMissing("This API key acts for no judge; give it one in the admin.")
    return api_key.judge


# --- judges ------------------------------------------------------------------------------------


def _battle_filter(arena: Arena, params: dict[str, Any]) -> BattleFilter:
    prompt_set = None
    if "prompt_set" in params:
        prompt_set = selectors.prompt_set_get_for_arena(
            arena, params["prompt_set"], params.get("prompt_set_version")
        )
    pair = None
    if "competitors" in params:
        first, second = selectors.competitor_ids_for_arena(arena, params["competitors"])
        pair = (first, second)
    return BattleFilter(
        prompt_set=prompt_set,
        category=params.get("category"),
        competitor_ids=pair,
        copies=params.get("copies", False),
        policy=params.get("policy"),
    )


class BattlesView(ApiView):
    permission_classes = [JudgeScope]

    @extend_schema(
        request=BattlesRequestSerializer,
        responses={200: BattlesSerializer, **ERRORS},
    )
    def post(self, request: Request, slug: str | None = None) -> Response:
        """Serve up to `count` new anonymous battles to this judge (fewer if fewer pairs fit)."""
        arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
        params = _valid(BattlesRequestSerializer, request.data)
        battles = battles_serve(
            arena=arena,
            voter=Voter(judge=judge_of(request)),
            count=params["count"],
            restrict=_battle_filter(arena, params),
        )
        return Response({"battles": BattleSerializer(battles, many=True).data})  # type: ignore[arg-type]


class BattleVoteView(ApiView):
    permission_classes = [JudgeScope]

    @extend_schema(
        request=VoteRequestSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: VoteReceiptSerializer, **ERRORS},
    )
    def post(self, request: Request, battle_id: str) -> Response:
        """Vote on a battle served to this judge: once, before it expires."""
        verdict = verdict_parse(request.data, with_battle=False)
        key, fingerprint = _idempotency(request)
        receipt = judge_vote(
            judge=judge_of(request),
            public_id=battle_id,
            outcome=verdict.outcome,
            rationale=verdict.rationale,
            idempotency_key=key,
            fingerprint=fingerprint,
            p_b=verdict.p_b,
        )
        return _receipt_response(receipt)


class VoteBatchView(ApiView):
    permission_classes = [JudgeScope]

    @extend_schema(
        request=BatchRequestSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: BatchReceiptSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        """Up to 1,000 verdicts, all or nothing: a refused item is named by its index."""
        unknown = (
            sorted(map(str, set(request.data) - {"votes"}))
            if isinstance(request.data, dict)
            else []
        )
        if unknown:
            raise InvalidRequest(f"Unknown field(s): {', '.join(unknown)}.")
        items = request.data.get("votes") if isinstance(request.data, dict) else None
        if not isinstance(items, list) or not 0 < len(items) <= MAX_VERDICTS_PER_BATCH:
            raise InvalidRequest(f"votes: a list of 1 to {MAX_VERDICTS_PER_BATCH} verdicts.")
        verdicts = []
        for index, item in enumerate(items):
            try:
                verdicts.append(verdict_parse(item, with_battle=True))
            except ArenaError as error:
                raise BatchItemInvalid(index, error) from None
        key, fingerprint = _idempotency(request)
        receipt = judge_votes_batch(
            judge=judge_of(request), verdicts=verdicts, idempotency_key=key, fingerprint=fingerprint
        )
        return _receipt_response(receipt)


# --- model owners ------------------------------------------------------------------------------


class SubmissionsView(ApiView):
    permission_classes = [SubmitScope]
    parser_classes = [JSONLinesParser, JSONLParser]

    body_limit_setting = "ARENA_API_MAX_UPLOAD_BYTES"

    @extend_schema(
        request={"application/x-ndjson": {"type": "string"}},
        responses={201: SubmissionReportSerializer, **ERRORS},
    )
    def post(self, request: Request, slug: str | None = None) -> Response:
        """Upload competitors, prompts and completions (JSON Lines, within the upload caps).

        One record a line: `{"model", "organisation"?, "description"?}` for a competitor,
        `{"question_id", "prompt", "category"?, "language"?}` for a prompt, and
        `{"model", "question_id", "answer"}` for a completion (the fields may share a line).
        All or nothing: a bad line is named and nothing is recorded. Caps (422 beyond): 10,000
        prompts, 10,000 answers and 100 models an upload, 50,000 new prompts and 50,000 new
        answers an owner a day, by default; lines up to 4 MiB (413 beyond).
        """
        arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
        owner = _owner(request)
        # The parser's spooled body; an empty request has none (an empty upload).
        data: Any = request.data
        body: IO[bytes] = data if hasattr(data, "readline") else io.BytesIO()
        try:
            report = submission_import(
                arena=arena, user=owner, body=body, caps=UploadCaps.from_settings()
            )
        finally:
            body.close()
        return Response(SubmissionReportSerializer(report).data, status=201)

    @extend_schema(responses={200: SubmissionsSerializer, **ERRORS})
    def get(self, request: Request, slug: str | None = None) -> Response:
        """What this key's owner uploaded (across arenas)."""
        return Response(SubmissionsSerializer(selectors.submissions_for_user(_owner(request))).data)


def _owner(request: Request) -> User:
    if not isinstance(request.user, User):
        raise ScopeMissing("This API key acts for no user; uploads need an owner.")
    return request.user


# --- readers -----------------------------------------------------------------------------------


class LeaderboardView(ApiView):
    permission_classes = [ReadScope]

    @extend_schema(responses={200: LeaderboardSerializer, **ERRORS})
    def get(self, request: Request, slug: str | None = None) -> Response:
        """The arena's raw board: votes, wins, losses, ties and raw win rate per competitor."""
        arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
        rows = selectors.leaderboard_rows(arena)
        return Response(
            {"arena": arena.slug, "method": "raw", "rows": BoardRowSerializer(rows, many=True).data}
        )


class CompetitorHistoryView(ApiView):
    permission_classes = [ReadScope]

    @extend_schema(
        parameters=[HistoryQuerySerializer],
        responses={200: HistoryRowSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, name: str, slug: str | None = None) -> Response:
        """A competitor's votes in the arena, newest first, from its side."""
        arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
        page = _valid(HistoryQuerySerializer, request.query_params)
        rows = selectors.competitor_history(arena, name, limit=page["limit"], offset=page["offset"])
        return Response(HistoryRowSerializer(rows, many=True).data)


class VoteExportView(ApiView):
    permission_classes = [ReadScope]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # `format` picks the file format here, not a DRF renderer; errors are JSON.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        parameters=[ExportQuerySerializer],
        responses={(200, "application/x-ndjson"): str, (200, "text/csv"): str, **ERRORS},
    )
    def get(self, request: Request, slug: str | None = None) -> HttpResponseBase:
        """The arena's votes in the shared vote schema, streamed as JSON Lines or CSV."""
        arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
        query = _valid(ExportQuerySerializer, request.query_params)
        scope = selectors.VoteScope(
            source=query.get("source"),
            voter_kind=query.get("voter_kind"),
            since=query.get("since"),
            until=query.get("until"),
        )
        return export_stream(arena, scope, csv_format=query["format"] == "csv")


class JudgeAgreementView(ApiView):
    permission_classes = [ReadScope]

    @extend_schema(responses={200: JudgeAgreementSerializer(many=True), **ERRORS})
    def get(self, request: Request, slug: str | None = None) -> Response:
        """Each judge's agreement with the crowd and with the other judges (rate, Cohen's κ)."""
        arena = selectors.arena_get_for_viewer(slug=slug, user=request.user)
        rows = selectors.judge_agreement(arena)
        return Response(JudgeAgreementSerializer(rows, many=True).data)
