"""The judge API's writes: votes and batches under an Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from arena.exceptions import IdempotencyKeyInProgress, IdempotencyKeyReused
from arena.models import IdempotencyRecord, Judge, Outcome
from arena.services.votes import Verdict, vote_record, votes_record_batch
from arena.voters import Voter


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a judge is told about its request: the same body again when it replays it."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def judge_vote(
    *,
    judge: Judge,
    public_id: str,
    outcome: Outcome,
    rationale: str = "",
    idempotency_key: str | None = None,
    fingerprint: str = "",
    p_b: float | None = None,
) -> Receipt:
    """One verdict through ``vote_record``, the crowd's own write path."""

    def record() -> dict[str, Any]:
        vote = vote_record(
            public_id=public_id,
            voter=Voter(judge=judge),
            outcome=outcome,
            rationale=rationale,
            idempotency_key=idempotency_key,
            savepoint=False,  # _idempotent's transaction fails whole with it
            p_b=p_b,
        )
        return {
            "battle": public_id,
            "outcome": Outcome(vote.outcome).name,
            "recorded_at": vote.created_at.isoformat(),
        }

    return _idempotent(judge, idempotency_key, fingerprint, 201, record)


def judge_votes_batch(
    *,
    judge: Judge,
    verdicts: Sequence[Verdict],
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> Receipt:
    """Up to a thousand verdicts, all or nothing."""

    def record() -> dict[str, Any]:
        now = timezone.now()
        recorded = votes_record_batch(voter=Voter(judge=judge), verdicts=verdicts, now=now)
        return {"recorded": recorded, "recorded_at": now.isoformat()}

    return _idempotent(judge, idempotency_key, fingerprint, 201, record)


@transaction.atomic
def _idempotent(
    judge: Judge,
    key: str | None,
    fingerprint: str,
    status: int,
    action: Callable[[], dict[str, Any]],
) -> Receipt:
    """Run ``action`` once per (judge, key): a replay gets the first receipt, a reuse 422.

    A request whose key is in use by another one still running gets IdempotencyKeyInProgress
    at once, instead of waiting for it. Refused requests store nothing, so a judge may retry
    them with the same key. The record is read and written in plain SQL: this is on the path
    of every single vote.
    """
    if not key:
        return Receipt(status, action())
    first = _key_lock_and_find(judge, key)
    if first is not None:
        if first[0] != fingerprint:
            raise IdempotencyKeyReused
        body = first[2] if isinstance(first[2], dict) else json.loads(first[2])
        return Receipt(first[1], body, replayed=True)
    body = action()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_TABLE} (judge_id, key, fingerprint, status, response, created_at) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [judge.pk, key, fingerprint, status, json.dumps(body), timezone.now()],
            )
    except IntegrityError:
        raise IdempotencyKeyInProgress from None
    return Receipt(status, body)


_TABLE = IdempotencyRecord._meta.db_table
_LOCK_AND_FIND = (
    "SELECT l.locked, r.fingerprint, r.status, r.response FROM "  # noqa: S608 (a constant)
    "(SELECT pg_try_advisory_xact_lock(%s, %s) AS locked) AS l "
    f"LEFT JOIN {_TABLE} AS r ON l.locked AND r.judge_id = %s AND r.key = %s"
)
_FIND = f"SELECT 1, fingerprint, status, response FROM {_TABLE} WHERE judge_id = %s AND key = %s"  # noqa: S608


def _key_lock_and_find(judge: Judge, key: str) -> tuple[str, int, Any] | None:
    """Lock the key for this transaction (or raise: another request holds it) and read it.

    One statement does both. Should a concurrent request commit the same key between this
    statement's snapshot and its lock, the record's unique constraint still refuses the second
    one (IdempotencyKeyInProgress), and the battle's vote constraint refuses a second vote.
    """
    params: list[Any] = [judge.pk, key]
    if connection.vendor == "postgresql":
        digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)
        sql = _LOCK_AND_FIND
        params = [judge.pk % 2**31, digest, *params]
    else:
        sql = _FIND
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if not row[0]:
        raise IdempotencyKeyInProgress
    return None if row[1] is None else (row[1], row[2], row[3])
