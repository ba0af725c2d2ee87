"""The data shapes the rating core accepts and returns.

Terms used throughout the core:

- ``scores`` are natural-log strengths (Bradley–Terry ``theta``), centred at 0 unless anchored;
- ``ratings`` are values on the display (Elo) scale: ``ELO_PER_LOG_UNIT`` points per log unit,
  plus an offset (1000 by default).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Elo points per natural-log unit of strength: 400 / ln 10.
ELO_PER_LOG_UNIT = 400.0 / math.log(10.0)


class Outcome(IntEnum):
    """A vote's verdict; the same values as ``arena.models.Outcome``."""

    A = 1
    B = 2
    TIE = 3
    BOTH_BAD = 4


@dataclass(frozen=True, slots=True)
class Comparisons:
    """A batch of pairwise verdicts over competitors ``names``.

    Row ``t`` says that competitor ``a[t]`` (shown as A) met ``b[t]`` (shown as B) and the verdict
    was ``outcome[t]``, counted ``weight[t]`` times. Optional columns carry what some methods
    need: the prompt (or any grouping key) of each verdict, style features of both answers, and
    a soft label ``p_b[t]``: the probability that B is the better answer (AlpacaEval's
    ``preference`` − 1), NaN where a verdict has none; and the answers' lengths in characters
    (``length_a``, ``length_b``, for AlpacaEval's length-controlled win rate; kept apart from
    the style features, which style control standardises and fits). Where a soft label is
    present the fits score the row by it; :meth:`hard_labels` drops the column so that
    ``outcome`` alone counts.

    ``count`` (None: one each) says that row ``t`` stands for ``count[t]`` identical verdicts,
    each of weight ``weight[t]``: the votes merged by a ``GROUP BY`` on every column a method
    reads. It is not the same as a weight ``count[t] * weight[t]``: a weight scales one
    verdict, so the sandwich covariance and the bootstrap, which look at verdicts one by one,
    see it squared or drawn once, where ``count`` verdicts are seen and drawn one by one.
    Methods linear in the verdicts read :attr:`total_weight`; the cells of
    :func:`~ratings.core.pairs.aggregate` hold ``count`` verdicts, so everything fitted from
    them is unchanged by the merge. Order-dependent methods (online Elo) and style control
    (features per answer) refuse counted rows.
    """

    names: tuple[str, ...]
    a: IntArray
    b: IntArray
    outcome: NDArray[np.int8]
    weight: FloatArray
    prompt: IntArray | None = None
    prompt_names: tuple[str, ...] = ()
    features_a: FloatArray | None = None
    features_b: FloatArray | None = None
    feature_names: tuple[str, ...] = ()
    p_b: FloatArray | None = None
    length_a: FloatArray | None = None
    length_b: FloatArray | None = None
    count: FloatArray | None = None

    def __post_init__(self) -> None:
        n = self.a.shape[0]
        if self.count is not None and (
            self.count.shape != (n,)
            or not np.all(np.isfinite(self.count))
            or np.any(self.count < 0)
        ):
            raise ValueError("column count must hold one finite, non-negative count per row")
        for label, column in (("b", self.b), ("outcome", self.outcome), ("weight", self.weight)):
            if column.shape != (n,):
                raise ValueError(f"column {label} has shape {column.shape}, expected ({n},)")
        if n and (
            min(self.a.min(), self.b.min()) < 0
            or max(self.a.max(), self.b.max()) >= len(self.names)
        ):
            raise ValueError("competitor index out of range of names")
        if self.prompt is not None and self.prompt.shape != (n,):
            raise ValueError("column prompt must have one entry per comparison")
        for label, feats in (("features_a", self.features_a), ("features_b", self.features_b)):
            if feats is not None and feats.shape != (n, len(self.feature_names)):
                raise ValueError(f"{label} must have shape (n_comparisons, n_features)")
        if self.p_b is not None:
            if self.p_b.shape != (n,):
                raise ValueError("column p_b must have one entry per comparison")
            known = self.p_b[~np.isnan(self.p_b)]
            if known.size and (known.min() < 0.0 or known.max() > 1.0):
                raise ValueError("soft labels p_b must lie in [0, 1]")
        for label, lengths in (("length_a", self.length_a), ("length_b", self.length_b)):
            if lengths is not None and lengths.shape != (n,):
                raise ValueError(f"column {label} must have one entry per comparison")

    @classmethod
    def from_labels(
        cls,
        a_names: Sequence[str],
        b_names: Sequence[str],
        outcomes: Sequence[int] | NDArray[np.integer[Any]],
        *,
        weight: Sequence[float] | FloatArray | None = None,
        prompts: Sequence[Hashable] | None = None,
        features_a: FloatArray | None = None,
        features_b: FloatArray | None = None,
        feature_names: tuple[str, ...] = (),
        names: Sequence[str] | None = None,
        p_b: Sequence[float] | FloatArray | None = None,
        lengths: tuple[Sequence[float], Sequence[float]] | None = None,
    ) -> Comparisons:
        """Verdicts given by competitor names, numbered into the arrays the core works on.

        Parameters
        ----------
        a_names, b_names : sequence of str
            The competitor shown as A and as B in each verdict.
        outcomes : sequence of int
            Each verdict, an :class:`Outcome` value.
        weight : sequence of float, optional
            Each verdict's weight; 1 each by default.
        prompts : sequence of hashable, optional
            Each verdict's prompt (or any grouping key). Groups are numbered in the order they
            are first seen, and ``prompt_names`` holds ``str`` of each key in that order.
        features_a, features_b : ndarray, optional
            Style features of the two answers, ``(n_comparisons, len(feature_names))``.
        feature_names : tuple of str
            The features' names.
        names : sequence of str, optional
            The competitors, in the order that numbers them; must include every name in
            ``a_names`` and ``b_names``. By default the names that occur, sorted, so the
            numbering does not depend on the order of the verdicts.
        p_b : sequence of float, optional
            Each verdict's soft label, the probability that B is better; NaN where there is none.
        lengths : pair of sequences of float, optional
            Each verdict's answer lengths in characters, A's and B's.

        Returns
        -------
        Comparisons
            ``a``/``b`` index ``names``; ``outcome`` is int8; ``weight`` float64.

        Raises
        ------
        KeyError
            When ``names`` is given and lacks a name that occurs.
        """
        table = tuple(sorted(set(a_names) | set(b_names)) if names is None else names)
        index = {name: i for i, name in enumerate(table)}
        n = len(a_names)
        group_ids: IntArray | None = None
        group_names: tuple[str, ...] = ()
        if prompts is not None:
            groups: dict[Hashable, int] = {}
            group_ids = np.array(
                [groups.setdefault(key, len(groups)) for key in prompts], dtype=np.intp
            )
            group_names = tuple(str(key) for key in groups)
        return cls(
            names=table,
            a=np.array([index[x] for x in a_names], dtype=np.intp).reshape(n),
            b=np.array([index[y] for y in b_names], dtype=np.intp).reshape(len(b_names)),
            outcome=np.asarray(outcomes, dtype=np.int8).reshape(-1),
            weight=(
                np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64).reshape(-1)
            ),
            prompt=group_ids,
            prompt_names=group_names,
            features_a=features_a,
            features_b=features_b,
            feature_names=feature_names,
            p_b=None if p_b is None else np.asarray(p_b, dtype=np.float64).reshape(-1),
            length_a=None if lengths is None else np.asarray(lengths[0], dtype=np.float64),
            length_b=None if lengths is None else np.asarray(lengths[1], dtype=np.float64),
        )

    @property
    def n_items(self) -> int:
        """Number of competitors."""
        return len(self.names)

    @property
    def n_comparisons(self) -> int:
        """Number of rows (the verdicts, unless rows are counted: see :attr:`n_verdicts`)."""
        return int(self.a.shape[0])

    @property
    def n_verdicts(self) -> int:
        """Number of verdicts, before weighting: the rows, or the sum of their counts."""
        return self.n_comparisons if self.count is None else round(float(self.count.sum()))

    @property
    def counts(self) -> FloatArray:
        """Each row's number of verdicts (ones unless the rows are counted)."""
        return np.ones(self.n_comparisons) if self.count is None else self.count

    @property
    def total_weight(self) -> FloatArray:
        """Each row's weight times its number of verdicts: what methods linear in the verdicts
        (pair totals, win rates, the equilibrium games) add up."""
        return self.weight if self.count is None else self.weight * self.count

    def require_rows(self, method: str) -> None:
        """Raise ``ValueError`` when the rows are counted, for a method that needs each verdict
        on its own (in its order, or with its own features)."""
        if self.count is not None:
            raise ValueError(f"{method} needs one row a verdict, not counted rows")

    @property
    def has_soft_labels(self) -> bool:
        """Whether any row carries a soft label."""
        return self.p_b is not None and bool(np.any(~np.isnan(self.p_b)))

    def score_a(self) -> FloatArray:
        """Points won by A in each row: 1 for a win, 0 for a loss, ½ for a tie or both bad.

        A row with a soft label scores ``1 − p_b`` instead: the verdict's own probability.
        """
        out = np.full(self.n_comparisons, 0.5)
        out[self.outcome == Outcome.A] = 1.0
        out[self.outcome == Outcome.B] = 0.0
        if self.p_b is not None:
            soft = ~np.isnan(self.p_b)
            out[soft] = 1.0 - self.p_b[soft]
        return out

    def hard_labels(self) -> Comparisons:
        """The same verdicts without soft labels (``--hard-labels``): ``outcome`` alone counts."""
        return dataclasses.replace(self, p_b=None)

    def subset(self, mask: NDArray[np.bool_]) -> Comparisons:
        """The rows selected by a boolean mask, over the same competitors and prompts."""
        return Comparisons(
            names=self.names,
            a=self.a[mask],
            b=self.b[mask],
            outcome=self.outcome[mask],
            weight=self.weight[mask],
            prompt=None if self.prompt is None else self.prompt[mask],
            prompt_names=self.prompt_names,
            features_a=None if self.features_a is None else self.features_a[mask],
            features_b=None if self.features_b is None else self.features_b[mask],
            feature_names=self.feature_names,
            p_b=None if self.p_b is None else self.p_b[mask],
            length_a=None if self.length_a is None else self.length_a[mask],
            length_b=None if self.length_b is None else self.length_b[mask],
            count=None if self.count is None else self.count[mask],
        )


