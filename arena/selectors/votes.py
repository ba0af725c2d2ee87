"""Votes: scopes, listings, exports, a voter's history."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef, Q, QuerySet

from arena.models import (
    Arena,
    Battle,
    Competitor,
    Outcome,
    User,
    Vote,
    VoterFlag,
)
from arena.voters import Voter
from ratings.engine import votefile


@dataclass(frozen=True, slots=True)
class VoteScope:
    """Which of an arena's votes an export, a history or a leaderboard covers; empty means any."""

    category: str | None = None
    language: str | None = None
    source: str | None = None
    voter_kind: str | None = None
    judge_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: ``blind`` or ``informed`` (each answer's cost shown): the battles' condition.
    condition: str | None = None
    #: Leave out votes involving a competitor held back as a null model (public boards do).
    without_held_back: bool = False
    #: Leave out votes on battles whose answer revealed a competitor (ratings do by default).
    exclude_identity_revealed: bool = False
    #: Leave out the votes of voters and addresses flagged in the arena (ratings do by default).
    exclude_flagged_voters: bool = False

    def apply(self, votes: QuerySet[Vote]) -> QuerySet[Vote]:
        if self.category:
            votes = votes.filter(battle__prompt__category=self.category)
        if self.language:
            votes = votes.filter(battle__prompt__language=self.language)
        if self.source:
            votes = votes.filter(source=self.source)
        if self.voter_kind:
            votes = votes.filter(voter_kind=self.voter_kind)
        if self.judge_id is not None:
            votes = votes.filter(judge_id=self.judge_id)
        if self.since:
            votes = votes.filter(created_at__gte=self.since)
        if self.until:
            votes = votes.filter(created_at__lt=self.until)
        if self.condition:
            votes = votes.filter(battle__condition=self.condition)
        if self.without_held_back:
            for side in ("a", "b"):
                votes = votes.exclude(
                    **{
                        f"battle__competitor_{side}__null_model_flagged": True,
                        f"battle__competitor_{side}__null_model_cleared": False,
                    }
                )
        if self.exclude_identity_revealed:
            votes = votes.filter(identity_revealed=False)
        if self.exclude_flagged_voters:
            votes = votes.exclude(Exists(flags_matching_vote()))
        return votes


def flags_matching_vote() -> QuerySet[VoterFlag]:
    """The arena's flags that name the voter of the outer vote: by user, session or address."""
    return VoterFlag.objects.filter(arena_id=OuterRef("battle__arena_id")).filter(
        Q(user_id=OuterRef("user_id"))
        | (~Q(session_key="") & Q(session_key=OuterRef("session_key")))
        | (~Q(external_voter="") & Q(external_voter=OuterRef("external_voter")))
        | Q(client_ip=OuterRef("client_ip"))
    )


def votes_list(arena: Arena, scope: VoteScope | None = None) -> QuerySet[Vote]:
    """The arena's votes with what a listing or an export shows of them, oldest first."""
    return (
        (scope or VoteScope())
        .apply(Vote.objects.filter(battle__arena=arena))
        .select_related(
            "battle__arena",
            "battle__prompt",
            "battle__competitor_a",
            "battle__competitor_b",
            "judge",
        )
        .prefetch_related("tags")
        .order_by("id")
    )


def vote_history_for_user(user: User) -> QuerySet[Vote]:
    return (
        Vote.objects.filter(user=user)
        .select_related(
            "battle__arena", "battle__prompt", "battle__competitor_a", "battle__competitor_b"
        )
        .order_by("-id")
    )


def _crowd_voter_id(vote: Vote) -> str:
    """A stable pseudonym for a crowd voter: never the session key, which is a credential."""
    if vote.external_voter:
        return vote.external_voter.removeprefix("crowd:")
    if vote.user_id is not None:
        return f"user-{vote.user_id}"
    return "anon-" + hashlib.sha256(vote.session_key.encode()).hexdigest()[:12]


WINNER_NAMES = {Outcome(int(outcome)): name for outcome, name in votefile.WINNER_NAMES.items()}


def vote_export_rows(arena: Arena, scope: VoteScope | None = None) -> Iterator[dict[str, Any]]:
    """The arena's votes in the shared JSON Lines vote schema, with voter feedback."""
    for vote in votes_list(arena, scope).iterator(chunk_size=2000):
        battle = vote.battle
        tags: dict[str, list[str]] = {"A": [], "B": []}
        for tag in vote.tags.all():
            tags[tag.side].append(tag.tag)
        voter = vote.judge.name if vote.judge else f"crowd:{_crowd_voter_id(vote)}"
        yield {
            "question_id": battle.prompt.external_id or f"prompt-{battle.prompt_id}",
            "prompt": battle.prompt.text,
            "model_a": battle.competitor_a.name,
            "model_b": battle.competitor_b.name,
            "winner": WINNER_NAMES[Outcome(vote.outcome)],
            "judge": voter,
            "source": f"arena:{battle.arena.slug}",
            "arena": battle.arena.slug,
            "voter_kind": vote.voter_kind,
            "category": battle.prompt.category,
            "language": battle.prompt.language,
            "reason": vote.reason,
            "tags_a": sorted(tags["A"]),
            "tags_b": sorted(tags["B"]),
            "tstamp": vote.created_at.timestamp(),
            "p_b": vote.p_b,
        }


class OutcomeRow(NamedTuple):
    """A vote's two competitors by name and its outcome."""

    competitor_a: str
    competitor_b: str
    outcome: int


def vote_outcomes_for_arena(arena: Arena, *, voter: Voter | None = None) -> list[OutcomeRow]:
    """The arena's votes, oldest first.

    With ``voter``, only that voter's votes (a signed-in user's, or an anonymous session's).
    """
    votes = Vote.objects.filter(battle__arena=arena)
    if voter is not None:
        if voter.user is not None:
            votes = votes.filter(user=voter.user)
        elif voter.judge is not None:
            votes = votes.filter(judge=voter.judge)
        else:
            votes = votes.filter(session_key=voter.session_key, user__isnull=True)
    rows = votes.order_by("id").values_list(
        "battle__competitor_a__name", "battle__competitor_b__name", "outcome"
    )
    return list(map(OutcomeRow._make, rows))


def competitor_ids_by_name(names: Collection[str]) -> dict[str, int]:
    """Name → id of the competitors named (names are unique, whatever their case)."""
    return dict(Competitor.objects.filter(name__in=list(names)).values_list("name", "id"))


def competitor_names_by_id(
    ids: Collection[int], *, using: str = DEFAULT_DB_ALIAS
) -> dict[int, str]:
    competitors = Competitor.objects.using(using).filter(pk__in=list(ids))
    return dict(competitors.values_list("id", "name"))


def competitor_names_for_arena(arena: Arena) -> list[str]:
    """The arena's pool and every competitor that has a vote in it, by name."""
    voted = Battle.objects.filter(arena=arena, vote__isnull=False)
    # Ids by subquery, not joins: OR-ing three joins made PostgreSQL build their product and
    # took seconds on a demo-sized arena (the personal board's 8-12 s, issue #19).
    pool = Arena.competitors.through.objects.filter(arena=arena).values("competitor_id")
    return list(
        Competitor.objects.filter(
            Q(pk__in=pool)
            | Q(pk__in=voted.values("competitor_a_id"))
            | Q(pk__in=voted.values("competitor_b_id"))
        )
        .order_by("name")
        .values_list("name", flat=True)
    )


class JudgedVoteRow(NamedTuple):
    """A vote with who gave it (a crowd vote has no judge) and its answers' lengths in tokens."""

    competitor_a: str
    competitor_b: str
    outcome: int
    prompt_id: int
    judge: str | None
    tokens_a: int | None
    tokens_b: int | None


def judged_vote_rows(arena: Arena) -> list[JudgedVoteRow]:
    """The arena's votes with their judges and answer lengths, oldest first.

    Competitor A is the answer shown first (on the left, or first to a judge): positions are
    fixed when a battle is created. A crowd vote has no judge name.
    """
    rows = (
        Vote.objects.filter(battle__arena=arena)
        .order_by("id")
        .values_list(
            "battle__competitor_a__name",
            "battle__competitor_b__name",
            "outcome",
            "battle__prompt_id",
            "judge__name",
            "battle__completion_a__n_tokens",
            "battle__completion_b__n_tokens",
        )
    )
    return list(map(JudgedVoteRow._make, rows))


def held_back_competitor_ids(arena: Arena) -> list[int]:
    """The arena's competitors flagged as null models that no operator has cleared."""
    return list(
        arena.competitors.filter(null_model_flagged=True, null_model_cleared=False)
        .order_by("id")
        .values_list("id", flat=True)
    )
