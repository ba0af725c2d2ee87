"""Reads for the comparator: the votes between two competitors and their answers side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import Count, Max, Q
from django.db.models.functions import Substr

from arena.exceptions import CompetitorNotFound
from arena.models import Arena, Competitor, Completion, Outcome, Vote


@dataclass(frozen=True, slots=True)
class MatchVote:
    """One vote between X and Y, seen from X (``outcome`` 1: X won, 2: Y won, 3 tie, 4 both bad)."""

    battle: str
    prompt_id: int
    prompt: str
    category: str
    x_shown_first: bool
    outcome: int
    judge: str  # a judge's name, or "crowd"
    rationale: str
    reason: str
    tokens_x: int
    tokens_y: int
    condition: str  # "blind" or "informed" (each answer's cost shown)
    cost_x: float | None  # energy in Wh when both answers have it, else output tokens, else ms
    cost_y: float | None


_FLIP = {1: 2, 2: 1, 3: 3, 4: 4}
#: Which cost two answers are compared by: the first that both carry.
COST_ORDER = ("energy_wh", "output_tokens", "latency_ms")


class MatchRow(NamedTuple):
    """One vote between X and Y as :func:`match_votes` reads it, costs in :data:`COST_ORDER`."""

    public_id: Any
    prompt_id: int
    prompt: str
    category: str
    competitor_a_id: int
    outcome: int
    judge: str | None
    rationale: str
    reason: str
    tokens_a: int | None
    tokens_b: int | None
    condition: str
    energy_wh_a: float | None
    energy_wh_b: float | None
    output_tokens_a: float | None
    output_tokens_b: float | None
    latency_ms_a: float | None
    latency_ms_b: float | None

    def comparable_costs(self) -> tuple[float | None, float | None]:
        """The first cost of :data:`COST_ORDER` that both answers carry."""
        for field in COST_ORDER:
            a, b = getattr(self, f"{field}_a"), getattr(self, f"{field}_b")
            if a is not None and b is not None:
                return float(a), float(b)
        return None, None


def arena_competitor(arena: Arena, name: str) -> Competitor:
    """A competitor of the arena by name (any case), or CompetitorNotFound."""
    found = Competitor.objects.filter(arenas=arena, name__iexact=name).first()
    if found is None:
        raise CompetitorNotFound(f"No competitor {name!r} in this arena.")
    return found


def match_votes(arena: Arena, x: Competitor, y: Competitor) -> list[MatchVote]:
    """Every vote of the arena on a battle between X and Y, oldest first."""
    rows = (
        Vote.objects.filter(battle__arena=arena)
        .filter(
            Q(battle__competitor_a=x, battle__competitor_b=y)
            | Q(battle__competitor_a=y, battle__competitor_b=x)
        )
        .order_by("id")
        .values_list(
            "battle__public_id",
            "battle__prompt_id",
            "battle__prompt__text",
            "battle__prompt__category",
            "battle__competitor_a_id",
            "outcome",
            "judge__name",
            "rationale",
            "reason",
            "battle__completion_a__n_tokens",
            "battle__completion_b__n_tokens",
            "battle__condition",
            *(f"battle__completion_{side}__{field}" for field in COST_ORDER for side in "ab"),
        )
    )
    votes = []
    for row in map(MatchRow._make, rows):
        cost_a, cost_b = row.comparable_costs()
        first = row.competitor_a_id == x.pk
        votes.append(
            MatchVote(
                battle=row.public_id,
                prompt_id=row.prompt_id,
                prompt=row.prompt,
                category=row.category,
                x_shown_first=first,
                outcome=row.outcome if first else _FLIP[row.outcome],
                judge=row.judge or "crowd",
                rationale=row.rationale,
                reason=row.reason,
                tokens_x=(row.tokens_a if first else row.tokens_b) or 0,
                tokens_y=(row.tokens_b if first else row.tokens_a) or 0,
                condition=row.condition,
                cost_x=cost_a if first else cost_b,
                cost_y=cost_b if first else cost_a,
            )
        )
    return votes


class SideBySide(NamedTuple):
    """The answers :func:`answers_side_by_side` read, and how far the bounds cut them."""

    #: ``(prompt id, prompt, X's answer, Y's answer)``, answers cut to ``max_chars``.
    rows: list[tuple[int, str, str, str]]
    #: More prompts were answered by both than ``max_prompts``: only the newest were read.
    capped: bool


def answers_side_by_side(
    arena: Arena, x: Competitor, y: Competitor, *, max_prompts: int, max_chars: int
) -> SideBySide:
    """The arena's newest ``max_prompts`` prompts both answered, each answer's first
    ``max_chars`` characters: the comparator's similarity work is bounded by what it reads."""
    both = (
        Completion.objects.filter(competitor__in=[x, y], prompt__prompt_sets__arenas=arena)
        .values("prompt_id")
        .annotate(n=Count("competitor", distinct=True))
        .filter(n=2)
        .order_by("-prompt_id")
        .values_list("prompt_id", flat=True)
    )
    ids = list(both[: max_prompts + 1])
    rows = (
        Completion.objects.filter(competitor__in=[x, y], prompt_id__in=ids[:max_prompts])
        .annotate(head=Substr("text", 1, max_chars))
        .values_list("prompt_id", "prompt__text", "competitor_id", "head")
    )
    by_prompt: dict[int, dict[int | str, str]] = {}
    for prompt_id, prompt, competitor_id, text in rows:
        by_prompt.setdefault(prompt_id, {"prompt": prompt})[competitor_id] = text
    return SideBySide(
        rows=[
            (prompt_id, texts["prompt"], texts[x.pk], texts[y.pk])
            for prompt_id, texts in sorted(by_prompt.items())
        ],
        capped=len(ids) > max_prompts,
    )


