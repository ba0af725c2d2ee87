from __future__ import annotations

from django.db import models

from arena.models.arenas import Arena
from arena.models.competitors import Competitor


class CompetitorStrength(models.Model):
    """A competitor's Bradley–Terry log-strength and its variance, as the newest published
    ``bt`` run of the arena's ``all`` board fitted them.

    The adaptive pairing policies read these at every battle request. They are stored as the
    fit left them (natural-log scores, the sandwich variance), not recovered from the board's
    display-scale ratings and interval widths, so the policy sees the model it documents. All of
    an arena's rows come from one run (``watermark``, ``run_id``): a publish replaces them.
    """

    arena = models.ForeignKey(Arena, on_delete=models.CASCADE, related_name="+")
    competitor = models.ForeignKey(Competitor, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(
        help_text="Log-strength (natural log), centred over the run's competitors."
    )
    variance = models.FloatField(help_text="Sandwich variance of the score (squared log units).")
    watermark = models.BigIntegerField(help_text="The newest vote id the run counted.")
    run_id = models.BigIntegerField(help_text="The rating run these come from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["arena", "competitor"], name="competitor_strength_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competitor_id} in {self.arena_id}: {self.score:+.3f} ± {self.variance:.3g}"


class PairVoteCount(models.Model):
    """How many votes an arena has on one unordered pair of competitors (low id, high id).

    What the pairing reads at every battle served, kept by the database itself: triggers on the
    vote table (see the migration ``pair_vote_counts_maintained``) add each inserted vote in
    its own transaction and take each deleted one away, whatever wrote it (the vote service,
    an import's COPY, an admin's delete). Every vote counts, as the full recount did: the
    pairing balances what voters were shown, not what a board keeps.
    """

    arena = models.ForeignKey(Arena, on_delete=models.CASCADE, related_name="+")
    competitor_low = models.ForeignKey(Competitor, on_delete=models.CASCADE, related_name="+")
    competitor_high = models.ForeignKey(Competitor, on_delete=models.CASCADE, related_name="+")
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["arena", "competitor_low", "competitor_high"], name="pair_vote_count_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competitor_low_id}-{self.competitor_high_id} in {self.arena_id}: {self.n}"


class ScopeVoteCount(models.Model):
    """An arena's votes from one source on prompts of one category: how many, the highest id
    ever counted, and how many are on battles without both answers.

    What the rating check reads instead of the votes (#21): kept by triggers on the vote table
    in the writing transaction, as :class:`PairVoteCount` is (migration
    ``scope_vote_counts_maintained``), and recounted when a prompt's category changes.
    ``top_id`` only grows (a delete lowers ``n``, not it): the check reads a change of
    ``(n, top_id)`` as "look again", and the votes past the last ``top_id`` as the new ones.
    """

    arena = models.ForeignKey(Arena, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10)
    category = models.CharField(max_length=100)
    n = models.BigIntegerField(default=0)
    top_id = models.BigIntegerField(default=0)
    n_unanswered = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["arena", "source", "category"], name="scope_vote_count_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.category or '-'} in {self.arena_id}: {self.n}"


class AnswersVersion(models.Model):
    """One row whose number changes whenever who-answered-what may have changed for pairing.

    Triggers on answers, competitors, prompt sets and their links to arenas bump it in the
    writing transaction; serving keeps the pairing's view of the answers in memory per process
    and rebuilds it only when this number moved (one primary-key read per request).
    """

    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"answers version {self.n}"
