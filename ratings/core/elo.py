"""Online Elo ratings: one pass over the verdicts, in the order given."""

from __future__ import annotations

import math

import numpy as np

from ratings.core.types import Comparisons, EloOrderingsResult, EloResult, Intervals

#: LMArena's online-Elo settings: initial rating, base, scale and K factor.
ELO_INITIAL = 1000.0
ELO_BASE = 10.0
ELO_SCALE = 400.0
ELO_K = 4.0


def elo(
    comparisons: Comparisons,
    *,
    initial: float = ELO_INITIAL,
    base: float = ELO_BASE,
    scale: float = ELO_SCALE,
    k: float = ELO_K,
    order: np.ndarray | None = None,
) -> EloResult:
    """Rate competitors by the online Elo system, one update per verdict, in order.

    Before verdict ``t`` between A and B, A's expected score is
    ``E = 1 / (1 + base ** ((r_B - r_A) / scale))``; afterwards
    ``r_A += k * w_t * (S - E)`` and ``r_B -= k * w_t * (S - E)``, where ``S`` is 1 for a win
    by A, 0 for a loss and ½ for a tie or a both-bad verdict, and ``w_t`` the verdict's weight.
    The result depends on the order of the verdicts.

    Parameters
    ----------
    comparisons : Comparisons
        The verdicts, in the order they are to be applied.
    initial : float, default 1000
        Every competitor's rating before the first verdict.
    base, scale : float, default 10 and 400
        A rating lead of ``scale`` means odds of ``base`` to 1.
    k : float, default 4
        The K factor: the largest change one verdict of weight 1 can make.
    order : array of int, optional
        A permutation of the rows to apply instead of their stored order.

    Returns
    -------
    EloResult
        Ratings on the display scale (not centred).

    Raises
    ------
    ValueError
        If ``base`` is not above 1 or ``scale`` is not positive.

    References
    ----------
    A. E. Elo, *The Rating of Chessplayers, Past and Present*, Arco, 1978. ISBN 0-668-04721-6.
    W.-L. Chiang et al., "Chatbot Arena: an open platform for evaluating LLMs by human
    preference", 2024, arXiv:2403.04132.
    """
    if not base > 1.0 or not scale > 0.0:
        raise ValueError("Elo needs base > 1 and scale > 0")
    rows = np.arange(comparisons.n_comparisons) if order is None else np.asarray(order)
    ratings = [float(initial)] * comparisons.n_items
    weight = comparisons.weight[rows]
    step = k * weight if np.any(weight != 1.0) else None
    _elo_pass(
        ratings,
        comparisons.a[rows].tolist(),
        comparisons.b[rows].tolist(),
        comparisons.score_a()[rows].tolist(),
        step=float(k) if step is None else step.tolist(),
        rate=math.log(base) / scale,
    )
    return EloResult(
        names=comparisons.names,
        ratings=np.asarray(ratings, dtype=np.float64),
        initial=float(initial),
        base=float(base),
        scale=float(scale),
        k=float(k),
    )


def _elo_pass(
    ratings: list[float],
    a: list[int],
    b: list[int],
    score_a: list[float],
    *,
    step: float | list[float],
    rate: float,
) -> None:
    """Update ``ratings`` in place; plain lists and local names keep the loop fast."""
    exp = math.exp
    if isinstance(step, float):
        for i, j, s in zip(a, b, score_a, strict=True):
            ri = ratings[i]
            rj = ratings[j]
            delta = step * (s - 1.0 / (1.0 + exp((rj - ri) * rate)))
            ratings[i] = ri + delta
            ratings[j] = rj - delta
        return
    for i, j, s, kw in zip(a, b, score_a, step, strict=True):
        ri = ratings[i]
        rj = ratings[j]
        delta = kw * (s - 1.0 / (1.0 + exp((rj - ri) * rate)))
        ratings[i] = ri + delta
        ratings[j] = rj - delta


def elo_bootstrap(
    comparisons: Comparisons,
    *,
    n_resamples: int = 100,
    rng: np.random.Generator | int | None = None,
    level: float = 0.95,
    initial: float = ELO_INITIAL,
    base: float = ELO_BASE,
    scale: float = ELO_SCALE,
    k: float = ELO_K,
) -> Intervals:
    """Percentile intervals of online Elo ratings over resampled, reshuffled verdicts.

    Each round draws as many verdicts as there are, with replacement and in random order (as
    LMArena's Elo bootstrap does), and runs :func:`elo` on them. An interval that misses the
    rating on the original order is widened to include it.

    Parameters
    ----------
    comparisons : Comparisons
        The verdicts.
    n_resamples : int, default 100
        Number of rounds.
    rng : numpy.random.Generator or int, optional
        The random generator, or a seed for a new one.
    level : float, default 0.95
        Two-sided coverage.
    initial, base, scale, k : float
        As for :func:`elo`.

    Returns
    -------
    Intervals
        Bounds on the Elo display scale (not log units); ``samples`` holds each round's ratings.

    Raises
    ------
    ValueError
        If ``n_resamples`` < 1 or ``level`` is not in (0, 1).

    References
    ----------
    W.-L. Chiang et al., "Chatbot Arena", 2024, arXiv:2403.04132.
    B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, 1993,
    doi:10.1201/9780429246593.
    """
    if n_resamples < 1 or not 0.0 < level < 1.0:
        raise ValueError("need n_resamples >= 1 and 0 < level < 1")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    m = comparisons.n_comparisons
    point = elo(comparisons, initial=initial, base=base, scale=scale, k=k).ratings
    samples = np.array(
        [
            elo(
                comparisons,
                order=gen.integers(0, m, m),
                initial=initial,
                base=base,
                scale=scale,
                k=k,
            ).ratings
            for _ in range(n_resamples)
        ]
    )
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(samples, [tail, 100.0 - tail], axis=0)
    return Intervals(
        names=comparisons.names,
        low=np.minimum(low, point),
        high=np.maximum(high, point),
        method="bootstrap-elo",
        level=level,
        n_resamples=n_resamples,
        samples=samples,
    )


