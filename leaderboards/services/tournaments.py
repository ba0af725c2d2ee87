"""Tournaments in the arena: creating one, advancing its bracket from votes, serving its matches.

The bracket itself is ``ratings.core.pairing.tournaments`` (pure, replayable); this module keeps its
state in ``Tournament.state`` and ties each match to the battles that serve it. A match's result
is the first vote on one of its battles, recorded into the state under the tournament's row
lock, and ``TournamentMatch.recorded`` (unique per match once true) makes that happen once
however votes are replayed or arrive together. Advancing is lazy: serving the next matches, or
reading the tournament, first records the votes its battles received.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from arena import selectors as arena_selectors
from arena.models import Arena, Battle, Competitor, Judge, Outcome, Prompt
from arena.services.battles import battles_serve_matchups
from arena.voters import Voter
from leaderboards.exceptions import TournamentInvalid, TournamentNotFound
from leaderboards.models import Tournament, TournamentMatch
from ratings.core.bradley_terry import bradley_terry
from ratings.core.errors import DisconnectedComparisonsError
from ratings.core.pairing.tournaments import (
    bracket_comparisons,
    bracket_done,
    bracket_matches,
    bracket_pending,
    bracket_record_many,
    bracket_start,
)
from ratings.core.types import ELO_PER_LOG_UNIT

# --- writes ------------------------------------------------------------------------------------


@transaction.atomic
def tournament_create(
    *,
    arena: Arena,
    name: str,
    format: str,
    competitors: Sequence[Competitor],
    prompts: Sequence[Prompt],
    judges: Sequence[Judge],
    seed: int = 0,
    baseline: Competitor | None = None,
) -> Tournament:
    """A tournament over answers that exist: every competitor must have answered every prompt."""
    if not judges:
        raise TournamentInvalid("Name at least one judge to play the matches.")
    answered = arena_selectors.completion_ids_for(
        competitor_ids=[c.pk for c in competitors], prompt_ids=[p.pk for p in prompts]
    )
    missing = [
        f"{c.name} on prompt {p.pk}"
        for c in competitors
        for p in prompts
        if (p.pk, c.pk) not in answered
    ]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")  # noqa: PLR2004
        raise TournamentInvalid(
            f"Every competitor needs an answer to every prompt; missing: {shown}."
        )
    try:
        state = bracket_start(
            format,
            [str(c.pk) for c in competitors],
            [str(p.pk) for p in prompts],
            seed,
            baseline=None if baseline is None else str(baseline.pk),
        )
    except ValueError as error:
        raise TournamentInvalid(f"{error}.") from None
    tournament = Tournament.objects.create(
        arena=arena, name=name, format=format, seed=seed, state=state
    )
    tournament.competitors.set(competitors)
    tournament.prompts.set(prompts)
    tournament.judges.set(judges)
    return tournament


@transaction.atomic
def tournament_advance(*, tournament_id: int, wait: bool = True) -> Tournament:
    """Record the votes the tournament's battles received since last time; the tournament.

    With ``wait=False`` (readers of the page) a tournament being advanced by someone else is
    returned as it stands instead of waiting for its lock.
    """
    rows = Tournament.objects.select_for_update(skip_locked=not wait).filter(pk=tournament_id)
    tournament = rows.first()
    if tournament is None:
        if wait or not Tournament.objects.filter(pk=tournament_id).exists():
            raise TournamentNotFound
        return Tournament.objects.get(pk=tournament_id)
    decided = (
        TournamentMatch.objects.filter(
            tournament=tournament, recorded=False, battle__vote__isnull=False
        )
        .order_by("battle__vote__id")
        .values_list("id", "match_id", "battle__vote__outcome")
    )
    outcomes: dict[str, int] = {}
    recorded = []
    for pk, match_id, outcome in decided:
        if match_id in tournament.state["results"] or match_id in outcomes:
            continue  # an earlier battle of this match decided it
        outcomes[match_id] = outcome
        recorded.append(pk)
    state = bracket_record_many(tournament.state, outcomes)
    if recorded:
        TournamentMatch.objects.filter(pk__in=recorded).update(recorded=True)
        tournament.state = state
        if bracket_done(state):
            tournament.finished_at = timezone.now()
        tournament.save(update_fields=["state", "finished_at"])
    return tournament


@transaction.atomic
def tournament_battles_serve(
    *, tournament_id: int, judge: Judge, count: int, now: datetime | None = None
) -> list[Battle]:
    """Up to ``count`` of the matches playable now that no open battle serves, as battles for
    ``judge`` (one of the tournament's judges; anyone else gets TournamentNotFound)."""
    if not Tournament.judges.through.objects.filter(
        tournament_id=tournament_id, judge_id=judge.pk
    ).exists():
        raise TournamentNotFound
    tournament = tournament_advance(tournament_id=tournament_id)
    now = now or timezone.now()
    open_matches = set(
        TournamentMatch.objects.filter(
            tournament=tournament, recorded=False, battle__vote__isnull=True
        )
        .filter(battle__expires_at__gt=now)
        .values_list("match_id", flat=True)
    )
    todo = [m for m in bracket_pending(tournament.state) if m.id not in open_matches][:count]
    if not todo:
        return []
    answered = arena_selectors.completion_ids_for(
        competitor_ids={int(c) for m in todo for c in (m.a, m.b)},
        prompt_ids={int(m.prompt) for m in todo},
    )
    matchups = [
        (
            int(m.prompt),
            int(m.a),
            int(m.b),
            answered[(int(m.prompt), int(m.a))],
            answered[(int(m.prompt), int(m.b))],
        )
        for m in todo
    ]
    battles = battles_serve_matchups(
        arena=tournament.arena, voter=Voter(judge=judge), matchups=matchups, now=now
    )
    TournamentMatch.objects.bulk_create(
        [
            TournamentMatch(
                tournament=tournament, match_id=m.id, round=_round_of(m.id), battle=battle
            )
            for m, battle in zip(todo, battles, strict=True)
        ]
    )
    return battles


def _round_of(match_id: str) -> int:
    return int(match_id.split("/")[2])


# --- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchRow:
    prompt: int
    round: int
    a: str
    b: str
    outcome: str | None  # A, B, TIE, BOTH_BAD; None while pending
    winner: str | None


@dataclass(frozen=True, slots=True)
class Standing:
    name: str
    rating: float | None  # None until the matches connect every competitor
    wins: float
    matches: int


@dataclass(frozen=True, slots=True)
class TournamentView:
    tournament: Tournament
    n_recorded: int
    n_pending: int
    done: bool
    matches: list[MatchRow]
    standings: list[Standing]


def tournament_view(tournament: Tournament) -> TournamentView:
    """The bracket as it stands: every match, and a Bradley–Terry ranking of the recorded ones."""
    state = tournament.state
    names = arena_selectors.competitor_names_by_id([int(c) for c in state["competitors"]])
    label = {c: names.get(int(c), c) for c in state["competitors"]}
    played = bracket_matches(state)
    pending = bracket_pending(state)
    rows = [_match_row(m, label, outcome) for m, outcome in played]
    rows += [_match_row(m, label, None) for m in pending]
    rows.sort(key=lambda r: (r.prompt, r.round))
    return TournamentView(
        tournament=tournament,
        n_recorded=len(played),
        n_pending=len(pending),
        done=not pending,
        matches=rows,
        standings=_standings(state, label) if played else [],
    )


def tournament_get(*, arena: Arena, tournament_id: int) -> Tournament:
    tournament = Tournament.objects.filter(arena=arena, pk=tournament_id).first()
    if tournament is None:
        raise TournamentNotFound
    return tournament


def tournament_list(arena: Arena) -> list[Tournament]:
    return list(Tournament.objects.filter(arena=arena).order_by("-id"))


def _match_row(match: Any, label: dict[str, str], outcome: int | None) -> MatchRow:
    winner = None
    if outcome == Outcome.A:
        winner = label[match.a]
    elif outcome == Outcome.B:
        winner = label[match.b]
    return MatchRow(
        prompt=int(match.prompt),
        round=_round_of(match.id),
        a=label[match.a],
        b=label[match.b],
        outcome=None if outcome is None else Outcome(outcome).name,
        winner=winner,
    )


def _standings(state: dict[str, Any], label: dict[str, str]) -> list[Standing]:
    comparisons = bracket_comparisons(state)
    try:
        scores: list[float | None] = [float(x) for x in bradley_terry(comparisons).scores]
    except DisconnectedComparisonsError:  # early rounds: not yet one scale
        scores = [None] * len(comparisons.names)
    points = comparisons.score_a()
    wins = dict.fromkeys(comparisons.names, 0.0)
    games = dict.fromkeys(comparisons.names, 0)
    for a, b, s in zip(comparisons.a, comparisons.b, points, strict=True):
        wins[comparisons.names[a]] += float(s)
        wins[comparisons.names[b]] += 1.0 - float(s)
        games[comparisons.names[a]] += 1
        games[comparisons.names[b]] += 1
    rows = [
        Standing(label[n], None if s is None else 1000 + ELO_PER_LOG_UNIT * s, wins[n], games[n])
        for n, s in zip(comparisons.names, scores, strict=True)
    ]
    return sorted(rows, key=lambda r: (-(r.rating or 0.0), -r.wins, r.name))
