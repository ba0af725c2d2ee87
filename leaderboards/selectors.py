"""Votes read through arena.selectors, turned into the rating core's shapes; published runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from arena import selectors as arena_selectors
from arena.models import Arena
from arena.voters import Voter
from leaderboards.exceptions import LeaderboardNotFound
from leaderboards.models import Leaderboard, RatingRun
from ratings.core.judges import JudgedVotes
from ratings.core.pairing.policies import inverse_probability_weights
from ratings.core.types import Comparisons
from ratings.engine.votefile import STYLE_FEATURES


def comparisons_for_arena(arena: Arena, *, voter: Voter | None = None) -> Comparisons:
    """The arena's votes (or one voter's) over all of the arena's competitors, in vote order.

    ``arena.models.Outcome`` and ``ratings.core.Outcome`` share their values, so outcomes pass
    through unchanged.
    """
    names = arena_selectors.competitor_names_for_arena(arena)
    rows = arena_selectors.vote_outcomes_for_arena(arena, voter=voter)
    return Comparisons.from_labels(
        [r.competitor_a for r in rows],
        [r.competitor_b for r in rows],
        [r.outcome for r in rows],
        names=names,  # in the database's order by name, and with competitors yet unvoted
    )


def scope_of(leaderboard: Leaderboard) -> arena_selectors.VoteScope:
    return arena_selectors.VoteScope(
        category=leaderboard.category,
        language=leaderboard.language,
        source=leaderboard.source,
        voter_kind=leaderboard.voter_kind,
        judge_id=leaderboard.judge_id,
        since=leaderboard.date_from,
        until=leaderboard.date_to,
        condition=leaderboard.condition,
        without_held_back=True,
        exclude_identity_revealed=not leaderboard.include_identity_revealed,
        exclude_flagged_voters=leaderboard.exclude_flagged_voters,
    )


def comparisons_for_leaderboard(
    leaderboard: Leaderboard,
    watermark: int,
    *,
    prompt_axis: str = "prompt",
    inverse_probability: bool = False,
) -> Comparisons:
    """The leaderboard's votes up to ``watermark`` (by vote id), in vote order.

    ``prompt_axis`` is ``prompt`` (each prompt) or ``category``: the grouping the equilibrium
    methods play over. Style features are filled when every battle has both answers; soft
    labels (``p_b``, NaN where a vote has none) when any vote has one. With
    ``inverse_probability``, each vote weighs ``1/p`` (see :func:`vote_weights_from_probabilities`).
    """
    rows = arena_selectors.vote_rows_in_scope(leaderboard.arena, scope_of(leaderboard), watermark)
    keys = [str(r.prompt_id if prompt_axis == "prompt" else r.category) for r in rows]
    have_features = bool(rows) and all(
        v is not None for r in rows for v in (*r.style_a, *r.style_b)
    )
    features = np.array([(*r.style_a, *r.style_b) for r in rows], dtype=np.float64).reshape(-1, 8)
    return Comparisons.from_labels(
        [r.competitor_a for r in rows],
        [r.competitor_b for r in rows],
        [r.outcome for r in rows],
        weight=(
            vote_weights_from_probabilities([r.pair_probability for r in rows])
            if inverse_probability
            else None
        ),
        prompts=keys,
        features_a=features[:, :4] if have_features else None,
        features_b=features[:, 4:] if have_features else None,
        feature_names=STYLE_FEATURES if have_features else (),
        p_b=(
            [np.nan if r.p_b is None else r.p_b for r in rows]
            if any(r.p_b is not None for r in rows)
            else None
        ),
    )


def vote_weights_from_probabilities(probabilities: list[float | None]) -> np.ndarray:
    """Each vote's ``1/p`` (``core.pairing.inverse_probability_weights``), scaled to average
    1 over the votes that have ``p`` (the scale changes neither the fit nor its sandwich
    intervals). A vote without ``p`` (an import, a jury copy) weighs 1, as an average vote."""
    weights = np.ones(len(probabilities))
    known = np.array([p is not None for p in probabilities], dtype=bool)
    if known.any():
        given = np.array([p for p in probabilities if p is not None], dtype=np.float64)
        inverse = inverse_probability_weights(given, 2)  # two competitors: one pair, so 1/p
        weights[known] = inverse / inverse.mean()
    return weights


def leaderboard_get(arena: Arena, slug: str, method: str | None = None) -> Leaderboard:
    """An active leaderboard of the arena (publishing ``method``, if given); else 404."""
    board = Leaderboard.objects.filter(arena=arena, slug=slug, is_active=True).first()
    if board is None or (method is not None and method not in board.methods):
        what = f"{slug!r}" if method is None else f"{slug!r} with method {method!r}"
        raise LeaderboardNotFound(f"No leaderboard {what} in this arena.")
    return board


def leaderboard_list(arena: Arena) -> list[Leaderboard]:
    return list(Leaderboard.objects.filter(arena=arena, is_active=True).order_by("slug"))


def run_latest(leaderboard: Leaderboard, method: str) -> RatingRun | None:
    """The newest finished run of a method on a leaderboard."""
    return (
        RatingRun.objects.filter(leaderboard=leaderboard, method=method, status="done")
        .order_by("-watermark", "-id")
        .first()
    )


def overall_ranks(leaderboard: Leaderboard, method: str) -> dict[str, int] | None:
    """Each competitor's rank on the arena's overall (``all``) board by the same method, for a
    category board's "against overall" column; None for a board that is not a category's or
    when the overall board has no run of that method yet."""
    if not leaderboard.category:
        return None
    overall = Leaderboard.objects.filter(arena_id=leaderboard.arena_id, slug="all").first()
    run = run_latest(overall, method) if overall is not None else None
    if run is None or not run.result:
        return None
    return {row["name"]: int(row["rank"]) for row in run.result.get("competitors", [])}


def run_history(leaderboard: Leaderboard, method: str, limit: int = 50) -> list[RatingRun]:
    return list(
        RatingRun.objects.filter(leaderboard=leaderboard, method=method, status="done").order_by(
            "-watermark", "-id"
        )[:limit]
    )


def run_snapshot(run: RatingRun) -> dict[str, Any]:
    """A published run in the shape of ``python -m ratings rate`` plus where it stands."""
    result = dict(run.result or {})
    return result | {
        "arena": run.leaderboard.arena.slug,
        "leaderboard": run.leaderboard.slug,
        "watermark": run.watermark,
        "computed_at": run.finished_at.isoformat() if run.finished_at else None,
        "run_id": run.id,
    }


def judged_votes_for_arena(arena: Arena) -> JudgedVotes:
    """The arena's votes with their judges (the crowd as one) and answer lengths in tokens."""
    rows = arena_selectors.judged_vote_rows(arena)
    names = sorted({r.competitor_a for r in rows} | {r.competitor_b for r in rows})
    index = {name: i for i, name in enumerate(names)}
    judges = sorted({r.judge or "crowd" for r in rows})
    judge_index = {name: i for i, name in enumerate(judges)}
    a = np.array([index[r.competitor_a] for r in rows], dtype=np.intp)
    return JudgedVotes(
        names=tuple(names),
        judge_names=tuple(judges),
        judge=np.array([judge_index[r.judge or "crowd"] for r in rows], dtype=np.intp),
        prompt=np.array([r.prompt_id for r in rows], dtype=np.intp),
        a=a,
        b=np.array([index[r.competitor_b] for r in rows], dtype=np.intp),
        first=a.copy(),  # A is always the answer shown first
        outcome=np.array([r.outcome for r in rows], dtype=np.int8),
        length_a=np.array([r.tokens_a for r in rows], dtype=np.float64),
        length_b=np.array([r.tokens_b for r in rows], dtype=np.float64),
    )


def run_newest_published_at() -> datetime | None:
    """When the newest published (done) run finished, over every leaderboard; None before any."""
    return (
        RatingRun.objects.filter(status=RatingRun.Status.DONE, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