@dataclass(frozen=True, slots=True)
class EloResult:
    """Online Elo ratings after one pass over the verdicts in order."""

    names: tuple[str, ...]
    ratings: FloatArray
    initial: float
    base: float
    scale: float
    k: float


@dataclass(frozen=True, slots=True)
class EloOrderingsResult:
    """Online Elo over many random orderings: ``ratings`` is the mean of ``samples`` (one row
    of display-scale ratings per ordering), ``low`` and ``high`` their percentiles at ``level``.
    """

    names: tuple[str, ...]
    ratings: FloatArray
    low: FloatArray
    high: FloatArray
    level: float
    samples: FloatArray


@dataclass(frozen=True, slots=True)
class PairCounts:
    """Verdicts merged into cells: one cell per (pair, points to ``pair_i``, weight).

    Pair ``p`` joins competitors ``pair_i[p] < pair_j[p]``. Cell ``c`` holds ``cell_count[c]``
    verdicts of pair ``cell_pair[c]``, each of weight ``cell_weight[c]``, each giving
    ``cell_points[c]`` (0, ½ or 1) to ``pair_i`` and the rest to ``pair_j``. Resampling the cell
    counts is the same as resampling the verdicts, at a fraction of the cost.
    """

    names: tuple[str, ...]
    pair_i: IntArray
    pair_j: IntArray
    cell_pair: IntArray
    cell_count: FloatArray
    cell_weight: FloatArray
    cell_points: FloatArray

    @property
    def n_items(self) -> int:
        """Number of competitors."""
        return len(self.names)

    @property
    def n_pairs(self) -> int:
        """Number of distinct pairs that met at least once."""
        return int(self.pair_i.shape[0])

    def totals(self, counts: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
        """Weighted games and points of ``pair_i`` per pair, for the given cell counts."""
        c = self.cell_count if counts is None else counts
        weighted = c * self.cell_weight
        games = np.bincount(self.cell_pair, weights=weighted, minlength=self.n_pairs)
        points = np.bincount(
            self.cell_pair, weights=weighted * self.cell_points, minlength=self.n_pairs
        )
        return np.asarray(games, dtype=np.float64), np.asarray(points, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class BradleyTerryResult:
    """A Bradley–Terry fit: ``scores`` are natural-log strengths, centred at 0.

    ``l2`` is the ridge penalty actually used (0 for the plain maximum-likelihood estimate), on
    the scores measured in ``score_unit`` (1: natural logs; ``ln 10``: base-10 logs, as
    arena-hard's logistic regression has them). ``coefficients`` holds style (covariate)
    coefficients when the model had any, in log units per standard deviation of each feature,
    named by ``feature_names``. ``groups`` is set when the comparison graph was disconnected
    and fitted by groups (``on_disconnected="groups"``): each competitor's group, 0 for the
    main one (:mod:`ratings.core.groups`); each group's scores are then centred on their own.
    """

    names: tuple[str, ...]
    scores: FloatArray
    n_iter: int
    converged: bool
    l2: float = 0.0
    log_likelihood: float = float("nan")
    coefficients: FloatArray | None = None
    feature_names: tuple[str, ...] = ()
    groups: IntArray | None = None
    score_unit: float = 1.0


@dataclass(frozen=True, slots=True)
class Intervals:
    """Confidence intervals of scores, in natural-log units, in the gauge of ``anchor``.

    With ``anchor`` ``None`` the scores are centred (mean 0), otherwise they are relative to the
    anchor competitor (whose interval is then a single point). ``samples`` holds the bootstrap
    replicates (rows) when the intervals come from a bootstrap.
    """

    names: tuple[str, ...]
    low: FloatArray
    high: FloatArray
    method: str
    level: float
    anchor: int | None = None
    n_resamples: int = 0
    samples: FloatArray | None = None


@dataclass(frozen=True, slots=True)
class RankIntervals:
    """Each competitor's range of plausible ranks, from its rating interval.

    ``upper`` is LMArena's "rank upper bound": 1 + the number of competitors whose interval
    lies wholly above; ``lower`` is the number of competitors whose interval does not lie
    wholly below.
    """

    names: tuple[str, ...]
    upper: IntArray
    lower: IntArray


@dataclass(frozen=True, slots=True)
class WinRates:
    """Predicted pairwise win probabilities: ``matrix[i, j]`` = P(i beats j), ties counting ½."""

    names: tuple[str, ...]
    matrix: FloatArray


@dataclass(frozen=True, slots=True)
class BaselineWinRates:
    """Win rates of every competitor against one baseline, as probabilities (0 to 1).

    ``predicted`` comes from the ratings; ``observed`` is the share of points won in direct
    games against the baseline (NaN where there were none); ``n_games`` counts those games.
    """

    names: tuple[str, ...]
    baseline: str
    predicted: FloatArray
    observed: FloatArray
    n_games: FloatArray
