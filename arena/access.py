"""Who may see an arena and who may vote in it: read-only rules shared by pages and the API."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from arena.exceptions import VoteCapReached, VotingNotAllowed
from arena.models import Arena, User, Vote
from arena.voters import Voter


def can_view(arena: Arena, user: User | AnonymousUser | None) -> bool:
    """Public and unlisted arenas are open to all; a private one to staff and its groups."""
    if arena.visibility != Arena.Visibility.PRIVATE:
        return True
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_staff) or arena.voter_groups.filter(members=user).exists()


def vote_offer(arena: Arena, user: User | AnonymousUser | None) -> str:
    """What the menu's "Vote" tab can offer this user in a visible arena, before any cap.

    ``"vote"``: the arena page serves them a battle; ``"sign-in"``: only signed-in voters vote
    here, so the tab leads to the sign-in page first; ``""``: they may look but never vote (a
    group-only arena, even for a superuser outside its groups), so no tab is shown.
    """
    if arena.voting_rule == Arena.VotingRule.GROUPS:
        if isinstance(user, User):
            return "vote" if arena.voter_groups.filter(members=user).exists() else ""
        return "sign-in"
    signed_in = user is not None and user.is_authenticated
    if arena.voting_rule == Arena.VotingRule.SIGNED_IN and not signed_in:
        return "sign-in"
    return "vote"


def is_group_member(arena: Arena, voter: Voter) -> bool:
    return voter.user is not None and arena.voter_groups.filter(members=voter.user).exists()


def voting_check(arena: Arena, voter: Voter) -> None:
    """Raise VotingNotAllowed, with what the voter can do about it, unless the rules allow."""
    if voter.judge is not None:
        return
    if not can_view(arena, voter.user):
        raise VotingNotAllowed("You may not vote in this arena.")
    if arena.voting_rule == Arena.VotingRule.SIGNED_IN and voter.user is None:
        raise VotingNotAllowed("Sign in to vote in this arena.")
    if arena.voting_rule == Arena.VotingRule.GROUPS and not is_group_member(arena, voter):
        names = ", ".join(arena.voter_groups.values_list("name", flat=True)) or "its voter groups"
        raise VotingNotAllowed(
            f"Only members of {names} may vote in this arena; ask its operator for an invitation."
        )


@dataclass(frozen=True, slots=True)
class Cap:
    """A limit on crowd votes from one voter or one address over a trailing window."""

    who: str
    hours: int
    limit: int


def crowd_caps() -> tuple[Cap, ...]:
    """The configured caps (0 turns one off), read at call time."""
    caps = (
        Cap("browser session", 1, settings.ARENA_VOTE_CAP_SESSION_PER_HOUR),
        Cap("browser session", 24, settings.ARENA_VOTE_CAP_SESSION_PER_DAY),
        Cap("network address", 1, settings.ARENA_VOTE_CAP_ADDRESS_PER_HOUR),
        Cap("network address", 24, settings.ARENA_VOTE_CAP_ADDRESS_PER_DAY),
    )
    return tuple(cap for cap in caps if cap.limit > 0)


def _voter_q(voter: Voter) -> Q:
    if voter.user is not None:
        return Q(user=voter.user)
    return Q(session_key=voter.session_key, user__isnull=True)


def _advisory_key(label: str) -> int:
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big", signed=True)


def _voter_lock(voter: Voter) -> None:
    """Serialise the cap checks of one voter and of one address until the transaction ends.

    Transaction-scoped PostgreSQL advisory locks, taken in a fixed order (so two requests never
    wait on each other crosswise): two parallel votes from one browser or one address count
    each other's vote, and no more than the cap is accepted.
    """
    if connection.vendor != "postgresql":
        return  # SQLite (the demo) writes one transaction at a time anyway
    who = f"user:{voter.user.pk}" if voter.user is not None else f"session:{voter.session_key}"
    labels = sorted(
        {f"vote-cap:{who}"} | ({f"vote-cap:addr:{voter.address}"} if voter.address else set())
    )
    with connection.cursor() as cursor:
        for label in labels:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_key(label)])


def cap_check(arena: Arena, voter: Voter, *, lock: bool = False) -> None:
    """Raise VoteCapReached when a cap on the voter's or the address's votes is reached.

    The caps: the arena's own daily cap per voter, then the site's caps per browser session (or
    signed-in user) and per client address, per hour and per day. With ``lock`` (inside the
    vote's transaction) the check holds under concurrency (see :func:`_voter_lock`).
    """
    if voter.judge is not None:
        return
    if lock:
        _voter_lock(voter)
    now = timezone.now()
    if arena.daily_vote_cap is not None:
        votes = Vote.objects.filter(
            _voter_q(voter), battle__arena=arena, created_at__gte=now - timedelta(days=1)
        )
        if votes.count() >= arena.daily_vote_cap:
            raise VoteCapReached(
                f"You have cast this arena's limit of {arena.daily_vote_cap} votes in 24 hours; "
                "come back later."
            )
    caps = crowd_caps()
    if not caps:
        return
    counts = _recent_counts(voter, now)
    for cap in caps:
        if counts[(cap.who, cap.hours)] >= cap.limit:
            window = "hour" if cap.hours == 1 else "24 hours"
            raise VoteCapReached(
                f"This {cap.who} has cast {cap.limit} votes in the past {window}, the most this "
                f"site accepts; votes are accepted again once older ones leave that window."
            )


def _recent_counts(voter: Voter, now: datetime) -> dict[tuple[str, int], int]:
    """Crowd votes of the voter and of the address in the past hour and day: two queries."""
    windows = {
        "hour": Count("id", filter=Q(created_at__gte=now - timedelta(hours=1))),
        "day": Count("id"),
    }
    day = Vote.objects.filter(source=Vote.Source.CROWD, created_at__gte=now - timedelta(days=1))
    mine = day.filter(_voter_q(voter)).aggregate(**windows)
    counts = {("browser session", 1): mine["hour"], ("browser session", 24): mine["day"]}
    address = {"hour": 0, "day": 0}
    if voter.address:
        address = day.filter(client_ip=voter.address).aggregate(**windows)
    counts |= {("network address", 1): address["hour"], ("network address", 24): address["day"]}
    return counts


def voter_kind(arena: Arena, voter: Voter) -> Vote.VoterKind:
    if voter.judge is not None:
        return Vote.VoterKind.JUDGE
    if voter.user is None:
        return Vote.VoterKind.ANONYMOUS
    if is_group_member(arena, voter):
        return Vote.VoterKind.GROUP_MEMBER
    return Vote.VoterKind.SIGNED_IN
