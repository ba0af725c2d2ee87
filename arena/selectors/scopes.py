"""The votes a leaderboard rates, read for the rating jobs."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet

from arena.models import Arena, Competitor, ScopeVoteCount, Vote, VoterFlag
from arena.selectors.votes import VoteScope


def votes_in_scope(arena: Arena, scope: VoteScope) -> QuerySet[Vote]:
    return scope.apply(Vote.objects.filter(battle__arena=arena))


#: Votes looked at again below the newest id of the last check: a vote's id is taken when it is
#: inserted but seen at commit, so a vote committed a little after a higher id still counts.
WATERMARK_MARGIN = 1000
#: How long a scope's remembered watermark is trusted before it is computed in full again
#: (bounds what an edit outside the check's key, e.g. a prompt's category, could leave stale).
WATERMARK_MEMO_SECONDS = 3600


class ScopeTally(NamedTuple):
    """What the maintained counts (``ScopeVoteCount``) say of the votes of a scope's arena,
    source and category: how many, the highest id ever counted, how many lack answers."""

    n: int
    top_id: int
    n_unanswered: int


class ArenaFacts(NamedTuple):
    """What the check reads once per arena for all its boards (three small queries): the
    maintained counts by source and category, the flag-set version, the held-back competitors."""

    counts: list[tuple[str, str, int, int, int]]
    flags_version: str
    held_back: list[int]


def arena_facts(arena: Arena) -> ArenaFacts:
    counts = list(
        ScopeVoteCount.objects.filter(arena=arena).values_list(
            "source", "category", "n", "top_id", "n_unanswered"
        )
    )
    held_back = list(
        Competitor.objects.filter(null_model_flagged=True, null_model_cleared=False)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return ArenaFacts(counts, voter_flags_version(arena), held_back)


def scope_tally(arena: Arena, scope: VoteScope, facts: ArenaFacts | None = None) -> ScopeTally:
    """The maintained counts over the scope's arena, source and category (a superset of the
    scope, which may filter further and leaves out flagged voters and held-back competitors):
    read from ``facts``, else one indexed read, whatever the number of votes."""
    counts = (facts or arena_facts(arena)).counts
    rows = [
        row
        for row in counts
        if (not scope.source or row[0] == scope.source)
        and (not scope.category or row[1] == scope.category)
    ]
    return ScopeTally(
        sum(row[2] for row in rows),
        max((row[3] for row in rows), default=0),
        sum(row[4] for row in rows),
    )


def _memo_key(prefix: str, arena: Arena, scope: VoteScope, facts: ArenaFacts) -> str:
    """A cache key for what is remembered of a scope, changed by what can take votes out of it
    without a vote being written: the arena's flag-set version when the scope leaves flagged
    voters out, the held-back competitors when it leaves them out."""
    parts: list[object] = [arena.pk, repr(scope)]
    if scope.exclude_flagged_voters:
        parts.append(facts.flags_version)
    if scope.without_held_back:
        parts.append(facts.held_back)
    return f"{prefix}:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def scope_watermark(arena: Arena, scope: VoteScope, facts: ArenaFacts | None = None) -> int | None:
    """The highest vote id in the scope, or None when it has no vote.

    The beat asks this for every board every few seconds; a ``Max(id)`` over the arena's
    joined, filtered votes took 0.9 s at a million votes. So it starts from the maintained
    counts (:func:`scope_tally`) and remembers its answer in the cache beside them
    (:func:`_memo_key`): counts unchanged, the answer stands; counts grown, only the votes past
    the last highest id (less :data:`WATERMARK_MARGIN`) are looked at; nothing remembered (or
    the remembered vote gone), the scope's votes are searched down from the highest id in
    growing windows of ids (:func:`_top_by_windows`), a few index range reads for any scope
    that is not almost empty near the top.
    """
    facts = facts or arena_facts(arena)
    tally = scope_tally(arena, scope, facts)
    if tally.n == 0:
        return None
    key = _memo_key("scope-watermark", arena, scope, facts)
    memo = cache.get(key)
    state = [tally.n, tally.top_id]
    votes = votes_in_scope(arena, scope)
    top: int | None
    if isinstance(memo, dict) and memo.get("state") == state:
        return memo["top"] if isinstance(memo["top"], int) else None
    if (
        isinstance(memo, dict)
        and memo["state"][1] <= tally.top_id
        and (memo["top"] is None or votes.filter(id=memo["top"]).exists())
    ):
        recent = votes.filter(id__gt=memo["state"][1] - WATERMARK_MARGIN, id__lte=tally.top_id)
        found = recent.aggregate(top=Max("id"))["top"]
        top = max(found or 0, memo["top"] or 0) or None
    else:
        top = _top_by_windows(votes, tally.top_id)
    cache.set(key, {"state": state, "top": top}, WATERMARK_MEMO_SECONDS)
    return top


#: The first window of ids searched below the highest; each next one is this many times wider.
_WINDOW, _WINDOW_GROWTH = 1024, 16


def _top_by_windows(votes: QuerySet[Vote], top_id: int) -> int | None:
    """The highest id among ``votes`` up to ``top_id``, searched in windows of ids that grow
    downwards: reads in proportion to how far down the scope's newest vote lies."""
    window = _WINDOW
    while True:
        low = top_id - window
        found: int | None = votes.filter(id__gt=low, id__lte=top_id).aggregate(top=Max("id"))["top"]
        if found is not None or low <= 0:
            return found
        window *= _WINDOW_GROWTH


def scope_has_unanswered_votes(
    arena: Arena, scope: VoteScope, facts: ArenaFacts | None = None
) -> bool:
    """Whether a vote in the scope is on a battle without both answers (an answer-less import):
    such a scope has no style features to control for.

    No such vote among the scope's arena, source and category (the maintained counts) answers
    it at once; otherwise the answer is looked up in the votes and remembered until the counts
    or the exclusions change."""
    facts = facts or arena_facts(arena)
    tally = scope_tally(arena, scope, facts)
    if tally.n_unanswered == 0:
        return False
    key = _memo_key("scope-unanswered", arena, scope, facts)
    memo = cache.get(key)
    if isinstance(memo, dict) and memo.get("state") == list(tally):
        return bool(memo["found"])
    found = (
        votes_in_scope(arena, scope)
        .filter(Q(battle__completion_a__isnull=True) | Q(battle__completion_b__isnull=True))
        .exists()
    )
    cache.set(key, {"state": list(tally), "found": found}, WATERMARK_MEMO_SECONDS)
    return found


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
