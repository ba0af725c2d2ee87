"""Recording votes and their feedback: the write path shared by the crowd page and the API."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from arena import access, metrics, selectors
from arena.exceptions import (
    AlreadyVoted,
    ArenaError,
    BatchItemInvalid,
    BattleExpired,
    BattleNotFound,
    InvalidFeedback,
    InvalidOutcome,
    InvalidRequest,
)
from arena.models import Battle, Outcome, Vote, VoteTag
from arena.services.bulk import bulk_insert, row_insert
from arena.voters import Voter

MAX_REASON_LENGTH = 2000


def outcome_parse(value: object) -> Outcome:
    """An outcome from its name (A, B, TIE, BOTH_BAD) or its number; else InvalidOutcome."""
    if isinstance(value, str):
        name = value.strip().upper()
        if name in Outcome.names:
            return Outcome[name]
        if name.isdigit():
            value = int(name)
    if isinstance(value, int) and not isinstance(value, bool) and value in Outcome.values:
        return Outcome(value)
    raise InvalidOutcome


def vote_record(
    *,
    public_id: str,
    voter: Voter,
    outcome: Outcome,
    rationale: str = "",
    idempotency_key: str | None = None,
    now: datetime | None = None,
    savepoint: bool = True,
    p_b: float | None = None,
) -> Vote:
    """Record the vote on a battle served to ``voter``: once, before expiry, or not at all.

    The battle row is locked, so two concurrent votes on one battle cannot both pass the checks;
    the unique constraint on ``Vote.battle`` backs that up. The arena's voting rules and daily
    cap are checked again at vote time (a membership may have ended since the battle was
    served), under a lock per voter and per address so that parallel votes cannot overshoot
    a cap. A judge replaying the same ``idempotency_key`` gets its first vote back and nothing
    new is written. Refusals are counted at once, a new vote when its transaction commits.

    ``savepoint=False`` is for a caller whose own transaction is rolled back whole when this
    raises (the judge API's idempotent requests): it spares every judge vote two round trips.
    """
    source = _source(voter)
    try:
        with transaction.atomic(savepoint=savepoint):
            vote, created = _vote_write(
                public_id=public_id,
                voter=voter,
                outcome=outcome,
                rationale=rationale,
                idempotency_key=idempotency_key,
                now=now,
                p_b=p_b,
            )
    except ArenaError as error:
        metrics.votes_refused(source=source, code=error.code)
        raise
    if created:
        metrics.votes_accepted_on_commit(source=source)
    return vote


def _vote_write(
    *,
    public_id: str,
    voter: Voter,
    outcome: Outcome,
    rationale: str,
    idempotency_key: str | None,
    now: datetime | None,
    p_b: float | None = None,
) -> tuple[Vote, bool]:
    """``vote_record``'s transaction: the vote, and whether it is new (not a replay)."""
    battle = selectors.battle_lock_for_vote(public_id=public_id, voter=voter)
    now = now or timezone.now()
    # Read under the battle's lock, so no other vote can arrive in between.
    # vote_pk and revealed are columns of the raw locking query, not model fields.
    vote_pk: int | None = battle.vote_pk  # type: ignore[attr-defined]
    existing = Vote.objects.get(pk=vote_pk) if vote_pk is not None else None
    replayed = _vote_check(battle.expires_at, existing, idempotency_key, now)
    if replayed is not None:
        return replayed, False
    fields = {
        "battle_id": battle.pk,
        "identity_revealed": bool(battle.revealed),  # type: ignore[attr-defined]
        **_vote_fields(
            voter,
            _admit(battle, voter),
            outcome=outcome,
            rationale=rationale,
            idempotency_key=idempotency_key,
            now=now,
        ),
        "p_b": p_b,
    }
    try:
        pk = row_insert(Vote, fields)
    except IntegrityError:
        raise AlreadyVoted from None
    vote = Vote(pk=pk, **fields)
    vote._state.adding, vote._state.db = False, connection.alias  # as if loaded
    return vote, True


def _admit(battle: Battle, voter: Voter) -> Vote.VoterKind:
    """Check the arena's voting rules and caps again at vote time; the vote's voter kind.

    A judge is bound by neither (see ``access``), so its votes skip loading the arena.
    """
    if voter.judge is not None:
        return Vote.VoterKind.JUDGE
    arena = battle.arena
    access.voting_check(arena, voter)
    access.cap_check(arena, voter, lock=True)
    return access.voter_kind(arena, voter)


def _source(voter: Voter) -> str:
    return (Vote.Source.JUDGE if voter.is_judge else Vote.Source.CROWD).value


def _vote_check(
    expires_at: datetime, existing: Vote | None, idempotency_key: str | None, now: datetime
) -> Vote | None:
    """The rules every vote passes: the existing vote for a replay, else refuse or None."""
    if existing is not None:
        if idempotency_key and existing.idempotency_key == idempotency_key:
            return existing
        raise AlreadyVoted
    if now >= expires_at:
        raise BattleExpired
    return None


def _vote_fields(
    voter: Voter,
    voter_kind: Vote.VoterKind,
    *,
    outcome: Outcome,
    rationale: str,
    idempotency_key: str | None,
    now: datetime,
) -> dict[str, Any]:
    """A new vote's columns besides its battle, by attribute name."""
    return {
        "outcome": int(outcome),
        "source": _source(voter),
        "voter_kind": voter_kind.value,
        "user_id": voter.user.pk if voter.user else None,
        "session_key": voter.session_key,
        "client_ip": voter.address or None,
        "judge_id": voter.judge.pk if voter.judge else None,
        "rationale": rationale,
        "idempotency_key": idempotency_key,
        "created_at": now,
    }


@dataclass(frozen=True, slots=True)
class Verdict:
    """One item of a judge's batch."""

    public_id: str
    outcome: Outcome
    rationale: str = ""
    p_b: float | None = None


def _batch_rows(
    verdicts: Sequence[Verdict],
    battles: dict[str, selectors.LockedBattle],
    voted: set[int],
    *,
    voter: Voter,
    now: datetime,
) -> list[dict[str, Any]]:
    """The votes' rows, by the rules of ``_vote_check``; BatchItemInvalid for the first refusal."""
    fields: dict[str, Any] = {
        "voter": voter,
        "voter_kind": Vote.VoterKind.JUDGE,
        "idempotency_key": None,
        "now": now,
    }
    rows = []
    for index, verdict in enumerate(verdicts):
        battle = battles.get(verdict.public_id)
        try:
            if battle is None:
                raise BattleNotFound
            if battle.pk in voted:
                raise AlreadyVoted
            _vote_check(battle.expires_at, None, None, now)
        except ArenaError as error:
            raise BatchItemInvalid(index, error) from None
        voted.add(battle.pk)
        row = _vote_fields(**fields, outcome=verdict.outcome, rationale=verdict.rationale)
        rows.append({**row, "battle_id": battle.pk, "p_b": verdict.p_b})
    return rows


def votes_record_batch(
    *, voter: Voter, verdicts: Sequence[Verdict], now: datetime | None = None
) -> int:
    """Record a judge's verdicts all or nothing, by the same rules as ``vote_record``.

    The battles are locked in id order in one query (two batches cannot deadlock) and the votes
    sent with one COPY. A refused item raises BatchItemInvalid with its index; the transaction
    then records nothing of the batch, and every verdict of it counts as refused. Returns the
    number of votes recorded.
    """
    try:
        recorded = _votes_write_batch(voter=voter, verdicts=verdicts, now=now or timezone.now())
    except ArenaError as error:
        code = error.item_code if isinstance(error, BatchItemInvalid) else error.code
        metrics.votes_refused(source=_source(voter), code=code, n=max(len(verdicts), 1))
        raise
    metrics.votes_accepted_on_commit(source=_source(voter), n=recorded)
    return recorded


@transaction.atomic
def _votes_write_batch(*, voter: Voter, verdicts: Sequence[Verdict], now: datetime) -> int:
    if voter.judge is None:
        raise InvalidRequest("Only judges submit verdicts in batches.")
    battles = selectors.battles_lock_for_judge(
        judge=voter.judge, public_ids=[v.public_id for v in verdicts]
    )
    for arena in selectors.arenas_by_id({b.arena_id for b in battles.values()}):
        access.voting_check(arena, voter)
    voted = selectors.battles_voted([b.pk for b in battles.values()])
    rows = _batch_rows(verdicts, battles, voted, voter=voter, now=now)
    revealing = selectors.battles_revealing_identity([row["battle_id"] for row in rows])
    for row in rows:
        row["identity_revealed"] = row["battle_id"] in revealing
    try:
        bulk_insert(Vote, rows)
    except IntegrityError:
        raise AlreadyVoted("A battle of this batch was voted on meanwhile; retry it.") from None
    return len(rows)


@transaction.atomic
def vote_feedback_add(
    *,
    public_id: str,
    voter: Voter,
    reason: str = "",
    tags_a: Collection[str] = (),
    tags_b: Collection[str] = (),
) -> Vote:
    """Attach the voter's reason and per-answer tags to their vote; once, all or nothing.

    Tags must come from the arena's list. A second submission is refused, so the tag rates
    count each vote's feedback once.
    """
    battle = selectors.battle_get_for_voter(public_id=public_id, voter=voter)
    vote = Vote.objects.select_for_update().filter(battle=battle).first()
    if vote is None:
        raise InvalidFeedback("Vote first; feedback is given after the vote.")
    if vote.feedback_at is not None:
        raise InvalidFeedback("Feedback for this vote was already given.")
    reason = reason.strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidFeedback(f"The reason is longer than {MAX_REASON_LENGTH} characters.")
    allowed = set(battle.arena.feedback_tags)
    unknown = sorted((set(tags_a) | set(tags_b)) - allowed)
    if unknown:
        raise InvalidFeedback(
            f"Unknown tag(s): {', '.join(unknown)}. "
            f"This arena's tags: {', '.join(sorted(allowed))}."
        )
    vote.reason = reason
    vote.feedback_at = timezone.now()
    vote.save(update_fields=["reason", "feedback_at"])
    VoteTag.objects.bulk_create(
        [VoteTag(vote=vote, side="A", tag=t) for t in sorted(set(tags_a))]
        + [VoteTag(vote=vote, side="B", tag=t) for t in sorted(set(tags_b))]
    )
    return vote