#: Entries of the permutation block run at once (orderings × verdicts), about 64 MB of indices.
_BLOCK_ENTRIES = 8_000_000


def elo_orderings(
    comparisons: Comparisons,
    *,
    n_orderings: int,
    rng: np.random.Generator | int | None = None,
    level: float = 0.95,
    initial: float = ELO_INITIAL,
    base: float = ELO_BASE,
    scale: float = ELO_SCALE,
    k: float = ELO_K,
) -> EloOrderingsResult:
    """Online Elo over many random orderings of the verdicts: the mean and its spread.

    One pass of :func:`elo` depends on the order of the verdicts; on a file sorted by pair it is
    an artefact of that order. MT-Bench and QLoRA therefore publish the mean rating over many
    random orderings. Ordering ``r`` is the ``r``-th ``rng.permutation(n_comparisons)``, drawn
    in turn from one generator, so a seed fixes every ordering. The passes run side by side
    (one numpy step per verdict for a block of orderings), which gives the same numbers as
    running :func:`elo` on each ordering.

    Parameters
    ----------
    comparisons : Comparisons
        The verdicts.
    n_orderings : int
        Number of random orderings.
    rng : numpy.random.Generator or int, optional
        The random generator, or a seed for a new one.
    level : float, default 0.95
        Two-sided coverage of the percentile interval over the orderings.
    initial, base, scale, k : float
        As for :func:`elo`.

    Returns
    -------
    EloOrderingsResult
        ``ratings``, the mean over the orderings; ``samples``, each ordering's ratings (one row
        per ordering, display scale); ``low`` and ``high``, percentiles of the samples: the
        spread due to the order alone, not a sampling interval.

    Raises
    ------
    ValueError
        If ``n_orderings`` < 1, ``level`` is not in (0, 1), ``base`` is not above 1 or
        ``scale`` is not positive.

    References
    ----------
    L. Zheng et al., "Judging LLM-as-a-judge with MT-Bench and Chatbot Arena", NeurIPS 2023,
    arXiv:2306.05685.
    T. Dettmers et al., "QLoRA: efficient finetuning of quantized LLMs", NeurIPS 2023,
    arXiv:2305.14314.
    """
    if n_orderings < 1 or not 0.0 < level < 1.0:
        raise ValueError("need n_orderings >= 1 and 0 < level < 1")
    if not base > 1.0 or not scale > 0.0:
        raise ValueError("Elo needs base > 1 and scale > 0")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    m = comparisons.n_comparisons
    block = max(1, min(n_orderings, _BLOCK_ENTRIES // max(m, 1)))
    samples = np.empty((n_orderings, comparisons.n_items))
    for start in range(0, n_orderings, block):
        stop = min(start + block, n_orderings)
        orders = np.array([gen.permutation(m) for _ in range(stop - start)]).reshape(-1, m)
        samples[start:stop] = _elo_side_by_side(
            comparisons, orders, initial=initial, rate=math.log(base) / scale, k=k
        )
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(samples, [tail, 100.0 - tail], axis=0)
    return EloOrderingsResult(
        names=comparisons.names,
        ratings=samples.mean(axis=0),
        low=low,
        high=high,
        level=level,
        samples=samples,
    )


def _elo_side_by_side(
    comparisons: Comparisons, orders: np.ndarray, *, initial: float, rate: float, k: float
) -> np.ndarray:
    """Final ratings of one Elo pass per row of ``orders``, all passes stepped together.

    Each step updates A before B, as :func:`_elo_pass` does, so a self-battle ends the same.
    """
    n_runs = orders.shape[0]
    runs = np.arange(n_runs)
    # verdict-major, so that each step reads one contiguous row
    a = np.ascontiguousarray(comparisons.a[orders].T)
    b = np.ascontiguousarray(comparisons.b[orders].T)
    score = np.ascontiguousarray(comparisons.score_a()[orders].T)
    step = np.ascontiguousarray((k * comparisons.weight)[orders].T)
    ratings = np.full((n_runs, comparisons.n_items), float(initial))
    for t in range(orders.shape[1]):
        i, j = a[t], b[t]
        ri = ratings[runs, i]
        rj = ratings[runs, j]
        delta = step[t] * (score[t] - 1.0 / (1.0 + np.exp((rj - ri) * rate)))
        ratings[runs, i] = ri + delta
        ratings[runs, j] = rj - delta
    return ratings
