from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Outcome(models.IntegerChoices):
    """A verdict; the same values as ``ratings.core.Outcome``."""

    A = 1, "A is better"
    B = 2, "B is better"
    TIE = 3, "Tie"
    BOTH_BAD = 4, "Both are bad"


class Vote(models.Model):
    """One verdict on one battle, from a person or a judge. At most one per battle."""

    class Source(models.TextChoices):
        CROWD = "crowd", "crowd"
        JUDGE = "judge", "judge"

    class VoterKind(models.TextChoices):
        """Who cast it, so that boards can be scoped by kind of voter."""

        ANONYMOUS = "anonymous", "anonymous"
        SIGNED_IN = "signed_in", "signed in"
        GROUP_MEMBER = "group_member", "voter-group member"
        JUDGE = "judge", "judge"

    battle = models.OneToOneField("arena.Battle", on_delete=models.PROTECT, related_name="vote")
    outcome = models.PositiveSmallIntegerField(choices=Outcome.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    voter_kind = models.CharField(
        max_length=20, choices=VoterKind.choices, default=VoterKind.ANONYMOUS
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="votes",
    )
    session_key = models.CharField(max_length=64, blank=True)
    # An answer of the battle revealed a competitor (an operator let it be served): the voter may
    # have voted on the name, so ratings leave such votes out unless a leaderboard opts in.
    identity_revealed = models.BooleanField(default=False)
    # The client's address as far as the trusted proxies vouch for it (per-address caps, bursts).
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    judge = models.ForeignKey(
        "arena.Judge", on_delete=models.PROTECT, null=True, blank=True, related_name="votes"
    )
    # The voter's id in an imported file (e.g. "crowd:58"), so per-voter analyses survive import.
    external_voter = models.CharField(max_length=200, blank=True)
    rationale = models.TextField(blank=True, help_text="A judge's explanation of its verdict.")
    reason = models.TextField(blank=True, help_text="A voter's optional reason, after the vote.")
    feedback_at = models.DateTimeField(null=True, blank=True)
    # NULL, not "", when absent: the per-judge uniqueness applies only to keys that were sent.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    import_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    meta = models.JSONField(default=dict, blank=True, help_text="Extra fields kept from imports.")
    # A soft label beside the verdict (AlpacaEval's preference − 1): the probability that B is
    # better. The fits score the vote by it where it is present; NULL for a plain verdict.
    p_b = models.FloatField(
        null=True, blank=True, help_text="Probability that B is better, in [0, 1] (soft label)."
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["session_key", "created_at"], name="vote_session_recent"),
            models.Index(fields=["client_ip", "created_at"], name="vote_address_recent"),
            # Only the soft-labelled votes (rare): says at once whether an arena has any, so the
            # rating read groups by the label only where there is one (arena.selectors.columns).
            models.Index(
                fields=["battle"], condition=Q(p_b__isnull=False), name="vote_soft_labelled"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=[o.value for o in Outcome]), name="vote_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(p_b__isnull=True) | Q(p_b__gte=0.0, p_b__lte=1.0),
                name="vote_p_b_probability",
            ),
            models.CheckConstraint(
                condition=Q(source="crowd") | Q(source="judge", judge__isnull=False),
                name="vote_judge_source_has_judge",
            ),
            models.CheckConstraint(
                condition=Q(source="judge", voter_kind="judge")
                | (Q(source="crowd") & ~Q(voter_kind="judge")),
                name="vote_voter_kind_matches_source",
            ),
            models.UniqueConstraint(
                fields=["judge", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="vote_idempotency_key_unique_per_judge",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on {self.battle_id}"


class VoteTag(models.Model):
    """A feedback tag a voter put on one side's answer after voting."""

    class Side(models.TextChoices):
        A = "A", "A"
        B = "B", "B"

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="tags")
    side = models.CharField(max_length=1, choices=Side.choices)
    tag = models.CharField(max_length=50)

    class Meta:
        ordering = ["vote", "side", "tag"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "side", "tag"], name="vote_tag_once"),
            models.CheckConstraint(condition=Q(side__in=["A", "B"]), name="vote_tag_side_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} on {self.side}"


class VoterFlag(models.Model):
    """A crowd voter (or a network address) whose votes look rigged, with the evidence.

    Written by the flagging job (``ratings.voter_flags_update``), which replaces an arena's
    flags each time it runs. Leaderboards leave flagged voters' votes out unless told otherwise.
    Exactly one of the voter columns names who: a user, a browser session, an imported voter id
    or, for bursts from many sessions, an address.
    """

    class Kind(models.TextChoices):
        SURPRISE = "surprise", "votes improbable under the arena's ratings"
        BURST = "burst", "a burst of votes for one competitor"

    arena = models.ForeignKey("arena.Arena", on_delete=models.CASCADE, related_name="voter_flags")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    external_voter = models.CharField(max_length=200, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    n_votes = models.PositiveIntegerField(help_text="Votes the evidence rests on.")
    score = models.FloatField(help_text="z-score of the log-likelihood, or votes in the burst.")
    p_value = models.FloatField(null=True, blank=True)
    favoured = models.ForeignKey(
        "arena.Competitor", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(help_text="Why, in words an operator can check.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["arena", "kind", "-score"]
        indexes = [
            models.Index(fields=["arena", "session_key"], name="voterflag_session"),
            models.Index(fields=["arena", "client_ip"], name="voterflag_address"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False)
                | ~Q(session_key="")
                | ~Q(external_voter="")
                | Q(client_ip__isnull=False),
                name="voterflag_names_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason[:80]}"
