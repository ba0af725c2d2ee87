"""Leaderboards (named scopes over an arena's votes) and the rating runs published for them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from ratings import engine

#: Methods a leaderboard can run: the engine's board methods, named as in ``python -m ratings rate
#: --method`` (``lc-winrate`` needs a baseline, which a board does not have: command line only).
METHODS = tuple(name for name, method in engine.METHODS.items() if method.board)
DEFAULT_METHODS = ["elo", "bt", "style-bt", "nash", "equilibrium-ne", "equilibrium-cce"]


def default_methods() -> list[str]:
    return list(DEFAULT_METHODS)


class Leaderboard(models.Model):
    """A named scope over one arena's votes, rated by one or more methods.

    Empty filters mean "all": ``all`` is the arena's every vote; ``crowd`` and ``judges`` split
    them by source. Admins add scopes by category, language, voter kind, judge or dates.
    """

    arena = models.ForeignKey("arena.Arena", on_delete=models.CASCADE, related_name="leaderboards")
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=10, blank=True, help_text="crowd, judge, or empty: all")
    voter_kind = models.CharField(max_length=20, blank=True)
    judge = models.ForeignKey("arena.Judge", on_delete=models.CASCADE, null=True, blank=True)
    date_from = models.DateTimeField(null=True, blank=True)
    date_to = models.DateTimeField(null=True, blank=True)
    condition = models.CharField(
        max_length=10,
        blank=True,
        help_text="blind, informed (each answer's cost was shown), or empty: both",
    )
    methods = models.JSONField(default=default_methods)
    bootstrap_rounds = models.PositiveIntegerField(
        default=100, help_text="Bootstrap rounds for the intervals of elo and bt (0: sandwich)."
    )
    method_options = models.JSONField(
        default=dict,
        blank=True,
        help_text='Options per method, as the rating engine names them, e.g. {"style-bt": '
        '{"style_features": ["length"], "l2": 1.0}, "elo": {"orderings": 1000}}.',
    )
    is_active = models.BooleanField(default=True)
    exclude_flagged_voters = models.BooleanField(
        default=True,
        help_text="Leave out the votes of voters and addresses flagged as suspicious.",
    )
    include_identity_revealed = models.BooleanField(
        default=False,
        help_text="Count votes on battles whose answer revealed a competitor's identity.",
    )
    inverse_probability_weights = models.BooleanField(
        default=False,
        help_text="Weight each vote by 1/p, p the probability its pair was drawn with, so that "
        "adaptive pairing does not bias the ratings (votes without p count as average).",
    )
    hard_labels = models.BooleanField(
        default=False,
        help_text="Count every vote by its winner alone, ignoring soft labels (p_b) where votes "
        "have them.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["arena", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["arena", "slug"], name="leaderboard_slug_per_arena"),
            models.CheckConstraint(
                condition=Q(source__in=["", "crowd", "judge"]), name="leaderboard_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(condition__in=["", "blind", "informed"]),
                name="leaderboard_condition_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arena.slug}/{self.slug}"

    def clean(self) -> None:
        """Refuse options no method run could honour, so that the admin says so on save."""
        if not isinstance(self.method_options, dict):
            raise ValidationError({"method_options": "a JSON object keyed by method"})
        for method, options in self.method_options.items():
            if not isinstance(options, dict):
                raise ValidationError({"method_options": f"{method}: a JSON object of options"})
            try:
                engine.method_options(method, options)
            except engine.OptionsError as error:
                raise ValidationError({"method_options": f"{method}: {error}"}) from error


class RatingRun(models.Model):
    """One method on one leaderboard, over the votes up to ``watermark`` (a vote id).

    Unique on (leaderboard, method, parameters, watermark): the same job twice adds nothing.
    The result is written in the same UPDATE that marks the run done, so a worker killed
    mid-job leaves a run that is not done and has no result, never half a result. While it
    computes, the worker renews ``heartbeat_at``; a running run whose heartbeat is older than
    the lease is sent to another worker by the next check.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    leaderboard = models.ForeignKey(Leaderboard, on_delete=models.CASCADE, related_name="runs")
    method = models.CharField(max_length=30)
    params = models.JSONField(default=dict)
    params_key = models.CharField(max_length=64, help_text="SHA-256 of the canonical params.")
    watermark = models.BigIntegerField(help_text="The highest vote id included.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    n_votes = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    # What the board page draws beside the ratings (predicted and observed win rates, battles
    # per pair), computed by the job with the result so that a page view never reads the votes.
    matrices = models.JSONField(null=True, blank=True, editable=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Renewed while a worker computes; a stale one is retaken."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["leaderboard", "method", "params_key", "watermark"],
                name="rating_run_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(result__isnull=False, finished_at__isnull=False),
                name="rating_run_done_has_result",
            ),
        ]
        indexes = [
            models.Index(fields=["leaderboard", "method", "status", "-watermark"]),
            # The health endpoint and the metrics read the newest published run on every probe.
            models.Index(
                fields=["-finished_at"],
                condition=Q(status="done"),
                name="rating_run_newest_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leaderboard} {self.method} @{self.watermark} ({self.status})"


class Tournament(models.Model):
    """A bracket of judge matches over chosen competitors and prompts (``core.tournaments``).

    Its matches are ordinary battles served through the judge API; their votes feed the usual
    boards. ``state`` is the core's JSON state: the configuration and the outcomes by match id.
    """

    class Format(models.TextChoices):
        SINGLE_ELIMINATION = "single-elimination", "single elimination per prompt (Varco Arena)"
        MERGE_SORT = "merge-sort", "merge sort per prompt (PairS)"
        SWISS = "swiss", "swiss, ⌈log₂ N⌉ rounds"
        BASELINE = "baseline", "every competitor against a baseline (arena-hard)"

    arena = models.ForeignKey("arena.Arena", on_delete=models.CASCADE, related_name="tournaments")
    name = models.CharField(max_length=120)
    format = models.CharField(max_length=20, choices=Format.choices)
    seed = models.BigIntegerField(default=0, help_text="Seeds the bracket and any coin toss.")
    competitors = models.ManyToManyField("arena.Competitor", related_name="+")
    prompts = models.ManyToManyField("arena.Prompt", related_name="+")
    judges = models.ManyToManyField("arena.Judge", related_name="tournaments")
    state = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.format})"


class TournamentMatch(models.Model):
    """A battle serving one match of a tournament. A match whose battle expired unvoted gets a
    new one; the first vote among them decides it, recorded once."""

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="matches")
    match_id = models.CharField(max_length=120)
    round = models.PositiveIntegerField(help_text="The round (or merge level) within its prompt.")
    battle = models.OneToOneField(
        "arena.Battle", on_delete=models.CASCADE, related_name="tournament_match"
    )
    recorded = models.BooleanField(default=False, help_text="Its vote advanced the bracket.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tournament", "match_id"],
                condition=Q(recorded=True),
                name="tournament_match_recorded_once",
            ),
        ]
        indexes = [models.Index(fields=["tournament", "match_id"])]

    def __str__(self) -> str:
        return f"{self.tournament_id}:{self.match_id}"
