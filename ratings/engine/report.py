"""The output shape shared by every rating method of the command-line tool and the API.

``{"method", "params", "n_votes", "competitors": [{"name", "rating", "ci_low", "ci_high",
"rank", "rank_upper", "n_votes"}, …]}``, competitors sorted by rating, best first.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import LinAlgWarning

from ratings.core.judges import JudgedVotes, JudgeReport, judge_report


def competitor_rows(
    names: Sequence[str],
    ratings: NDArray[np.float64],
    *,
    ci_low: NDArray[np.float64] | None = None,
    ci_high: NDArray[np.float64] | None = None,
    n_votes: NDArray[np.float64] | Sequence[float] | None = None,
    tiebreak: NDArray[np.float64] | None = None,
) -> list[dict[str, Any]]:
    """One row per competitor, best first.

    ``rank`` is the position by rating (ties in rating broken by ``tiebreak``, larger first, then
    by name). ``rank_upper`` is LMArena's "rank upper bound": 1 + the number of competitors whose
    interval lies wholly above this one's; without intervals it equals ``rank``.
    """
    n = len(names)
    key = np.zeros(n) if tiebreak is None else np.asarray(tiebreak, dtype=float)
    order = sorted(range(n), key=lambda i: (-float(ratings[i]), -float(key[i]), names[i]))
    rows: list[dict[str, Any]] = []
    for position, i in enumerate(order, start=1):
        low = None if ci_low is None else float(ci_low[i])
        high = None if ci_high is None else float(ci_high[i])
        if ci_low is not None and ci_high is not None:
            rank_upper = 1 + int(np.sum(np.asarray(ci_low) > ci_high[i]))
        else:
            rank_upper = position
        rows.append(
            {
                "name": names[i],
                "rating": float(ratings[i]),
                "ci_low": low,
                "ci_high": high,
                "rank": position,
                "rank_upper": rank_upper,
                "n_votes": None if n_votes is None else round(float(n_votes[i])),
            }
        )
    return rows


def rating_report(
    method: str,
    params: Mapping[str, Any],
    n_votes: int,
    competitors: list[dict[str, Any]],
    **extra: Any,
) -> dict[str, Any]:
    """The whole output object of one rating method."""
    return {
        "method": method,
        "params": dict(params),
        "n_votes": n_votes,
        "competitors": competitors,
        **extra,
    }


def votes_per_competitor(
    n_items: int,
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    weight: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """How many (weighted) votes each competitor took part in."""
    w = np.ones(a.shape[0]) if weight is None else weight
    counts = np.bincount(a, weights=w, minlength=n_items) + np.bincount(
        b, weights=w, minlength=n_items
    )
    return np.asarray(counts, dtype=np.float64)


def outcome_rates(
    n_items: int,
    a: NDArray[np.intp],
    b: NDArray[np.intp],
    outcome: NDArray[np.int8],
    weight: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each competitor's share of its votes that were ties, and that were both-bad (kept apart).

    NaN for a competitor without votes. Outcome codes are those of ``ratings.core.Outcome``
    (3 tie, 4 both bad).
    """
    w = np.ones(a.shape[0]) if weight is None else weight
    total = votes_per_competitor(n_items, a, b, w)
    rates = []
    for code in (3, 4):
        hit = w * (outcome == code)
        count = np.bincount(a, weights=hit, minlength=n_items) + np.bincount(
            b, weights=hit, minlength=n_items
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            rates.append(np.where(total > 0, count / np.where(total > 0, total, 1.0), np.nan))
    return rates[0], rates[1]


def judge_report_json(report: JudgeReport) -> dict[str, Any]:
    """The report as the command prints it: shares as fractions, their counts beside them."""
    return {
        "judges": [
            {
                "name": j.name,
                "n_votes": j.n_votes,
                "position_consistency": j.position_consistency.value,
                "n_twins": j.position_consistency.n,
                "first_position_win_share": j.first_position_win_share.value,
                "n_decisive": j.first_position_win_share.n,
                "transitivity_violation_share": j.transitivity_violation_share.value,
                "n_triads": j.transitivity_violation_share.n,
                "length_coefficient": j.length_coefficient,
                "notes": j.notes,
            }
            for j in report.judges
        ],
        "agreement": [
            {"a": g.a, "b": g.b, "n_shared": g.n_shared, "agreement": g.agreement, "kappa": g.kappa}
            for g in report.agreement
        ],
    }


def judge_report_of(votes: JudgedVotes) -> dict[str, Any]:
    """The judge report of these votes as the command, the page and the API show it.

    Judges with few votes give ill-conditioned style fits; their length coefficient is then
    None with a note, so scipy's warnings about them are not repeated on the console.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinAlgWarning)
        return judge_report_json(judge_report(votes))
