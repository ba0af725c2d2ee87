"""The votes a leaderboard rates, read for the rating jobs."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet

from arena.models import Arena, Competitor, Vote, VoterFlag
from arena.selectors.votes import VoteScope


def votes_in_scope(arena: Arena, scope: VoteScope) -> QuerySet[Vote]:
    return scope.apply(Vote.objects.filter(battle__arena=arena))


#: Votes looked at again below the newest id of the last check: a vote's id is taken when it is
#: inserted but seen at commit, so a vote committed a little after a higher id still counts.
WATERMARK_MARGIN = 1000
#: How long a scope's remembered watermark is trusted before it is computed in full again
#: (bounds what an edit outside the check's key, e.g. a prompt's category, could leave stale).
WATERMARK_MEMO_SECONDS = 3600


def scope_watermark(arena: Arena, scope: VoteScope) -> int | None:
    """The highest vote id in the scope, or None when it has no vote.

    The beat asks this for every board every few seconds; a ``Max(id)`` over the arena's
    joined, filtered votes took 0.9 s at a million votes. So the answer is remembered in the
    cache with the newest vote id of the whole table at that time (an index-only read), and
    the next check looks only at the votes past it (less :data:`WATERMARK_MARGIN`): the
    highest of those in the scope, else the remembered one. The memo is keyed by what can
    take votes out of a scope without a new vote (the arena's flag-set version when the scope
    leaves flagged voters out, the held-back competitors when it leaves them out), so a change
    of those computes it in full again, as does a table whose newest id went down or a
    remembered vote no longer in the scope (a primary-key lookup: deleted, or filtered out).
    """
    newest: int | None = Vote.objects.aggregate(top=Max("id"))["top"]
    if newest is None:
        return None
    parts: list[object] = [arena.pk, repr(scope)]
    if scope.exclude_flagged_voters:
        parts.append(voter_flags_version(arena))
    if scope.without_held_back:
        parts.append(
            list(
                Competitor.objects.filter(null_model_flagged=True, null_model_cleared=False)
                .order_by("id")
                .values_list("id", flat=True)
            )
        )
    key = "scope-watermark:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    memo = cache.get(key)
    votes = votes_in_scope(arena, scope)
    top: int | None
    if (
        isinstance(memo, tuple)
        and memo[0] <= newest
        and (memo[1] is None or votes.filter(id=memo[1]).exists())
    ):
        checked, remembered = memo
        recent = votes.filter(id__gt=checked - WATERMARK_MARGIN).aggregate(top=Max("id"))["top"]
        top = max(recent or 0, remembered or 0) or None
    else:
        top = votes.aggregate(top=Max("id"))["top"]
    cache.set(key, (newest, top), WATERMARK_MEMO_SECONDS)
    return top


def scope_has_unanswered_votes(arena: Arena, scope: VoteScope) -> bool:
    """Whether a vote in the scope is on a battle without both answers (an answer-less import):
    such a scope has no style features to control for."""
    return (
        votes_in_scope(arena, scope)
        .filter(Q(battle__completion_a__isnull=True) | Q(battle__completion_b__isnull=True))
        .exists()
    )


#: Per vote: A's and B's names, the outcome, the prompt id and category, then style features of
#: A's and B's answers (tokens, headers, list items, bold), None when the battle has no answers,
#: the probability the pairing policy drew the pair with (None when unknown), and the vote's
#: soft label (None when it has none).
VOTE_ROW_FIELDS = (
    "battle__competitor_a__name",
    "battle__competitor_b__name",
    "outcome",
    "battle__prompt_id",
    "battle__prompt__category",
    "battle__completion_a__n_tokens",
    "battle__completion_a__header_count",
    "battle__completion_a__list_count",
    "battle__completion_a__bold_count",
    "battle__completion_b__n_tokens",
    "battle__completion_b__header_count",
    "battle__completion_b__list_count",
    "battle__completion_b__bold_count",
    "battle__pair_probability",
    "p_b",
)


class VoteRow(NamedTuple):
    """One vote a leaderboard rates: the fields of :data:`VOTE_ROW_FIELDS`, in that order."""

    competitor_a: str
    competitor_b: str
    outcome: int
    prompt_id: int
    category: str
    tokens_a: int | None
    headers_a: int | None
    lists_a: int | None
    bold_a: int | None
    tokens_b: int | None
    headers_b: int | None
    lists_b: int | None
    bold_b: int | None
    pair_probability: float | None
    p_b: float | None

    @property
    def style_a(self) -> tuple[int | None, ...]:
        """A's style features: tokens, headers, list items, bold."""
        return (self.tokens_a, self.headers_a, self.lists_a, self.bold_a)

    @property
    def style_b(self) -> tuple[int | None, ...]:
        """B's style features: tokens, headers, list items, bold."""
        return (self.tokens_b, self.headers_b, self.lists_b, self.bold_b)


def vote_rows_in_scope(arena: Arena, scope: VoteScope, watermark: int) -> list[VoteRow]:
    """The scope's votes up to ``watermark``, in vote order."""
    votes = votes_in_scope(arena, scope).filter(id__lte=watermark).order_by("id")
    # values_list tuples named in place: no model instance per row on this hot path.
    return list(map(VoteRow._make, votes.values_list(*VOTE_ROW_FIELDS)))


#: Per crowd vote, what the flagging job needs: who, what they chose, and when.
FLAGGING_FIELDS = (
    "battle__competitor_a_id",
    "battle__competitor_b_id",
    "outcome",
    "user_id",
    "session_key",
    "external_voter",
    "client_ip",
    "created_at",
)


class FlaggingRow(NamedTuple):
    """One crowd vote for the flagging job: the fields of :data:`FLAGGING_FIELDS`, in order."""

    competitor_a_id: int
    competitor_b_id: int
    outcome: int
    user_id: int | None
    session_key: str
    external_voter: str
    client_ip: str | None
    created_at: datetime


def crowd_votes_for_flagging(arena: Arena) -> list[FlaggingRow]:
    """The arena's crowd votes, oldest first."""
    votes = Vote.objects.filter(battle__arena=arena, source=Vote.Source.CROWD).order_by("id")
    return list(map(FlaggingRow._make, votes.values_list(*FLAGGING_FIELDS)))


def voter_flags_version(arena: Arena) -> str:
    """Changes whenever the arena's flags are replaced: part of a rating run's parameters."""
    found = VoterFlag.objects.filter(arena=arena).aggregate(n=Count("id"), top=Max("id"))
    return f"{found['n']}:{found['top'] or 0}"


def voter_flags_list(arena: Arena) -> list[VoterFlag]:
    return list(VoterFlag.objects.filter(arena=arena).select_related("favoured", "user"))
