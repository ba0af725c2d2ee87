"""Online Elo ratings: one pass over the verdicts, in the order given."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator

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

    The rounds run side by side (see :func:`_elo_runs`), so the draws are made in blocks: the
    rounds in groups of up to 128 and, within a group, the resampled row indices of 8,192
    positions of every round of the group at a time, ``rng.integers(0, n, (rounds, positions))``.
    Round ``r``'s verdicts are its row of those blocks, in order (see
    :func:`_bootstrap_draws`); each round gives the ratings :func:`elo` gives on them.

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
    point = elo(comparisons, initial=initial, base=base, scale=scale, k=k).ratings
    samples = np.empty((n_resamples, comparisons.n_items))
    for rounds, blocks in _bootstrap_draws(gen, comparisons.n_comparisons, n_resamples):
        samples[rounds] = _elo_runs(
            comparisons,
            blocks,
            rounds.stop - rounds.start,
            initial=initial,
            base=base,
            scale=scale,
            k=k,
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


#: Bootstrap rounds drawn and run together, at most; bounds the memory of a block of draws.
_GROUP_ROUNDS = 128
#: Positions of every round of a group drawn (and stepped) per block.
_DRAW_POSITIONS = 8192


def _bootstrap_draws(
    gen: np.random.Generator, m: int, n_resamples: int
) -> Iterator[tuple[slice, Iterator[np.ndarray]]]:
    """The bootstrap's random stream: per group of rounds, its blocks of resampled row indices.

    Each block is drawn only when the previous one has been used, so the memory stays at one
    block (``128 × 8,192`` indices) whatever the number of verdicts. The groups must be consumed
    in order.
    """
    for start in range(0, n_resamples, _GROUP_ROUNDS):
        rounds = slice(start, min(start + _GROUP_ROUNDS, n_resamples))
        size = rounds.stop - rounds.start
        yield (
            rounds,
            (
                gen.integers(0, m, (size, min(_DRAW_POSITIONS, m - t0)))
                for t0 in range(0, m, _DRAW_POSITIONS)
            ),
        )


def _bootstrap_orders(gen: np.random.Generator, m: int, n_resamples: int) -> np.ndarray:
    """Every round's resampled row indices, one row per round: the oracle's view of the draws."""
    orders = np.empty((n_resamples, m), dtype=np.int64)
    for rounds, blocks in _bootstrap_draws(gen, m, n_resamples):
        t0 = 0
        for block in blocks:
            orders[rounds, t0 : t0 + block.shape[1]] = block
            t0 += block.shape[1]
    return orders


#: From this many runs on, one numpy step for all of them beats one plain loop per run: a step
#: costs 7 numpy calls, about as much as 20 to 25 iterations of the plain loop (measured).
_LOCKSTEP_MIN_RUNS = 24


def _elo_runs(
    comparisons: Comparisons,
    blocks: Iterable[np.ndarray],
    n_runs: int,
    *,
    initial: float,
    base: float,
    scale: float,
    k: float,
) -> np.ndarray:
    """Final ratings of ``n_runs`` Elo passes, one row each, over verdict indices given in blocks.

    Each block is an ``(n_runs, positions)`` array: the next verdicts of every run. Few runs go
    through the plain loop of :func:`elo`, one run after another within each block, with each
    run's ratings carried from block to block. Many runs step together: one step applies verdict
    ``t`` of every run at once, so a step's numpy calls are shared by all runs. Both give the
    numbers of :func:`elo` on each run's verdicts (the tests hold them to 1e-9).

    Why not fewer steps: one run's updates can be grouped only into levels of verdicts that
    share no competitor, in each competitor's order. A level holds at most ``c/2`` verdicts for
    ``c`` competitors and a competitor met ``d`` times needs ``d`` levels, so ``m`` verdicts need
    at least ``max(2m/c, d_max)`` levels. On the benchmark's votes (1M, 200 competitors) that is
    184,355 levels at best, 192,493 for the earliest-level schedule, and computing a schedule is
    itself a pass over the verdicts; docs/benchmarks.md gives the figures.
    """
    rate = math.log(base) / scale
    n = comparisons.n_items
    if n_runs < _LOCKSTEP_MIN_RUNS:
        score = comparisons.score_a()
        weighted = bool(np.any(comparisons.weight != 1.0))
        step = k * comparisons.weight
        states = [[float(initial)] * n for _ in range(n_runs)]
        for block in blocks:
            for ratings, rows in zip(states, block, strict=True):
                _elo_pass(
                    ratings,
                    comparisons.a[rows].tolist(),
                    comparisons.b[rows].tolist(),
                    score[rows].tolist(),
                    step=step[rows].tolist() if weighted else float(k),
                    rate=rate,
                )
        return np.array(states, dtype=np.float64).reshape(n_runs, n)
    # Ratings are kept as y = (rating - initial) * rate / 2, where A's expected score is
    # (1 + tanh(y_A - y_B)) / 2: A's step is then tilt - gain * tanh(y_A - y_B), with
    # gain = k w rate / 4 and tilt = gain (2 S - 1), and B's its negative.
    gain = (0.25 * rate * k) * comparisons.weight
    tilt = gain * (2.0 * comparisons.score_a() - 1.0)
    scalar_gain = float(gain[0]) if gain.size and np.all(gain == gain[0]) else None
    y = np.zeros(n_runs * n)
    offset = np.arange(0, n_runs * n, n)
    for block in blocks:
        _lockstep(y, comparisons.a, comparisons.b, tilt, gain, scalar_gain, block, offset)
    return initial + y.reshape(n_runs, n) * (2.0 / rate)


def _lockstep(  # noqa: PLR0917 (the kernel's arrays, passed as they are used)
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    tilt: np.ndarray,
    gain: np.ndarray,
    scalar_gain: float | None,
    block: np.ndarray,
    offset: np.ndarray,
) -> None:
    """Apply ``block`` (runs × positions) to ``y``, one step per position for all runs at once.

    A step's competitors are flat indices into ``y`` (run × competitor), A's row above B's, so
    that one gather reads and one scatter writes both sides; the scatter writes B after A, as
    the plain loop does, so a self-battle ends the same.
    """
    cols = np.ascontiguousarray(block.T)
    sides = np.empty((cols.shape[0], 2, cols.shape[1]), dtype=np.intp)
    np.add(a[cols], offset, out=sides[:, 0])
    np.add(b[cols], offset, out=sides[:, 1])
    shifts = np.empty(sides.shape)
    np.take(tilt, cols, out=shifts[:, 0])
    np.negative(shifts[:, 0], out=shifts[:, 1])
    gains = gain[cols] if scalar_gain is None else itertools.repeat(scalar_gain, cols.shape[0])
    lead = np.empty(sides.shape[1:])
    subtract, tanh, multiply = np.subtract, np.tanh, np.multiply
    # One step: both sides' rating leads at once (A's row minus B's, and B's minus A's), so
    # each side's change is its shift minus gain * tanh(lead): 7 numpy calls for all runs.
    for index, shift, scale in zip(sides, shifts, gains, strict=True):
        pair = y[index]
        subtract(pair, pair[::-1], out=lead)
        tanh(lead, out=lead)
        multiply(lead, scale, out=lead)
        subtract(shift, lead, out=lead)
        pair += lead
        y[index] = pair


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
    in turn from one generator, so a seed fixes every ordering. The passes run side by side (see
    :func:`_elo_runs`), which gives the numbers of :func:`elo` on each ordering.

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
        samples[start:stop] = _elo_runs(
            comparisons,
            (orders[:, t0 : t0 + _DRAW_POSITIONS] for t0 in range(0, m, _DRAW_POSITIONS)),
            stop - start,
            initial=initial,
            base=base,
            scale=scale,
            k=k,
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
