from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

#: Per-answer feedback tags an arena offers unless it defines its own (Compar:IA's kind).
DEFAULT_FEEDBACK_TAGS = [
    "helpful",
    "correct",
    "complete",
    "clear formatting",
    "incorrect",
    "superficial",
    "ignored instructions",
    "unsafe",
]


def default_feedback_tags() -> list[str]:
    return list(DEFAULT_FEEDBACK_TAGS)


def new_invite_token() -> str:
    return secrets.token_urlsafe(24)


class VoterGroup(models.Model):
    """Voters an arena can restrict voting to, e.g. "experts"; joined by invitation link."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="voter_groups"
    )
    invite_token = models.CharField(max_length=64, unique=True, default=new_invite_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PromptSet(models.Model):
    """A named, versioned collection of prompts; arenas draw their battles from prompt sets."""

    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    description = models.TextField(blank=True)
    prompts = models.ManyToManyField("arena.Prompt", blank=True, related_name="prompt_sets")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="prompt_set_name_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class PairingPolicy(models.TextChoices):
    """The pairing policies of ``ratings.core.pairing`` (a test keeps the two lists equal)."""

    FEWEST_VOTES = "fewest-votes", "fewest votes first"
    UNIFORM = "uniform", "uniform over pairs"
    CI_REDUCTION = "ci-reduction", "largest interval shrinkage (LMArena)"
    INFORMATION = "information", "most information about the order"
    UCB = "ucb", "pivot and closest opponent (K-Sort)"


class PromptMode(models.TextChoices):
    """Where an arena's prompts come from: its prompt sets, its voters, or both."""

    SERVED = "served", "served prompts: answers stored beforehand"
    OWN = "own", "own prompts: the voter writes, two endpoints answer live"
    BOTH = "both", "both: served battles, and a page for own prompts"


class Arena(models.Model):
    """One arena: its competitor pool, prompt sets, visibility, voting rules and feedback tags."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", "public: listed, anyone may look"
        UNLISTED = "unlisted", "unlisted: anyone with the link may look"
        PRIVATE = "private", "private: only its voter groups and staff"

    class VotingRule(models.TextChoices):
        ANYONE = "anyone", "anyone, signed in or not"
        SIGNED_IN = "signed_in", "signed-in users"
        GROUPS = "groups", "members of its voter groups"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    voting_rule = models.CharField(
        max_length=10, choices=VotingRule.choices, default=VotingRule.ANYONE
    )
    voter_groups = models.ManyToManyField(VoterGroup, blank=True, related_name="arenas")
    daily_vote_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="Votes one voter may cast here per day; empty: no cap."
    )
    competitors = models.ManyToManyField("arena.Competitor", blank=True, related_name="arenas")
    prompt_sets = models.ManyToManyField(PromptSet, blank=True, related_name="arenas")
    feedback_tags = models.JSONField(default=default_feedback_tags, blank=True)
    informed_share = models.FloatField(
        default=0.0,
        help_text="Share of crowd battles (0 to 1) that show each answer's cost before the vote, "
        "when both answers carry one; assigned at random per battle.",
    )
    is_default = models.BooleanField(
        default=False, help_text="The arena behind the URLs without an arena (/, /leaderboard/)."
    )
    prompt_priority = models.BooleanField(
        default=False,
        help_text="For the chosen pair, prefer the prompts where its two answers differ most and "
        "voters tie least (a fifth of the choices stay random); off: a random shared prompt.",
    )
    pairing_policy = models.CharField(
        max_length=20,
        choices=PairingPolicy.choices,
        default=PairingPolicy.FEWEST_VOTES,
        help_text="How the next pair is chosen; the adaptive ones read the newest Bradley–Terry "
        "run of the arena's overall board. See the README, 'Pairing policies'.",
    )
    prompt_mode = models.CharField(
        max_length=10,
        choices=PromptMode.choices,
        default=PromptMode.SERVED,
        help_text="Own prompts are answered live by the competitors that have an endpoint.",
    )
    live_prompt_max_chars = models.PositiveIntegerField("own prompt: most characters", default=4000)
    live_max_turns = models.PositiveSmallIntegerField(
        "own prompt: most turns",
        default=3,
        help_text="The first prompt and its follow-ups, per battle.",
    )
    moderation_words = models.TextField(
        blank=True,
        help_text="Own prompts containing any of these words (one per line, any case) are "
        "refused before a model sees them.",
    )
    moderation_endpoint = models.ForeignKey(
        "arena.Endpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="An OpenAI-compatible /v1/moderations API asked about each own prompt; a "
        "flagged prompt is refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_arena"
            ),
            models.CheckConstraint(
                condition=~Q(is_default=True) | ~Q(visibility="private"),
                name="default_arena_not_private",
            ),
            models.CheckConstraint(
                condition=Q(informed_share__gte=0) & Q(informed_share__lte=1),
                name="informed_share_is_a_share",
            ),
            models.CheckConstraint(
                condition=Q(live_max_turns__gte=1) & Q(live_prompt_max_chars__gte=1),
                name="arena_live_limits_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name
