"""Own-prompt battles: the voter writes, two competitors' endpoints answer live.

The battle itself is an ordinary crowd ``Battle`` (its first prompt and answers), voted on
through the one write path; what is live about it is kept here: its state, and each turn of
the conversation (the first prompt and the follow-ups) with the two answers to it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class LiveBattle(models.Model):
    class Status(models.TextChoices):
        STREAMING = "streaming", "answers arriving"
        READY = "ready", "both answers in; a follow-up or the vote"
        VOTED = "voted", "voted"
        VOIDED = "voided", "voided: an answer failed, timed out or was cut short"

    battle = models.OneToOneField(
        "arena.Battle", on_delete=models.CASCADE, primary_key=True, related_name="live"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STREAMING)
    void_reason = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="voided") | ~Q(void_reason=""),
                name="live_battle_void_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"live {self.battle_id}: {self.status}"


class LiveTurn(models.Model):
    """One prompt of a live battle and the two answers to it (``number`` 0 is the first)."""

    live = models.ForeignKey(LiveBattle, on_delete=models.CASCADE, related_name="turns")
    number = models.PositiveSmallIntegerField()
    prompt = models.ForeignKey("arena.Prompt", on_delete=models.PROTECT, related_name="+")
    completion_a = models.ForeignKey("arena.Completion", on_delete=models.PROTECT, related_name="+")
    completion_b = models.ForeignKey("arena.Completion", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["live", "number"]
        constraints = [
            models.UniqueConstraint(fields=["live", "number"], name="live_turn_once"),
        ]

    def __str__(self) -> str:
        return f"turn {self.number} of {self.live_id}"
