"""The judge API's reads: submissions, competitor histories, judge agreement."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from arena.exceptions import CompetitorNotFound
from arena.models import (
    Arena,
    Competitor,
    Completion,
    Outcome,
    Prompt,
    User,
    Vote,
)
from arena.models import Battle as BattleRow
from ratings.core.agreement import RaterAgreement, modal_label, rater_agreement


def submissions_for_user(user: User) -> dict[str, Any]:
    """What a model owner uploaded: competitors with their completion counts, prompt count."""
    competitors = (
        Competitor.objects.filter(submitted_by=user)
        .annotate(n_completions=Count("completions"))
        .order_by("name")
    )
    return {
        "competitors": [
            {
                "name": c.name,
                "organisation": c.organisation,
                "completions": c.n_completions,
                "created_at": c.created_at,
            }
            for c in competitors
        ],
        "prompts": Prompt.objects.filter(submitted_by=user).count(),
        "completions": Completion.objects.filter(submitted_by=user).count(),
    }


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One vote on a competitor, from its side."""

    voted_at: datetime
    opponent: str
    position: str
    result: str
    source: str
    judge: str | None
    category: str


_RESULTS = {Outcome.TIE: "tie", Outcome.BOTH_BAD: "both_bad"}


def competitor_history(
    arena: Arena, name: str, *, limit: int = 100, offset: int = 0
) -> list[HistoryRow]:
    """A competitor's votes in the arena, newest first.

    CompetitorNotFound (404) unless the competitor is in the arena's pool or in its battles: a
    competitor of another arena only gets the answer a name nobody uses gets.
    """
    in_arena = Q(arenas=arena) | Exists(
        BattleRow.objects.filter(
            Q(competitor_a=OuterRef("pk")) | Q(competitor_b=OuterRef("pk"))
        ).filter(arena=arena)
    )
    competitor = Competitor.objects.filter(in_arena, name__iexact=name).distinct().first()
    if competitor is None:
        raise CompetitorNotFound(f"No competitor {name!r} in this arena.")
    votes = (
        Vote.objects.filter(battle__arena=arena)
        .filter(Q(battle__competitor_a=competitor) | Q(battle__competitor_b=competitor))
        .select_related("battle__competitor_a", "battle__competitor_b", "battle__prompt", "judge")
        .order_by("-created_at", "-id")[offset : offset + limit]
    )
    rows = []
    for vote in votes:
        battle = vote.battle
        side = "A" if battle.competitor_a_id == competitor.pk else "B"
        opponent = battle.competitor_b if side == "A" else battle.competitor_a
        outcome = Outcome(vote.outcome)
        result = _RESULTS.get(outcome) or ("win" if outcome.name == side else "loss")
        rows.append(
            HistoryRow(
                voted_at=vote.created_at,
                opponent=opponent.name,
                position=side,
                result=result,
                source=vote.source,
                judge=vote.judge.name if vote.judge else None,
                category=battle.prompt.category,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class JudgeAgreement:
    judge: str
    votes: int
    crowd: RaterAgreement
    judges: dict[str, RaterAgreement]


_SWAPPED: dict[int, int] = {Outcome.A: Outcome.B, Outcome.B: Outcome.A}
Battle = tuple[int, str, str]  # (prompt id, competitor first by name, the other)


def _labels_by_rater(arena: Arena) -> dict[str, dict[Battle, list[int]]]:
    """Verdicts by rater (a judge's name; "" for the crowd) and battle, in one orientation.

    The orientation is the competitors' names (``Outcome.A``: the name first in order won), as
    in the leaderboards' judge report: Cohen's kappa depends on it, so both endpoints agree.
    """
    labels: dict[str, dict[Battle, list[int]]] = defaultdict(lambda: defaultdict(list))
    # Unordered (the labels' order does not matter): an ordered read through a server-side
    # cursor is planned for its first rows, a nested loop that is quadratic in the votes when
    # the planner's row counts are stale.
    rows = (
        Vote.objects.filter(battle__arena=arena)
        .order_by()
        .values_list(
            "battle__prompt_id",
            "battle__competitor_a__name",
            "battle__competitor_b__name",
            "outcome",
            "judge__name",
        )
    )
    for prompt_id, a, b, outcome, judge in rows.iterator(chunk_size=5000):
        key, label = (prompt_id, a, b), outcome
        if a > b:
            key, label = (prompt_id, b, a), _SWAPPED.get(outcome, outcome)
        labels[judge or ""][key].append(int(label))
    return labels


def judge_agreement(arena: Arena) -> list[JudgeAgreement]:
    """Each judge's agreement with the crowd and with every other judge, on shared battles.

    Battles are shared when they show the same prompt and the same two competitors, in either
    position (outcomes are turned to one orientation). A rater's label on a battle is its modal
    verdict there, a tie when no verdict is the single most frequent; the crowd counts as one
    rater. Kappa is :func:`ratings.core.agreement.cohen_kappa`, the one the leaderboards' judge
    report publishes.
    """
    labels = _labels_by_rater(arena)
    voted = {
        rater: {k: modal_label(v, split=int(Outcome.TIE)) for k, v in items.items()}
        for rater, items in labels.items()
    }
    crowd = voted.pop("", {})
    return [
        JudgeAgreement(
            judge=name,
            votes=sum(len(v) for v in labels[name].values()),
            crowd=rater_agreement(mine, crowd),
            judges={
                other: rater_agreement(mine, theirs)
                for other, theirs in sorted(voted.items())
                if other != name
            },
        )
        for name, mine in sorted(voted.items())
    ]
