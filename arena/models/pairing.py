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
