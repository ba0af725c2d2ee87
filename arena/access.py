"""Who may see an arena and who may vote in it: read-only rules shared by pages and the API."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
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


def cap_check(arena: Arena, voter: Voter) -> None:
    """Raise VoteCapReached when the voter already cast the arena's daily number of votes."""
    if arena.daily_vote_cap is None or voter.judge is not None:
        return
    votes = Vote.objects.filter(
        battle__arena=arena, created_at__gte=timezone.now() - timedelta(days=1)
    )
    if voter.user is not None:
        votes = votes.filter(user=voter.user)
    else:
        votes = votes.filter(session_key=voter.session_key, user__isnull=True)
    if votes.count() >= arena.daily_vote_cap:
        raise VoteCapReached(
            f"You have cast this arena's limit of {arena.daily_vote_cap} votes in 24 hours; "
            "come back later."
        )


def voter_kind(arena: Arena, voter: Voter) -> Vote.VoterKind:
    if voter.judge is not None:
        return Vote.VoterKind.JUDGE
    if voter.user is None:
        return Vote.VoterKind.ANONYMOUS
    if is_group_member(arena, voter):
        return Vote.VoterKind.GROUP_MEMBER
    return Vote.VoterKind.SIGNED_IN
