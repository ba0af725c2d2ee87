"""Votes read through arena.selectors, turned into the rating core's shapes; published runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from django.db import DEFAULT_DB_ALIAS
from numpy.typing import NDArray

from arena import selectors as arena_selectors
from arena.models import Arena
from arena.voters import Voter
from leaderboards.exceptions import LeaderboardNotFound
from leaderboards.models import Leaderboard, RatingRun
from ratings.core.judges import JudgedVotes
from ratings.core.pairing.policies import inverse_probability_weights
from ratings.core.types import Comparisons, IntArray
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
    with_features: bool = True,
    using: str = DEFAULT_DB_ALIAS,
) -> Comparisons:
    """The leaderboard's votes up to ``watermark`` (by vote id), in vote order.

    ``prompt_axis`` is ``prompt`` (each prompt) or ``category``: the grouping the equilibrium
    methods play over, numbered in the order first met. Style features are filled when every
    battle has both answers (and ``with_features``: only style control reads them); soft labels
    (``p_b``, NaN where a vote has none) when any vote has one. With ``inverse_probability``,
    each vote weighs ``1/p`` (see :func:`vote_weights_from_probabilities`). Competitors are
    numbered by name, as ``Comparisons.from_labels`` does. The votes are read as numpy columns
    (``arena.selectors.vote_columns_in_scope``), never as rows, from the database ``using``
    names (the replica's alias, for a job, when one is configured), names and categories too.
    """
    cols = arena_selectors.vote_columns_in_scope(
        leaderboard.arena,
        scope_of(leaderboard),
        watermark,
        with_features=with_features,
        using=using,
    )
    names, a, b = _competitors_by_name(cols.competitor_a, cols.competitor_b, using=using)
    prompt, prompt_names = _groups_first_seen(cols.prompt_id, prompt_axis, using=using)
    features = cols.features
    have_features = features is not None and len(a) > 0 and not np.isnan(features).any()
    return Comparisons(
        names=names,
        a=a,
        b=b,
        outcome=cols.outcome,
        weight=(
            vote_weights_from_probabilities(cols.pair_probability)
            if inverse_probability
            else np.ones(len(a))
        ),
        prompt=prompt,
        prompt_names=prompt_names,
        features_a=features[:, :4] if have_features and features is not None else None,
        features_b=features[:, 4:] if have_features and features is not None else None,
        feature_names=STYLE_FEATURES if have_features else (),
        p_b=cols.p_b if bool(np.any(~np.isnan(cols.p_b))) else None,
    )


def counted_comparisons_for_leaderboard(
    leaderboard: Leaderboard,
    watermark: int,
    *,
    prompt_axis: str | None = None,
    inverse_probability: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> Comparisons:
    """:func:`comparisons_for_leaderboard` for the methods that take counted rows
    (``ratings.engine`` ``Method.counted``): the votes merged by a ``GROUP BY`` on what those
    methods read (pair, outcome, soft label; the prompt when ``prompt_axis`` is given; the
    pair's draw probability with ``inverse_probability``), each row with its count of votes.

    The same competitors, prompt keys (numbered by their first vote), weights and soft labels
    as the votes one by one, without style features, which no counting method reads.
    """
    counts = arena_selectors.vote_counts_in_scope(
        leaderboard.arena,
        scope_of(leaderboard),
        watermark,
        with_prompt=prompt_axis is not None,
        with_pair_probability=inverse_probability,
        using=using,
    )
    names, a, b = _competitors_by_name(counts.competitor_a, counts.competitor_b, using=using)
    prompt, prompt_names = (
        _groups_first_seen(counts.prompt_id, prompt_axis, using=using)
        if prompt_axis is not None
        else (None, ())
    )
    return Comparisons(
        names=names,
        a=a,
        b=b,
        outcome=counts.outcome,
        weight=(
            vote_weights_from_probabilities(counts.pair_probability, counts.count)
            if inverse_probability
            else np.ones(len(a))
        ),
        prompt=prompt,
        prompt_names=prompt_names,
        p_b=counts.p_b if bool(np.any(~np.isnan(counts.p_b))) else None,
        count=counts.count,
    )


def _competitors_by_name(
    ids_a: NDArray[np.int64], ids_b: NDArray[np.int64], *, using: str
) -> tuple[tuple[str, ...], IntArray, IntArray]:
    """The competitors met, sorted by name, and each side's position among them."""
    ids = np.unique(np.concatenate([ids_a, ids_b]))
    by_id = arena_selectors.competitor_names_by_id(ids.tolist(), using=using)
    names = sorted(by_id[int(i)] for i in ids)
    position = {name: k for k, name in enumerate(names)}
    rank = np.array([position[by_id[int(i)]] for i in ids], dtype=np.intp)
    a = rank[np.searchsorted(ids, ids_a)] if len(ids_a) else np.empty(0, dtype=np.intp)
    b = rank[np.searchsorted(ids, ids_b)] if len(ids_b) else np.empty(0, dtype=np.intp)
    return tuple(names), a.astype(np.intp), b.astype(np.intp)


def _groups_first_seen(
    prompt_ids: NDArray[np.int64], axis: str, *, using: str
) -> tuple[IntArray, tuple[str, ...]]:
    """Each vote's prompt (or category) numbered in the order first met, and the keys' names."""
    prompts, first, inverse = np.unique(prompt_ids, return_index=True, return_inverse=True)
    if axis == "prompt":
        keys = [str(p) for p in prompts.tolist()]
    else:
        categories = arena_selectors.prompt_categories(prompts.tolist(), using=using)
        keys = [categories[p] for p in prompts.tolist()]
    # a key's first vote: the earliest first vote of its prompts
    key_names, key_of_prompt = np.unique(np.array(keys, dtype=object), return_inverse=True)
    key_first = np.full(len(key_names), len(prompt_ids), dtype=np.int64)
    np.minimum.at(key_first, key_of_prompt, first)
    order = np.argsort(key_first, kind="stable")
    number = np.empty(len(key_names), dtype=np.intp)
    number[order] = np.arange(len(key_names))
    group = number[key_of_prompt][inverse] if len(prompt_ids) else np.empty(0, dtype=np.intp)
    return group.astype(np.intp), tuple(str(key_names[k]) for k in order)


def vote_weights_from_probabilities(
    probabilities: Sequence[float | None] | NDArray[np.float64],
    counts: NDArray[np.float64] | None = None,
) -> np.ndarray:
    """Each vote's ``1/p`` (``core.pairing.inverse_probability_weights``), scaled to average
    1 over the votes that have ``p`` (the scale changes neither the fit nor its sandwich
    intervals). A vote without ``p`` (NaN: an import, a jury copy) weighs 1, as an average vote.
    With ``counts``, entry ``t`` stands for ``counts[t]`` votes of the same ``p``: the average
    is over the votes."""
    given = np.array(probabilities, dtype=np.float64).reshape(-1)  # None becomes NaN
    weights = np.ones(len(given))
    known = ~np.isnan(given)
    if known.any():
        inverse = inverse_probability_weights(given[known], 2)  # one pair, so 1/p
        mean = inverse.mean() if counts is None else np.average(inverse, weights=counts[known])
        weights[known] = inverse / mean
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
