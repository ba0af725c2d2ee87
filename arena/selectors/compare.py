"""Reads for the comparator: the votes between two competitors and their answers side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from arena.exceptions import CompetitorNotFound
from arena.models import Arena, Competitor, Completion, Vote


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


def _comparable_costs(values: tuple[Any, ...]) -> tuple[float | None, float | None]:
    """The first cost of :data:`COST_ORDER` that both answers carry (pairs of a, b values)."""
    for k in range(len(COST_ORDER)):
        a, b = values[2 * k], values[2 * k + 1]
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
    for row in rows:
        public_id, prompt_id, text, category, a_id, outcome, judge, why, reason, ta, tb = row[:11]
        cost_a, cost_b = _comparable_costs(row[12:])
        first = a_id == x.pk
        votes.append(
            MatchVote(
                battle=public_id,
                prompt_id=prompt_id,
                prompt=text,
                category=category,
                x_shown_first=first,
                outcome=outcome if first else _FLIP[outcome],
                judge=judge or "crowd",
                rationale=why,
                reason=reason,
                tokens_x=(ta if first else tb) or 0,
                tokens_y=(tb if first else ta) or 0,
                condition=row[11],
                cost_x=cost_a if first else cost_b,
                cost_y=cost_b if first else cost_a,
            )
        )
    return votes


def answers_side_by_side(
    arena: Arena, x: Competitor, y: Competitor
) -> list[tuple[int, str, str, str]]:
    """``(prompt id, prompt, X's answer, Y's answer)`` for the arena's prompts both answered."""
    rows = Completion.objects.filter(
        competitor__in=[x, y], prompt__prompt_sets__arenas=arena
    ).values_list("prompt_id", "prompt__text", "competitor_id", "text")
    by_prompt: dict[int, dict[int | str, str]] = {}
    for prompt_id, prompt, competitor_id, text in rows.distinct():
        by_prompt.setdefault(prompt_id, {"prompt": prompt})[competitor_id] = text
    return [
        (prompt_id, texts["prompt"], texts[x.pk], texts[y.pk])
        for prompt_id, texts in sorted(by_prompt.items())
        if x.pk in texts and y.pk in texts
    ]
