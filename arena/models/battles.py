from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q


def new_public_id() -> str:
    """An unguessable id for URLs: 128 bits from the OS's CSPRNG."""
    return secrets.token_urlsafe(16)


class Battle(models.Model):
    """A prompt and two completions by two different competitors, served to one voter.

    The A/B positions are fixed when the battle is created. Battles made by ``import_votes`` for
    historical votes may lack completions (the file gave no answer texts); served battles always
    have both, and the service keeps each completion's competitor equal to the battle's.
    """

    class Origin(models.TextChoices):
        CROWD = "crowd", "served to a person"
        JUDGE = "judge", "served to a judge"
        IMPORT = "import", "imported with its vote"

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    # No index of its own: the (arena, competitor_a, competitor_b) index below leads with it and
    # serves every lookup by arena; a second one only cost each imported vote an entry.
    arena = models.ForeignKey(
        "arena.Arena", on_delete=models.PROTECT, related_name="battles", db_index=False
    )
    prompt = models.ForeignKey("arena.Prompt", on_delete=models.PROTECT, related_name="battles")
    competitor_a = models.ForeignKey(
        "arena.Competitor", on_delete=models.PROTECT, related_name="battles_as_a"
    )
    competitor_b = models.ForeignKey(
        "arena.Competitor", on_delete=models.PROTECT, related_name="battles_as_b"
    )
    completion_a = models.ForeignKey(
        "arena.Completion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completion_b = models.ForeignKey(
        "arena.Completion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices)
    pair_probability = models.FloatField(
        null=True,
        blank=True,
        help_text="The probability with which the pairing policy drew this pair (unordered); "
        "boards can weight its vote by 1/p. Empty for imported battles and jury copies.",
    )
    condition = models.CharField(
        max_length=10,
        choices=[("blind", "blind"), ("informed", "informed: each answer's cost shown")],
        default="blind",
        help_text="Whether the voter saw each answer's cost (energy, tokens, latency).",
    )
    # Who the battle was served to: a signed-in user, an anonymous browser session, or a judge.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="battles",
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    judge = models.ForeignKey(
        "arena.Judge", on_delete=models.PROTECT, null=True, blank=True, related_name="battles"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pair_probability__isnull=True)
                | (models.Q(pair_probability__gt=0) & models.Q(pair_probability__lte=1)),
                name="pair_probability_is_a_probability",
            ),
            models.CheckConstraint(
                condition=models.Q(condition__in=["blind", "informed"]),
                name="battle_condition_valid",
            ),
            models.CheckConstraint(
                condition=~Q(competitor_a=F("competitor_b")), name="battle_two_competitors"
            ),
            models.CheckConstraint(
                condition=Q(completion_a__isnull=True, completion_b__isnull=True)
                | (
                    Q(completion_a__isnull=False, completion_b__isnull=False)
                    & ~Q(completion_a=F("completion_b"))
                ),
                name="battle_two_completions_or_none",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gte=F("created_at")), name="battle_expires_after_creation"
            ),
            models.CheckConstraint(
                condition=Q(origin="import")
                | Q(completion_a__isnull=False, origin__in=["crowd", "judge"]),
                name="battle_served_has_completions",
            ),
            models.CheckConstraint(
                condition=~Q(origin="judge") | Q(judge__isnull=False),
                name="battle_judge_origin_has_judge",
            ),
            models.CheckConstraint(
                condition=~Q(origin="crowd") | Q(user__isnull=False) | ~Q(session_key=""),
                name="battle_crowd_origin_has_voter",
            ),
        ]
        indexes = [models.Index(fields=["arena", "competitor_a", "competitor_b"])]

    def __str__(self) -> str:
        return f"battle {self.public_id}"
