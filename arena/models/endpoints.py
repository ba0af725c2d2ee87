"""Endpoints: the OpenAI-compatible chat APIs the platform calls for answers and verdicts.

The key itself is never stored: an endpoint names the setting or environment variable that
holds it, read when the call is made.
"""

from __future__ import annotations

import re
import string
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

#: The generation parameters passed through to the API; anything else in ``params`` is refused.
GENERATION_PARAMS = frozenset(
    {"temperature", "max_tokens", "top_p", "seed", "stop", "frequency_penalty", "presence_penalty"}
)
#: A setting or variable name; a pasted key ("sk-…") is not one, so it is refused, not stored.
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def default_params() -> dict[str, object]:
    return {"temperature": 0.0, "max_tokens": 1024}


class Endpoint(models.Model):
    """An OpenAI-compatible chat completions API (vLLM, SGLang, TGI, llama.cpp, Ollama, hosted)."""

    name = models.CharField(max_length=200, unique=True)
    # Not a URLField: Django's URL validator refuses hosts without a dot, such as a compose
    # service (http://vllm:8000/v1); clean() checks the scheme and the host instead.
    base_url = models.CharField(
        max_length=500, help_text="Up to /v1, e.g. http://127.0.0.1:11434/v1 for Ollama."
    )
    model = models.CharField(max_length=200, help_text="The model name the API expects.")
    api_key_setting = models.CharField(
        max_length=100,
        blank=True,
        help_text="Name of the setting or environment variable holding the key (never the key "
        "itself); empty: the server needs no key.",
    )
    params = models.JSONField(
        default=default_params,
        blank=True,
        help_text="Generation parameters sent with every call: temperature, max_tokens, top_p, "
        "seed, stop, frequency_penalty, presence_penalty.",
    )
    concurrency = models.PositiveSmallIntegerField(
        default=4, help_text="Calls in flight at once, per worker process."
    )
    timeout_seconds = models.FloatField(default=120.0, help_text="Per call, in seconds.")
    usd_per_million_output = models.FloatField(
        null=True,
        blank=True,
        help_text="Price of a million answer tokens (live answers' cost); empty: not priced.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(concurrency__gte=1), name="endpoint_concurrency"),
            models.CheckConstraint(condition=Q(timeout_seconds__gt=0), name="endpoint_timeout"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.model})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        url = urlsplit(self.base_url)
        if url.scheme not in {"http", "https"} or not url.hostname:
            errors["base_url"] = "An http:// or https:// URL, e.g. http://127.0.0.1:8000/v1."
        name = self.api_key_setting.strip()
        if name and not _SETTING_NAME.fullmatch(name):
            errors["api_key_setting"] = (
                "The name of a setting or environment variable (letters, digits, _), never the "
                "key itself."
            )
        if not isinstance(self.params, dict):
            errors["params"] = 'A JSON object, e.g. {"temperature": 0, "max_tokens": 1024}.'
        elif unknown := set(self.params) - GENERATION_PARAMS:
            errors["params"] = (
                f"Unknown parameter(s): {', '.join(sorted(unknown))}; allowed: "
                f"{', '.join(sorted(GENERATION_PARAMS))}."
            )
        if errors:
            raise ValidationError(errors)


class JudgeTemplate(models.Model):
    """How a judge is asked: a system prompt, a user message with the battle, a verdict scale."""

    class Scale(models.TextChoices):
        FIVE = "five", "five levels: [[A>>B]] [[A>B]] [[A=B]] [[B>A]] [[B>>A]] (arena-hard)"
        THREE = "three", "three levels: [[A]] [[B]] [[C]] for a tie (MT-Bench)"

    name = models.CharField(max_length=100, unique=True)
    system_prompt = models.TextField()
    user_template = models.TextField(
        help_text="With {question}, {answer_a} and {answer_b} (Python format fields)."
    )
    scale = models.CharField(max_length=10, choices=Scale.choices)
    is_builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(self.user_template) if f}
        except ValueError as error:
            raise ValidationError({"user_template": f"Not a valid template: {error}."}) from None
        wanted = {"question", "answer_a", "answer_b"}
        if fields != wanted:
            raise ValidationError(
                {"user_template": "Use exactly the fields {question}, {answer_a} and {answer_b}."}
            )


class GenerationJob(models.Model):
    """Generating one competitor's missing answers to one arena's prompts, batch by batch."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed after its retries"

    arena = models.ForeignKey("arena.Arena", on_delete=models.CASCADE, related_name="+")
    competitor = models.ForeignKey(
        "arena.Competitor", on_delete=models.CASCADE, related_name="generation_jobs"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    n_prompts = models.PositiveIntegerField("prompts", default=0, help_text="The arena's prompts.")
    n_done = models.PositiveIntegerField(
        "answered", default=0, help_text="Those the competitor has answered."
    )
    n_failures = models.PositiveIntegerField("failed calls", default=0)
    retries = models.PositiveIntegerField(default=0, help_text="Batches retried so far.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["arena", "competitor"], name="generation_job_once_per_arena"
            )
        ]

    def __str__(self) -> str:
        return f"{self.competitor} in {self.arena}: {self.n_done}/{self.n_prompts}"


class JudgingPolicy(models.Model):
    """Which battles of an arena a platform-run judge judges, in both positions."""

    class Mode(models.TextChoices):
        EVERY = "every", "every new crowd battle"
        SAMPLE = "sample", "a sample of new crowd battles"
        BUDGET = "budget", "battles drawn for the judge, up to a budget of calls"

    arena = models.ForeignKey("arena.Arena", on_delete=models.CASCADE, related_name="judgings")
    judge = models.ForeignKey("arena.Judge", on_delete=models.CASCADE, related_name="judgings")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.BUDGET)
    sample_share = models.FloatField(default=0.1, help_text="For 'sample': the share judged.")
    budget_calls = models.PositiveIntegerField(
        default=0, help_text="The most calls to the judge's endpoint (two per battle); 0: none."
    )
    calls_made = models.PositiveIntegerField(default=0, editable=False)
    last_battle_id = models.PositiveBigIntegerField(
        default=0, editable=False, help_text="Crowd battles up to this id were considered."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "judging policies"
        constraints = [
            models.UniqueConstraint(fields=["arena", "judge"], name="judging_once_per_judge"),
            models.CheckConstraint(
                condition=Q(sample_share__gte=0) & Q(sample_share__lte=1),
                name="judging_sample_is_a_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.judge} on {self.arena} ({self.mode})"


class JudgeCall(models.Model):
    """One call to a platform-run judge about one battle, and what came of it."""

    class Status(models.TextChoices):
        VOTED = "voted", "verdict recorded as a vote"
        UNPARSEABLE = "unparseable", "no verdict found after the retries"
        FAILED = "failed", "the endpoint failed"

    judging = models.ForeignKey(JudgingPolicy, on_delete=models.CASCADE, related_name="calls")
    battle = models.OneToOneField(
        "arena.Battle", on_delete=models.CASCADE, related_name="judge_call"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    verdict = models.CharField(max_length=10, blank=True, help_text="As the judge wrote it.")
    attempts = models.PositiveSmallIntegerField(default=1)
    text = models.TextField(blank=True, help_text="The judge's last answer.")
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.judging}: {self.status} {self.verdict}"
