"""API keys for the judge API: created (shown once), stored hashed, revoked."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from arena.exceptions import InvalidRequest
from arena.models import ApiKey, Judge, User, key_hash

SCOPES = frozenset(ApiKey.Scope.values)
KEY_PREFIX = "arena_"


def scopes_parse(scopes: Iterable[str]) -> list[str]:
    """Scopes from names, in a fixed order; InvalidRequest naming an unknown one."""
    wanted = {s.strip().lower() for s in scopes if s.strip()}
    unknown = sorted(wanted - SCOPES)
    if unknown or not wanted:
        raise InvalidRequest(
            f"Unknown or no scope(s): {', '.join(unknown) or '(none)'}; "
            f"choose among {', '.join(sorted(SCOPES))}."
        )
    return sorted(wanted)


@transaction.atomic
def api_key_create(
    *,
    name: str,
    scopes: Iterable[str],
    judge: Judge | None = None,
    user: User | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its secret, which is returned here once and never stored.

    A key with the ``judge`` scope and no judge gets a judge of the key's name (created if
    needed).
    """
    scope_list = scopes_parse(scopes)
    if ApiKey.Scope.JUDGE in scope_list and judge is None:
        judge, _ = Judge.objects.get_or_create(name=name)
    if ApiKey.Scope.SUBMIT in scope_list and user is None:
        raise InvalidRequest("The submit scope needs a user, who owns what the key uploads.")
    if judge is None and user is None:
        raise InvalidRequest("A key acts for a judge or a user; give it one.")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        name=name,
        prefix=secret[: len(KEY_PREFIX) + 6],
        hashed_key=key_hash(secret),
        scopes=scope_list,
        judge=judge,
        user=user,
    )
    return api_key, secret


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key from now on; revoking twice keeps the first time."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def api_key_touch(*, api_key: ApiKey, every_seconds: int = 60) -> None:
    """Note that the key was used, at most once a minute so that votes do not pay for it."""
    now = timezone.now()
    last = api_key.last_used_at
    if last is not None and (now - last).total_seconds() < every_seconds:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
