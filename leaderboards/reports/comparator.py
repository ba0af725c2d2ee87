"""The comparator: two competitors of an arena side by side, for the page and the API."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache

from arena import selectors as arena_selectors
from arena.models import Arena, Competitor
from leaderboards.exceptions import SameCompetitor
from ratings.core.headtohead import (
    crowd_judge_disagreements,
    head_to_head,
    head_to_head_by,
    outcome_by_length_difference,
)
from ratings.core.textsim import text_similarity

EXCERPT = 300
MAX_RATIONALES = 50


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


@dataclass(frozen=True, slots=True)
class CompareBounds:
    """How much work one comparator request may do: the answers' similarity (word 3-grams)
    reads each answer's first ``max_chars`` characters on the ``max_prompts`` newest prompts
    both answered. The page says so. The result is cached for ``cache_seconds`` at most, and
    only while no vote between the two and no answer of theirs is newer than it."""

    max_chars: int = 4000
    max_prompts: int = 300
    cache_seconds: int = 600

    @classmethod
    def from_settings(cls) -> CompareBounds:
        """The bounds the operator set (``ARENA_COMPARE_*``), read at call time."""
        return cls(
            max_chars=settings.ARENA_COMPARE_MAX_CHARS,
            max_prompts=settings.ARENA_COMPARE_MAX_PROMPTS,
            cache_seconds=settings.ARENA_COMPARE_CACHE_SECONDS,
        )


def comparison(
    arena: Arena,
    x_name: str,
    y_name: str,
    *,
    q: str = "",
    top: int = 10,
    bounds: CompareBounds | None = None,
) -> dict[str, Any]:
    """Head-to-head (overall, by category, by judge), differing prompts, disagreements, rationales.

    Computed once per pair watermark (newest vote between the two, newest answer of either)
    and served from the cache after that. Raises CompetitorNotFound (404) for a name not in the
    arena, SameCompetitor (404) for X = Y.
    """
    bounds = bounds or CompareBounds()
    x = arena_selectors.arena_competitor(arena, x_name)
    y = arena_selectors.arena_competitor(arena, y_name)
    if x.pk == y.pk:
        raise SameCompetitor
    votes_top, answers_top = arena_selectors.pair_watermark(arena, x, y)
    needle = hashlib.sha256(q.encode("utf-8", "replace")).hexdigest()[:16]
    key = (
        f"compare:v1:{arena.pk}:{x.pk}:{y.pk}:{votes_top}:{answers_top}:"
        f"{bounds.max_chars}:{bounds.max_prompts}:{top}:{needle}"
    )
    found: dict[str, Any] | None = cache.get(key)
    if found is None:
        found = _comparison(arena, x, y, q=q, top=top, bounds=bounds)
        cache.set(key, found, bounds.cache_seconds)
    return found


def _comparison(
    arena: Arena, x: Competitor, y: Competitor, *, q: str, top: int, bounds: CompareBounds
) -> dict[str, Any]:
    votes = arena_selectors.match_votes(arena, x, y)
    outcome = np.array([v.outcome for v in votes], dtype=np.int8)
    verdict = {1: f"{x.name} wins", 2: f"{y.name} wins", 3: "tie", 4: "both bad"}
    answers = arena_selectors.answers_side_by_side(
        arena, x, y, max_prompts=bounds.max_prompts, max_chars=bounds.max_chars
    )
    differing = sorted(
        ((text_similarity(ax, ay), pid, prompt, ax, ay) for pid, prompt, ax, ay in answers.rows),
        key=lambda row: (row[0], row[1]),
    )[:top]
    prompts = {v.prompt_id: v.prompt for v in votes}
    split = crowd_judge_disagreements(
        [v.prompt_id for v in votes], [v.judge == "crowd" for v in votes], outcome.tolist()
    )
    centres, means, counts = outcome_by_length_difference(
        np.array([v.tokens_x - v.tokens_y for v in votes], dtype=np.float64), outcome
    )
    needle = q.strip().lower()
    explained = [v for v in votes if v.rationale or v.reason]
    if needle:
        explained = [v for v in explained if needle in (v.rationale + " " + v.reason).lower()]
    return {
        "arena": arena.slug,
        "x": x.name,
        "y": y.name,
        "overall": asdict(head_to_head(outcome)),
        "by_category": {
            k: asdict(h)
            for k, h in head_to_head_by([v.category or "(none)" for v in votes], outcome).items()
        },
        "by_judge": {
            k: asdict(h) for k, h in head_to_head_by([v.judge for v in votes], outcome).items()
        },
        "similarity_bounds": {
            "answer_chars": bounds.max_chars,
            "prompts": len(answers.rows),
            "capped": answers.capped,
        },
        "differing_prompts": [
            {
                "prompt": _excerpt(prompt),
                "similarity": sim,
                "x_answer": _excerpt(ax),
                "y_answer": _excerpt(ay),
            }
            for sim, _, prompt, ax, ay in differing
        ],
        "crowd_judge_disagreements": [
            {"prompt": _excerpt(prompts[key]), "crowd": verdict[c], "judges": verdict[j]}
            for key, c, j in split
        ],
        "length": {
            "token_difference": centres.tolist(),
            "x_score": means.tolist(),
            "n_votes": counts.tolist(),
        },
        "cheaper_chosen": _cheaper_chosen(votes),
        "query": q,
        "rationales": [
            {
                "battle": v.battle,
                "judge": v.judge,
                "verdict": verdict[v.outcome],
                "prompt": _excerpt(v.prompt),
                "text": v.rationale or v.reason,
            }
            for v in explained[:MAX_RATIONALES]
        ],
    }


def _cheaper_chosen(votes: list[Any]) -> dict[str, dict[str, Any]]:
    """Per condition, how often the crowd picked the cheaper answer of a decisive vote.

    Only crowd votes whose two answers carry a comparable cost that differs count; the cost is
    energy when both have it, else output tokens, else latency.
    """
    out = {}
    for condition in ("blind", "informed"):
        counted = cheaper = 0
        for v in votes:
            if v.condition != condition or v.judge != "crowd" or v.outcome not in (1, 2):
                continue
            if v.cost_x is None or v.cost_y is None or v.cost_x == v.cost_y:
                continue
            counted += 1
            cheaper += (v.outcome == 1) == (v.cost_x < v.cost_y)
        out[condition] = {"n": counted, "share": cheaper / counted if counted else None}
    return out