def pair_watermark(arena: Arena, x: Competitor, y: Competitor) -> tuple[int, int]:
    """The newest vote id between X and Y, and the newest answer id of either: what the
    comparator's result depends on, so a cached one is good while both are unchanged."""
    votes = Vote.objects.filter(battle__arena=arena).filter(
        Q(battle__competitor_a=x, battle__competitor_b=y)
        | Q(battle__competitor_a=y, battle__competitor_b=x)
    )
    top_vote = votes.aggregate(top=Max("id"))["top"] or 0
    top_answer = Completion.objects.filter(competitor__in=[x, y]).aggregate(top=Max("id"))["top"]
    return int(top_vote), int(top_answer or 0)


@dataclass(frozen=True, slots=True)
class HeadToHead:
    """A competitor's record against one opponent in an arena, from its own side."""

    opponent: str
    wins: int
    losses: int
    ties: int
    both_bad: int

    @property
    def votes(self) -> int:
        return self.wins + self.losses + self.ties + self.both_bad

    @property
    def win_rate_percent(self) -> int | None:
        """Points per vote (a tie or "both bad" counts half), as the statistics page counts."""
        if not self.votes:
            return None
        return round(100 * (self.wins + 0.5 * (self.ties + self.both_bad)) / self.votes)


def head_to_heads(arena: Arena, competitor: Competitor) -> list[HeadToHead]:
    """Every opponent the competitor met in the arena's votes, most-met first (one query).

    Counted in SQL by (side, opponent, outcome): the competitor's win is A when it was shown as
    A and B when shown as B.
    """
    # No ordering: a union of ordered subqueries is refused by SQLite (the demo's database).
    votes = Vote.objects.filter(battle__arena=arena).order_by()
    as_a = (
        votes.filter(battle__competitor_a=competitor)
        .values("battle__competitor_b__name")
        .annotate(
            wins=Count("id", filter=Q(outcome=Outcome.A)),
            losses=Count("id", filter=Q(outcome=Outcome.B)),
            ties=Count("id", filter=Q(outcome=Outcome.TIE)),
            both_bad=Count("id", filter=Q(outcome=Outcome.BOTH_BAD)),
        )
        .values_list("battle__competitor_b__name", "wins", "losses", "ties", "both_bad")
    )
    as_b = (
        votes.filter(battle__competitor_b=competitor)
        .values("battle__competitor_a__name")
        .annotate(
            wins=Count("id", filter=Q(outcome=Outcome.B)),
            losses=Count("id", filter=Q(outcome=Outcome.A)),
            ties=Count("id", filter=Q(outcome=Outcome.TIE)),
            both_bad=Count("id", filter=Q(outcome=Outcome.BOTH_BAD)),
        )
        .values_list("battle__competitor_a__name", "wins", "losses", "ties", "both_bad")
    )
    totals: dict[str, list[int]] = {}
    for name, *counts in as_a.union(as_b, all=True):
        row = totals.setdefault(name, [0, 0, 0, 0])
        for i, n in enumerate(counts):
            row[i] += n
    rows = [HeadToHead(name, *counts) for name, counts in totals.items()]
    return sorted(rows, key=lambda r: (-r.votes, r.opponent))
