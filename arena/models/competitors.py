from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Competitor(models.Model):
    """A model under test."""

    name = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    licence = models.CharField(
        max_length=100,
        blank=True,
        help_text="The weights' licence, e.g. Apache-2.0 or proprietary.",
    )
    url = models.URLField(
        "link", max_length=500, blank=True, help_text="Where to read about it (a model card)."
    )
    is_active = models.BooleanField(default=True, help_text="Only active competitors are paired.")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="competitors_submitted",
        help_text="The model owner who uploaded it through the API; empty: added by an operator.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    null_model_score = models.FloatField(
        null=True,
        blank=True,
        editable=False,
        help_text="Mean similarity of its answers to different prompts (1: the same text always).",
    )
    null_model_flagged = models.BooleanField(
        default=False,
        help_text="Its answers barely depend on the prompt: kept off public leaderboards.",
    )
    null_model_cleared = models.BooleanField(
        default=False, help_text="An operator looked and allowed it on the leaderboards anyway."
    )
    endpoint = models.ForeignKey(
        "arena.Endpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="competitors",
        help_text="Where its answers are generated; empty: its answers are uploaded.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="competitor_name_unique_ci"),
            models.CheckConstraint(condition=~models.Q(name=""), name="competitor_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Judge(models.Model):
    """An automated judge (an LLM-as-a-judge pipeline, a jury member) that casts votes."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    endpoint = models.ForeignKey(
        "arena.Endpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="judges",
        help_text="With a template: the platform runs this judge; empty: it votes via the API.",
    )
    template = models.ForeignKey(
        "arena.JudgeTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="judges",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="judge_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name
