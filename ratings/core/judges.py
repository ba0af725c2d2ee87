"""How far to trust a judge: position consistency and bias, transitivity, length bias, agreement.

Every figure is a pure function of vote arrays, so the same code reports on a vote file and on
an arena's vote store. Verdicts are compared in *model* terms: for a pair ``lo < hi`` (competitor
indices), a verdict is one of :data:`LO_WINS`, :data:`HI_WINS`, :data:`TIE`, :data:`BOTH_BAD`,
whatever the screen order was. Both-bad stays distinct from tie throughout.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ratings.core.agreement import modal_label, rater_agreement
from ratings.core.errors import RatingError
from ratings.core.pairs import components
from ratings.core.style import style_bradley_terry
from ratings.core.types import Comparisons, FloatArray, IntArray, Outcome

LO_WINS, HI_WINS, TIE, BOTH_BAD = 0, 1, 2, 3
TRIAD = 3
#: Below this many votes a judge's length coefficient is left out: with few votes the maximum
#: likelihood fit often does not exist (a competitor that always wins or always loses).
MIN_VOTES_FOR_LENGTH = 100
Key = tuple[int, int, int]  # (prompt, lo, hi)


@dataclass(frozen=True, slots=True)
class JudgedVotes:
    """Votes with who gave them and what was shown first.

    ``first[k]`` is the competitor shown in the first (left, "A") position on screen; the
    outcome is in terms of ``a`` and ``b`` (``Outcome.A``: ``a`` won), not of screen positions.
    ``length_a``/``length_b`` are answer lengths (tokens or characters), when known.
    """

    names: tuple[str, ...]
    judge_names: tuple[str, ...]
    judge: IntArray
    prompt: IntArray
    a: IntArray
    b: IntArray
    first: IntArray
    outcome: NDArray[np.int8]
    length_a: FloatArray | None = None
    length_b: FloatArray | None = None

    def subset(self, mask: NDArray[np.bool_]) -> JudgedVotes:
        """The votes where ``mask`` holds, with the same name tables."""
        lengths: tuple[FloatArray | None, FloatArray | None] = (None, None)
        if self.length_a is not None and self.length_b is not None:
            lengths = (self.length_a[mask], self.length_b[mask])
        return JudgedVotes(
            self.names,
            self.judge_names,
            self.judge[mask],
            self.prompt[mask],
            self.a[mask],
            self.b[mask],
            self.first[mask],
            self.outcome[mask],
            *lengths,
        )


@dataclass(frozen=True, slots=True)
class Share:
    """A proportion and the number of cases it is over (``value`` is None when there are none)."""

    value: float | None
    n: int


@dataclass(frozen=True, slots=True)
class Agreement:
    """Two judges on the battles both judged: raw agreement and Cohen's kappa."""

    a: str
    b: str
    n_shared: int
    agreement: float | None
    kappa: float | None


@dataclass(frozen=True, slots=True)
class JudgeFigures:
    """One judge's reliability figures; ``notes`` says why a figure is None."""

    name: str
    n_votes: int
    position_consistency: Share
    first_position_win_share: Share
    transitivity_violation_share: Share
    length_coefficient: float | None
    notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class JudgeReport:
    judges: tuple[JudgeFigures, ...]
    agreement: tuple[Agreement, ...]


def soft_verdicts(outcome: NDArray[np.int8], p_b: FloatArray | None) -> NDArray[np.int8]:
    """Verdicts with each soft label read as the verdict it favours.

    The judge figures (position consistency, first-position wins, transitivity, agreement and
    kappa) compare discrete verdicts, so a soft label ``p_b`` counts as B's win above ½, A's
    below, and a tie at exactly ½; a vote without one (NaN) keeps its ``outcome``. The length
    coefficient, a Bradley–Terry fit, is the one figure that could use the probability itself;
    it uses the same verdicts, so that all figures describe one set of votes.

    Parameters
    ----------
    outcome : array of int8
        The votes' :class:`Outcome` values.
    p_b : array of float, optional
        Soft labels, NaN where a vote has none.

    Returns
    -------
    array of int8
        The verdicts the judge figures read.
    """
    if p_b is None:
        return outcome
    soft = np.where(p_b > 0.5, Outcome.B, np.where(p_b < 0.5, Outcome.A, Outcome.TIE))  # noqa: PLR2004
    return np.where(np.isnan(p_b), outcome, soft).astype(np.int8)


