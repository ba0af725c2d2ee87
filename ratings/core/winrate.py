"""Win rates: predicted from ratings, and observed against a baseline."""

from __future__ import annotations

import math

import numpy as np

from ratings.core.types import BaselineWinRates, Comparisons, FloatArray, WinRates


def predicted_win_rates(
    names: tuple[str, ...], ratings: FloatArray, *, base: float = 10.0, scale: float = 400.0
) -> WinRates:
    """The predicted probability that each competitor beats each other one.

    ``P(i beats j) = 1 / (1 + base ** ((r_j - r_i) / scale))``; on the default Elo scale this
    is the Bradley–Terry probability of log strengths ``r * ln(base) / scale``.

    Parameters
    ----------
    names : tuple of str
        Competitor names.
    ratings : array of float
        Ratings on the display scale.
    base, scale : float, default 10 and 400
        The display scale: a lead of ``scale`` points means odds of ``base`` to 1.

    Returns
    -------
    WinRates
        ``matrix[i, j]``; the diagonal is ½ and ``matrix + matrix.T`` is 1.

    Raises
    ------
    ValueError
        If ``ratings`` does not have one entry per name, or ``base`` ≤ 1.

    References
    ----------
    R. A. Bradley and M. E. Terry, Biometrika 39 (1952), doi:10.2307/2334029.
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132.
    """
    r = np.asarray(ratings, dtype=np.float64)
    if r.shape != (len(names),) or not base > 1.0:
        raise ValueError("need one rating per name and base > 1")
    lead = (r[:, None] - r[None, :]) * (math.log(base) / scale)
    return WinRates(names=names, matrix=0.5 * (1.0 + np.tanh(lead / 2.0)))


def win_rate_vs(
    comparisons: Comparisons,
    ratings: FloatArray,
    baseline: int | str,
    *,
    base: float = 10.0,
    scale: float = 400.0,
) -> BaselineWinRates:
    """Each competitor's win rate against one baseline: predicted, and observed head to head.

    Parameters
    ----------
    comparisons : Comparisons
        The verdicts (for the observed rates; ties count ½, weights repeat a verdict).
    ratings : array of float
        Ratings on the display scale, in the order of ``comparisons.names``.
    baseline : int or str
        The baseline competitor, by index or name.
    base, scale : float, default 10 and 400
        The display scale of ``ratings``.

    Returns
    -------
    BaselineWinRates
        Probabilities from 0 to 1 (the baseline's own predicted rate is ½).

    Raises
    ------
    KeyError
        If ``baseline`` names no competitor.

    References
    ----------
    T. Li et al., "Arena-Hard and BenchBuilder", 2024, arXiv:2406.11939.
    """
    if isinstance(baseline, str):
        if baseline not in comparisons.names:
            raise KeyError(f"unknown competitor {baseline!r}")
        baseline = comparisons.names.index(baseline)
    matrix = predicted_win_rates(comparisons.names, ratings, base=base, scale=scale).matrix
    n, w, sa = comparisons.n_items, comparisons.total_weight, comparisons.score_a()
    as_a = (comparisons.b == baseline) & (comparisons.a != baseline)
    as_b = (comparisons.a == baseline) & (comparisons.b != baseline)
    games = np.bincount(comparisons.a[as_a], w[as_a], n) + np.bincount(
        comparisons.b[as_b], w[as_b], n
    )
    won = np.bincount(comparisons.a[as_a], (w * sa)[as_a], n) + np.bincount(
        comparisons.b[as_b], (w * (1.0 - sa))[as_b], n
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.where(games > 0, won / games, np.nan)
    return BaselineWinRates(
        names=comparisons.names,
        baseline=comparisons.names[baseline],
        predicted=matrix[:, baseline].copy(),
        observed=observed,
        n_games=np.asarray(games, dtype=np.float64),
    )
