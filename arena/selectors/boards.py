"""The raw board and the feedback tag rates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from arena.models import (
    Arena,
    Competitor,
    Outcome,
    Vote,
    VoteTag,
)
from ratings.core.headtohead import wilson_interval


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    name: str
    organisation: str
    votes: int
    wins: int
    losses: int
    ties: int
    both_bad: int

    @property
    def win_rate(self) -> float | None:
        """Share of points won, a tie or both-bad counting half; None before any vote."""
        if not self.votes:
            return None
        return (self.wins + 0.5 * (self.ties + self.both_bad)) / self.votes

    @property
    def win_rate_percent(self) -> str:
        """The win rate for display, one decimal, or a dash before any vote."""
        rate = self.win_rate
        return "–" if rate is None else f"{100 * rate:.1f}%"


def leaderboard_rows(arena: Arena) -> list[LeaderboardRow]:
    """Vote counts and raw win rates of the arena's competitors, best first (no vote: last)."""
    tally: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for side, win in (("a", Outcome.A), ("b", Outcome.B)):
        rows = (
            Vote.objects.filter(battle__arena=arena)
            .values_list(f"battle__competitor_{side}_id", "outcome")
            .annotate(n=Count("id"))
        )
        for competitor_id, outcome, n in rows:
            counts = tally[competitor_id]
            counts["votes"] += n
            if outcome in (Outcome.A, Outcome.B):
                counts["wins" if outcome == win else "losses"] += n
            else:
                counts["ties" if outcome == Outcome.TIE else "both_bad"] += n
    competitors = Competitor.objects.filter(Q(arenas=arena) | Q(id__in=list(tally))).distinct()
    board = [
        LeaderboardRow(
            name=c.name,
            organisation=c.organisation,
            votes=tally[c.id]["votes"],
            wins=tally[c.id]["wins"],
            losses=tally[c.id]["losses"],
            ties=tally[c.id]["ties"],
            both_bad=tally[c.id]["both_bad"],
        )
        for c in competitors.only("id", "name", "organisation")
    ]
    board.sort(key=lambda r: (r.win_rate is None, -(r.win_rate or 0.0), -r.votes, r.name))
    return board


@dataclass(frozen=True, slots=True)
class TagRate:
    """How often voters put a tag on a competitor's answer, with a 95% Wilson interval."""

    competitor: str
    tag: str
    tagged: int
    rated: int

    @property
    def rate(self) -> float:
        return self.tagged / self.rated if self.rated else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """Wilson's 95% score interval of the rate; (0, 1), no information, before any vote."""
        return wilson_interval(self.tagged, self.rated) if self.rated else (0.0, 1.0)


def tag_leaders(rates: dict[str, dict[str, TagRate]]) -> list[TagRate]:
    """For each tag, the competitor voters gave it most often ("most often marked incorrect")."""
    leaders: dict[str, TagRate] = {}
    for per_tag in rates.values():
        for tag, rate in per_tag.items():
            if rate.tagged and (tag not in leaders or rate.rate > leaders[tag].rate):
                leaders[tag] = rate
    return list(leaders.values())


def tag_rates(arena: Arena) -> dict[str, dict[str, TagRate]]:
    """Per competitor and tag: answers tagged, out of its answers in votes that got feedback."""
    rated: dict[str, int] = defaultdict(int)
    with_feedback = Vote.objects.filter(battle__arena=arena, feedback_at__isnull=False)
    for side in ("a", "b"):
        for name, n in with_feedback.values_list(f"battle__competitor_{side}__name").annotate(
            n=Count("id")
        ):
            rated[name] += n
    tagged: dict[tuple[str, str], int] = defaultdict(int)
    tags = VoteTag.objects.filter(vote__battle__arena=arena, vote__feedback_at__isnull=False)
    for side in ("a", "b"):
        rows = (
            tags.filter(side=side.upper())
            .values_list(f"vote__battle__competitor_{side}__name", "tag")
            .annotate(n=Count("id"))
        )
        for name, tag, n in rows:
            tagged[(name, tag)] += n
    tag_names = list(dict.fromkeys([*arena.feedback_tags, *(t for _, t in tagged)]))
    return {
        name: {tag: TagRate(name, tag, tagged[(name, tag)], n) for tag in tag_names}
        for name, n in sorted(rated.items())
    }