def canonical(
    a: IntArray, b: IntArray, outcome: NDArray[np.int8]
) -> tuple[IntArray, IntArray, IntArray]:
    """``(lo, hi, verdict)``: each vote on its unordered pair, in model terms."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    a_won = outcome == Outcome.A
    b_won = outcome == Outcome.B
    lo_won = (a_won & (a == lo)) | (b_won & (b == lo))
    verdict = np.where(
        outcome == Outcome.TIE,
        TIE,
        np.where(outcome == Outcome.BOTH_BAD, BOTH_BAD, np.where(lo_won, LO_WINS, HI_WINS)),
    )
    return lo, hi, verdict.astype(np.intp)


def position_consistency(
    prompt: IntArray, a: IntArray, b: IntArray, first: IntArray, outcome: NDArray[np.int8]
) -> Share:
    """Share of twin verdicts (same prompt and pair, screen order swapped) that agree.

    Votes on a (prompt, pair) are split by which competitor was shown first; the k-th of one
    order is the twin of the k-th of the other, in the order given, so a judge who saw a battle
    three times one way and once the other contributes one twin.
    """
    lo, hi, verdict = canonical(a, b, outcome)
    sides: dict[Key, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for p, low, high, shown, v in zip(prompt, lo, hi, first, verdict, strict=True):
        sides[(int(p), int(low), int(high))][int(shown != low)].append(int(v))
    agree = total = 0
    for lo_first, hi_first in sides.values():
        for x, y in zip(lo_first, hi_first, strict=False):
            total += 1
            agree += x == y
    return Share(agree / total if total else None, total)


def first_position_wins(
    a: IntArray, b: IntArray, first: IntArray, outcome: NDArray[np.int8]
) -> Share:
    """Share of decisive verdicts won by the answer shown first (0.5 for an unbiased judge)."""
    decisive = (outcome == Outcome.A) | (outcome == Outcome.B)
    winner = np.where(outcome == Outcome.A, a, b)
    n = int(decisive.sum())
    return Share(float((winner == first)[decisive].mean()) if n else None, n)


def transitivity_violations(
    prompt: IntArray, a: IntArray, b: IntArray, outcome: NDArray[np.int8], n_items: int
) -> Share:
    """Share of triads on one prompt whose majority preferences form a cycle (A>B>C>A).

    A pair's majority preference is strict when one side won more verdicts than the other on
    that prompt (ties and both-bad count for neither); only triads whose three pairs all have a
    strict majority count. With ``D`` the strict-preference matrix of a prompt, the cycles are
    ``trace(D³)/3`` and the triads ``trace(S³)/6`` for ``S = D + Dᵀ``.
    """
    cycles = triads = 0
    for p in np.unique(prompt):
        on = prompt == p
        wins = np.zeros((n_items, n_items))
        a_won = on & (outcome == Outcome.A)
        b_won = on & (outcome == Outcome.B)
        np.add.at(wins, (a[a_won], b[a_won]), 1.0)
        np.add.at(wins, (b[b_won], a[b_won]), 1.0)
        seen = np.unique(np.concatenate([a[on], b[on]]))
        if seen.size < TRIAD:
            continue
        net = (wins - wins.T)[np.ix_(seen, seen)]
        d = (net > 0).astype(np.float64)
        s = d + d.T
        cycles += round(np.trace(d @ d @ d) / 3.0)
        triads += round(np.trace(s @ s @ s) / 6.0)
    return Share(cycles / triads if triads else None, triads)


def modal_verdicts(
    prompt: IntArray, a: IntArray, b: IntArray, outcome: NDArray[np.int8]
) -> dict[Key, int]:
    """One verdict per (prompt, pair): the most frequent; a split with no single mode is a tie."""
    lo, hi, verdict = canonical(a, b, outcome)
    given: dict[Key, list[int]] = defaultdict(list)
    for p, low, high, v in zip(prompt, lo, hi, verdict, strict=True):
        given[(int(p), int(low), int(high))].append(int(v))
    return {key: modal_label(v, split=TIE) for key, v in given.items()}


def agreement(
    name_a: str, verdicts_a: dict[Key, int], name_b: str, verdicts_b: dict[Key, int]
) -> Agreement:
    """Raw agreement and Cohen's kappa of two judges over the battles both judged.

    Kappa is the standard one (:func:`ratings.core.agreement.cohen_kappa`) over the four
    verdicts lo wins, hi wins, tie, both bad, each judge with its own verdict frequencies.
    Which side of a pair is "lo" changes the two judges' frequencies of "lo wins" and so
    kappa: :func:`judge_report` orients every pair by the competitors' names (see
    :func:`oriented_by_name`), as the arena's judge API does, so that kappa depends neither
    on how the competitors happen to be numbered nor on the endpoint.
    """
    found = rater_agreement(verdicts_a, verdicts_b)
    return Agreement(name_a, name_b, found.shared, found.rate, found.kappa)


def oriented_by_name(verdicts: dict[Key, int], names: tuple[str, ...]) -> dict[Key, int]:
    """The same verdicts with "lo wins" meaning the competitor whose *name* sorts first wins."""
    swap = {LO_WINS: HI_WINS, HI_WINS: LO_WINS}
    return {
        key: swap.get(v, v) if names[key[1]] > names[key[2]] else v for key, v in verdicts.items()
    }


def length_coefficient(votes: JudgedVotes, *, min_votes: int = MIN_VOTES_FOR_LENGTH) -> float:
    """The style coefficient of answer length when these votes alone are fitted with style control.

    Log-odds of preference per standard deviation of the normalised length difference
    ``(len_A − len_B) / (len_A + len_B + 1)``: positive means longer answers are preferred with
    the competitors' strengths held equal. When the votes fall into disconnected groups, the
    largest group is fitted (strengths are only comparable within a group; the coefficient is
    identified in any). Raises ``ValueError`` (no lengths, no votes) when it cannot be fitted.
    """
    if votes.length_a is None or votes.length_b is None:
        raise ValueError("no answer lengths")
    length_a, length_b = votes.length_a, votes.length_b
    if votes.a.size < min_votes:
        raise ValueError(f"fewer than {min_votes} votes, too few to fit")
    labels = components(len(votes.names), votes.a, votes.b)
    if votes.a.size == 0:
        raise ValueError("no votes")
    largest = np.bincount(labels[votes.a]).argmax()
    keep = labels[votes.a] == largest
    votes = votes.subset(keep)
    length_a, length_b = length_a[keep], length_b[keep]
    members = np.flatnonzero(labels == largest)
    index = np.full(len(votes.names), -1, dtype=np.intp)
    index[members] = np.arange(members.size)
    comparisons = Comparisons(
        names=tuple(votes.names[k] for k in members),
        a=index[votes.a],
        b=index[votes.b],
        outcome=votes.outcome,
        weight=np.ones(votes.a.size),
        features_a=length_a[:, None],
        features_b=length_b[:, None],
        feature_names=("length",),
    )
    fit = style_bradley_terry(comparisons)
    coefficient = float(np.nan if fit.coefficients is None else fit.coefficients[0])
    if not fit.converged or not np.isfinite(coefficient):
        raise ValueError("the fit did not converge (votes separable by competitor and length)")
    return coefficient


def judge_figures(votes: JudgedVotes, judge: int) -> JudgeFigures:
    """All of one judge's figures, with a note for each that cannot be computed."""
    mine = votes.subset(votes.judge == judge)
    notes: dict[str, str] = {}
    consistency = position_consistency(mine.prompt, mine.a, mine.b, mine.first, mine.outcome)
    if consistency.value is None:
        notes["position_consistency"] = "no battle was judged in both screen orders"
    first = first_position_wins(mine.a, mine.b, mine.first, mine.outcome)
    if first.value is None:
        notes["first_position_win_share"] = "no decisive verdict"
    cycles = transitivity_violations(mine.prompt, mine.a, mine.b, mine.outcome, len(votes.names))
    if cycles.value is None:
        notes["transitivity_violation_share"] = (
            "no prompt with three competitors whose three pairs have a strict majority"
        )
    coefficient = None
    try:
        coefficient = length_coefficient(mine)
    except (RatingError, ValueError, np.linalg.LinAlgError) as exc:
        notes["length_coefficient"] = " ".join(str(exc).split()) or type(exc).__name__
    return JudgeFigures(
        name=votes.judge_names[judge],
        n_votes=int(mine.a.size),
        position_consistency=consistency,
        first_position_win_share=first,
        transitivity_violation_share=cycles,
        length_coefficient=coefficient,
        notes=notes,
    )


def judge_report(votes: JudgedVotes, judges: Iterable[int] | None = None) -> JudgeReport:
    """Figures for each judge (all by default) and the agreement of every pair of them."""
    chosen = sorted(set(range(len(votes.judge_names)) if judges is None else judges))
    chosen = [j for j in chosen if np.any(votes.judge == j)]
    modal = {
        j: oriented_by_name(modal_verdicts(*_columns(votes.subset(votes.judge == j))), votes.names)
        for j in chosen
    }
    pairs = [
        agreement(votes.judge_names[x], modal[x], votes.judge_names[y], modal[y])
        for i, x in enumerate(chosen)
        for y in chosen[i + 1 :]
    ]
    return JudgeReport(
        judges=tuple(judge_figures(votes, j) for j in chosen), agreement=tuple(pairs)
    )


def _columns(v: JudgedVotes) -> tuple[IntArray, IntArray, IntArray, NDArray[np.int8]]:
    return v.prompt, v.a, v.b, v.outcome
