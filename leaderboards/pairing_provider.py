"""Adaptive pairing for the battle service: the policies of
``ratings.core.pairing.policies`` over the newest Bradley–Terry run of the arena's ``all`` board.

Registered with ``arena.pairing`` when the app loads. No fit runs per request: a served battle
reads the published run (one query) and the votes per pair the battle service counted anyway.
The covariance is the diagonal of the run's intervals (the stored result keeps no full
matrix); a competitor the run has not seen yet counts as average and very uncertain, so the
uncertainty-seeking policies bring it in quickly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from arena import selectors as arena_selectors
from arena.models import Arena
from leaderboards.models import RatingRun
from ratings.core.pairing.policies import POLICY, PairingState, pairs_of
from ratings.core.pairing.prompts import prompt_probabilities

BOARD = "all"
METHOD = "bt"
#: The standard deviation (log-strength) given to a competitor no run has rated yet.
UNRATED_SD = 2.0
_Z95 = 1.959963984540054


def pair_probabilities(
    arena: Arena,
    policy: str,
    competitors: Sequence[int],
    counts: Mapping[tuple[int, int], int],
) -> np.ndarray:
    """Each pair's probability under ``policy``: a symmetric matrix over ``competitors``
    (sorted ids), zero on the diagonal."""
    ids = list(competitors)
    n = len(ids)
    matrix = np.zeros((n, n))
    if n < 2:  # noqa: PLR2004
        return matrix
    state = pairing_state(arena, ids, counts)
    first, second = pairs_of(n)
    matrix[first, second] = matrix[second, first] = POLICY[policy](state)
    return matrix


def pairing_state(
    arena: Arena, ids: Sequence[int], counts: Mapping[tuple[int, int], int]
) -> PairingState:
    """The policy's view of ``ids`` (sorted): newest ratings, their variances, votes per pair."""
    n = len(ids)
    votes = np.zeros((n, n))
    position = {c: k for k, c in enumerate(ids)}
    for (a, b), count in counts.items():
        if a in position and b in position:
            votes[position[a], position[b]] = votes[position[b], position[a]] = count
    run = _run_newest(arena)
    if run is None or not run.result:
        return PairingState(scores=np.zeros(n), covariance=None, pair_votes=votes)
    names = arena_selectors.competitor_names_by_id(ids)
    scores, variances = _scores_of(run.result, [names.get(c, "") for c in ids])
    return PairingState(scores=scores, covariance=np.diag(variances), pair_votes=votes)


def _run_newest(arena: Arena) -> RatingRun | None:
    return (
        RatingRun.objects.filter(
            leaderboard__arena=arena, leaderboard__slug=BOARD, method=METHOD, status="done"
        )
        .order_by("-watermark", "-id")
        .only("result")
        .first()
    )


def _scores_of(result: dict[str, Any], names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Log-strengths and their variances from a run's display-scale ratings and intervals."""
    params = result.get("params", {})
    per_point = math.log(float(params.get("base", 10.0))) / float(params.get("scale", 400.0))
    rows = {row["name"]: row for row in result.get("competitors", [])}
    scores, variances = np.zeros(len(names)), np.full(len(names), UNRATED_SD**2)
    for k, name in enumerate(names):
        row = rows.get(name)
        if row is None:
            continue
        scores[k] = float(row["rating"]) * per_point
        if row.get("ci_low") is not None and row.get("ci_high") is not None:
            sd = (float(row["ci_high"]) - float(row["ci_low"])) / (2 * _Z95) * per_point
            variances[k] = max(sd * sd, 1e-12)
    scores -= scores.mean()
    return scores, variances


def prompt_probabilities_of(
    dissimilarity: Sequence[float], undecided: Sequence[float], votes: Sequence[float]
) -> list[float]:
    """``ratings.core.pairing.prompts.prompt_probabilities`` in the arena's terms."""
    out: list[float] = prompt_probabilities(
        np.asarray(dissimilarity, dtype=np.float64),
        np.asarray(undecided, dtype=np.float64),
        np.asarray(votes, dtype=np.float64),
    ).tolist()
    return out


def register() -> None:
    from arena import pairing

    pairing.provider_register(pair_probabilities)
    pairing.prompt_provider_register(prompt_probabilities_of)
