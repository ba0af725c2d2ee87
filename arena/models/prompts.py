from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

from arena.text import identity_leak, identity_terms, style_features


def content_hash(text: str) -> str:
    """The key that makes one prompt text stored once per arena (or once in the operator's pool)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Prompt(models.Model):
    """A question put to the competitors.

    Isolation by construction: a prompt an owner uploads belongs to the arena it was uploaded to
    (``arena``), and its text is stored once per arena, never matched against other arenas'
    prompts; so an upload cannot reach, nor learn of, another arena's prompt or the answers to
    it. Prompts with no ``arena`` are the operator's (admin, ``import_votes``, the demo); an
    operator shares any prompt with other arenas by putting it in their prompt sets.
    """

    text = models.TextField()
    category = models.CharField(max_length=100, blank=True, db_index=True)
    language = models.CharField(max_length=20, blank=True)
    content_hash = models.CharField(max_length=64, db_index=True, editable=False)
    arena = models.ForeignKey(
        "arena.Arena",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="own_prompts",
        help_text="The arena an owner uploaded it to; empty: an operator's prompt.",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="prompts_submitted",
    )
    external_id = models.CharField(
        max_length=200, blank=True, db_index=True, help_text="The id the prompt had in its source."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="prompt_text_not_empty"),
            models.UniqueConstraint(
                fields=["arena", "content_hash"],
                condition=models.Q(arena__isnull=False),
                name="prompt_text_once_per_arena",
            ),
            models.UniqueConstraint(
                fields=["content_hash"],
                condition=models.Q(arena__isnull=True),
                name="prompt_text_once_in_operator_pool",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    def save(self, *args: object, **kwargs: object) -> None:
        self.content_hash = content_hash(self.text)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Completion(models.Model):
    """One competitor's answer to one prompt, with style features for style control."""

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="completions")
    competitor = models.ForeignKey(
        "arena.Competitor", on_delete=models.CASCADE, related_name="completions"
    )
    text = models.TextField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="completions_submitted",
    )
    n_chars = models.PositiveIntegerField(default=0, editable=False)
    n_tokens = models.PositiveIntegerField(default=0, editable=False)
    header_count = models.PositiveIntegerField(default=0, editable=False)
    list_count = models.PositiveIntegerField(default=0, editable=False)
    bold_count = models.PositiveIntegerField(default=0, editable=False)
    energy_wh = models.FloatField(
        null=True, blank=True, help_text="Energy to produce this answer, in watt-hours (owner's)."
    )
    output_tokens = models.PositiveIntegerField(
        null=True, blank=True, help_text="Output tokens as the owner's model counted them."
    )
    latency_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="Time to produce the answer, in milliseconds."
    )
    identity_leak = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="What in the answer reveals its competitor (name, maker or phrase); empty: none.",
    )
    leak_allowed = models.BooleanField(
        default=False,
        help_text="Serve this answer in anonymous battles although it reveals its competitor "
        "(votes on such battles are marked and left out of ratings by default).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "competitor"], name="completion_unique_pair"),
            models.CheckConstraint(
                condition=models.Q(energy_wh__isnull=True) | models.Q(energy_wh__gte=0),
                name="completion_energy_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competitor} on prompt {self.prompt_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.compute_features()
        self.identity_check()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def identity_check(self) -> None:
        """Fill ``identity_leak`` (bulk paths use ``completions_identity_scan`` instead)."""
        competitor = self.competitor
        terms = identity_terms(
            competitor.name, competitor.organisation, settings.ARENA_IDENTITY_PHRASES
        )
        self.identity_leak = identity_leak(self.text, terms)[:200]

    def compute_features(self) -> None:
        """Fill the style columns from the text (bulk_create skips save(), so callers use this)."""
        for field, value in style_features(self.text).items():
            setattr(self, field, value)


class CompletionDistance(models.Model):
    """How much two answers to one prompt differ: 1 − the Jaccard similarity of their word
    3-grams. Computed once per pair of answers, for prompt prioritisation (prefer the prompts
    where a pair's answers differ most)."""

    first = models.ForeignKey(Completion, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Completion, on_delete=models.CASCADE, related_name="+")
    dissimilarity = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="completion_distance_once"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")),
                name="completion_distance_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id}–{self.second_id}: {self.dissimilarity:.2f}"
