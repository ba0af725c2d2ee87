"""The flagging job: voters improbable under the arena's Bradley–Terry model, and bursts.

Writes go through ``arena.services.voter_flags``; the numbers come from ``ratings.core.voters``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone

from arena import selectors as arena_selectors
from arena.models import Arena, Competitor, VoterFlag
from arena.services.voter_flags import voter_flags_replace
from ratings.core.types import Comparisons, Outcome
from ratings.core.voters import VoterSurprise, vote_bursts, voter_surprise


@dataclass(frozen=True, slots=True)
class FlagConfig:
    """The operator's thresholds (settings ARENA_SUSPICION_* and ARENA_BURST_*)."""

    alpha: float
    min_votes: int
    burst_window_seconds: float
    burst_min_votes: int

    @classmethod
    def from_settings(cls) -> FlagConfig:
        return cls(
            alpha=settings.ARENA_SUSPICION_FALSE_POSITIVE_RATE,
            min_votes=settings.ARENA_SUSPICION_MIN_VOTES,
            burst_window_seconds=float(settings.ARENA_BURST_WINDOW_SECONDS),
            burst_min_votes=settings.ARENA_BURST_MIN_VOTES,
        )


def _voter_key(row: arena_selectors.FlaggingRow) -> tuple[str, Any] | None:
    """Who cast a vote: a user, else a browser session, else an imported voter id."""
    if row.user_id is not None:
        return ("user", row.user_id)
    if row.session_key:
        return ("session", row.session_key)
    if row.external_voter:
        return ("external", row.external_voter)
    return None


def _flag(arena: Arena, kind: str, key: tuple[str, Any], **fields: Any) -> VoterFlag:
    who = {"user": "user_id", "session": "session_key", "external": "external_voter"}
    column = who.get(key[0], "client_ip")
    return VoterFlag(arena=arena, kind=kind, **{column: key[1]}, **fields)


def voter_flags_update(*, arena_id: int, config: FlagConfig | None = None) -> int:
    """Score the arena's crowd voters and replace its flags; returns how many flags.

    Idempotent: the same votes give the same flags. Leaderboards that exclude flagged voters
    see the new flags through their run parameters (``voter_flags_version``).
    """
    config = config or FlagConfig.from_settings()
    arena = Arena.objects.get(pk=arena_id)
    rows = [r for r in arena_selectors.crowd_votes_for_flagging(arena) if _voter_key(r)]
    now = timezone.now()
    flags = _surprise_flags(arena, rows, config, now) + _burst_flags(arena, rows, config, now)
    return voter_flags_replace(arena=arena, flags=flags)


def voter_flags_update_all() -> dict[int, int]:
    """Run :func:`voter_flags_update` for every arena; flags per arena id."""
    return {
        arena_id: voter_flags_update(arena_id=arena_id)
        for arena_id in Arena.objects.values_list("id", flat=True)
    }


def _surprise_flags(
    arena: Arena, rows: list[arena_selectors.FlaggingRow], config: FlagConfig, now: datetime
) -> list[VoterFlag]:
    if not rows:
        return []
    competitors = sorted({r.competitor_a_id for r in rows} | {r.competitor_b_id for r in rows})
    keys = [_voter_key(r) for r in rows]
    voters = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    comparisons = Comparisons.from_labels(
        [str(r.competitor_a_id) for r in rows],
        [str(r.competitor_b_id) for r in rows],
        [r.outcome for r in rows],
        names=[str(c) for c in competitors],  # ids in numeric order, not the strings' order
    )
    voter = np.array([voters[k] for k in keys], dtype=np.intp)
    result = voter_surprise(comparisons, voter, alpha=config.alpha, min_votes=config.min_votes)
    names = dict(Competitor.objects.filter(pk__in=competitors).values_list("id", "name"))
    flags = []
    for key, v in voters.items():
        if not result.flagged[v]:
            continue
        chosen = Counter(
            r.competitor_a_id if r.outcome == Outcome.A else r.competitor_b_id
            for r, k in zip(rows, keys, strict=True)
            if k == key and r.outcome in (Outcome.A, Outcome.B)
        )
        favoured, times = chosen.most_common(1)[0]
        flags.append(
            _flag(
                arena,
                VoterFlag.Kind.SURPRISE,
                key,  # type: ignore[arg-type]
                n_votes=int(result.n_votes[v]),
                score=float(result.z[v]),
                p_value=float(result.p_value[v]),
                favoured_id=favoured,
                reason=_surprise_reason(result, v, names[favoured], times),
                created_at=now,
            )
        )
    return flags


def _surprise_reason(result: VoterSurprise, v: int, favoured: str, times: int) -> str:
    n = int(result.n_votes[v])
    return (
        f"{n} decisive votes with log-likelihood {result.log_likelihood[v]:.1f} under the "
        f"Bradley–Terry ratings fitted to the other voters, where an honest voter scores "
        f"{result.expected[v]:.1f} ± {np.sqrt(result.variance[v]):.1f}: z = {result.z[v]:.1f}, "
        f"p = {result.p_value[v]:.1e} (below the false-positive rate {result.alpha:g}). "
        f"Chose {favoured} in {times} of {n} votes."
    )


def _burst_flags(
    arena: Arena, rows: list[arena_selectors.FlaggingRow], config: FlagConfig, now: datetime
) -> list[VoterFlag]:
    """Bursts per voter and per address: many votes for one competitor within the window."""
    if not rows:
        return []
    chosen = np.array(
        [
            r.competitor_a_id
            if r.outcome == Outcome.A
            else r.competitor_b_id
            if r.outcome == Outcome.B
            else -1
            for r in rows
        ],
        dtype=np.intp,
    )
    t = np.array([r.created_at.timestamp() for r in rows])
    flags = []
    names = dict(Competitor.objects.values_list("id", "name"))
    for label, keys in (
        ("voter", [_voter_key(r) for r in rows]),
        ("address", [("address", r.client_ip) if r.client_ip else None for r in rows]),
    ):
        numbered = {k: i for i, k in enumerate(dict.fromkeys(k for k in keys if k))}
        present = np.array([k is not None for k in keys])
        group = np.array([-1 if k is None else numbered[k] for k in keys], dtype=np.intp)
        by_number = dict(enumerate(numbered))
        for burst in vote_bursts(
            group[present],
            chosen[present],
            t[present],
            window=config.burst_window_seconds,
            min_votes=config.burst_min_votes,
        ):
            key = by_number[burst.group]
            minutes = (burst.end - burst.start) / 60
            reason = (
                f"{burst.count} votes for {names.get(burst.favoured, burst.favoured)} from one "
                f"{label} within {minutes:.0f} minutes (the limit is {config.burst_min_votes} "
                f"in {config.burst_window_seconds / 60:.0f} minutes)."
            )
            flags.append(
                _flag(
                    arena,
                    VoterFlag.Kind.BURST,
                    key,
                    n_votes=burst.count,
                    score=float(burst.count),
                    p_value=None,
                    favoured_id=burst.favoured,
                    reason=reason,
                    created_at=now,
                )
            )
    return flags
