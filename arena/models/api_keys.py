from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q


def key_hash(key: str) -> str:
    """What is stored of an API key: its SHA-256, never the key itself."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKey(models.Model):
    """A bearer key for the judge API, shown once when created and stored hashed.

    A key acts for a judge (scope ``judge``: fetch battles and vote) and/or a user (scopes
    ``submit`` and ``read``: what that user may see and add).
    """

    class Scope(models.TextChoices):
        JUDGE = "judge", "judge: fetch battles and vote"
        SUBMIT = "submit", "submit: add competitors, prompts and completions"
        READ = "read", "read: leaderboards, histories and exports"

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, editable=False, help_text="For recognising a key.")
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    # A JSON list rather than an ArrayField: the demo runs on SQLite.
    scopes = models.JSONField(default=list, help_text="Any of judge, submit, read.")
    judge = models.ForeignKey(
        "arena.Judge", on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_keys",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(
                condition=Q(judge__isnull=False) | Q(user__isnull=False),
                name="api_key_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first answer to a judge's request under an ``Idempotency-Key``, for replays.

    ``fingerprint`` is a hash of the request (method, path and body): the same key with another
    request is refused rather than answered with the wrong result.
    """

    judge = models.ForeignKey("arena.Judge", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["judge", "key"], name="idempotency_key_once_per_judge"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.judge_id})"
