"""The rating methods of the core behind one call: votes and typed options in, the report out.

:data:`METHODS` is the one list of methods: the command line offers its names, leaderboards
store them, and the pages label them from it. :func:`rate` is what ``python -m ratings rate``
and the server's rating jobs both call, so a board and the command line give the same numbers
for the same votes.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import LinAlgWarning

from ratings.core import (
    AUTO_L2,
    LC_FEATURES,
    ComparisonGroups,
    Comparisons,
    GamedBaselines,
    bootstrap,
    bradley_terry,
    comparison_groups,
    covariance,
    davidson,
    davidson_intervals,
    elo,
    elo_bootstrap,
    elo_orderings,
    length_controlled_win_rates,
    normal_intervals,
    predicted_win_rates,
    style_bradley_terry,
    style_intervals,
    to_ratings,
)
from ratings.core.intervals import rank_intervals
from ratings.core.separation import (
    leader_group,
    simultaneous_intervals,
    simultaneous_ranks,
    votes_to_separate,
    win_probability_intervals,
)
from ratings.core.types import BradleyTerryResult, FloatArray, Intervals, RankIntervals
from ratings.engine import equilibrium
from ratings.engine.options import (
    STYLE_FEATURE_COLUMNS,
    BradleyTerryOptions,
    DavidsonOptions,
    DisplayOptions,
    EloOptions,
    EquilibriumOptions,
    LcWinRateOptions,
    MethodOptions,
    NashOptions,
    OptionsError,
    StyleOptions,
    VoteSelection,
    options_from_json,
)
from ratings.engine.report import (
    competitor_rows,
    outcome_rates,
    rating_report,
    votes_per_competitor,
)

Rated = tuple[FloatArray, FloatArray | None, FloatArray | None, dict[str, Any], dict[str, Any]]


@dataclass(frozen=True)
class BradleyTerryState:
    """What a ``bt`` fit knows beyond its board: each competitor's log-strength (centred) and
    the diagonal of its sandwich covariance, for the adaptive pairing policies."""

    names: tuple[str, ...]
    scores: FloatArray
    variances: FloatArray


@dataclass(frozen=True)
class MethodOutput:
    """A method's report, and for ``bt`` the fit's state."""

    report: dict[str, Any]
    state: BradleyTerryState | None = None


@dataclass(frozen=True)
class Method:
    """One rating method: its name, the label pages show, its options and how it rates.

    ``board`` says whether a leaderboard can run it; ``board_note`` says why not. ``counted``
    says that it takes counted rows (``Comparisons.count``, votes merged by a ``GROUP BY``)
    and gives the numbers of the votes one by one: it reads the votes through sums that do
    not depend on their order, and its intervals through the cells of
    :func:`~ratings.core.pairs.aggregate`, which hold the counted verdicts.
    """

    name: str
    label: str
    options: type[MethodOptions]
    compute: Callable[[Comparisons, Any, VoteSelection], MethodOutput]
    board: bool = True
    board_note: str = ""
    counted: bool = False


def rate(
    comparisons: Comparisons,
    method: str,
    options: MethodOptions | None = None,
    *,
    selection: VoteSelection | None = None,
) -> dict[str, Any]:
    """Rate ``comparisons`` with ``method`` under ``options`` (the method's defaults if None).

    Returns the report of :mod:`ratings.engine.report`. Raises :class:`OptionsError` for an
    unknown method, options of another method's type, or a competitor the votes lack, and
    ``RatingError`` when the core cannot fit the votes.
    """
    return rate_with_state(comparisons, method, options, selection=selection).report


def rate_with_state(
    comparisons: Comparisons,
    method: str,
    options: MethodOptions | None = None,
    *,
    selection: VoteSelection | None = None,
) -> MethodOutput:
    """:func:`rate`, keeping the ``bt`` fit's log-strengths and sandwich variances beside the
    report (the rating job hands them to the arena's pairing without a second fit)."""
    spec = method_get(method)
    chosen = spec.options() if options is None else options
    if not isinstance(chosen, spec.options):
        raise OptionsError(f"method {method!r} takes {spec.options.__name__}")
    for option in ("anchor", "win_rate_vs", "baseline"):
        name = getattr(chosen, option, None)
        if name is not None and name not in comparisons.names:
            raise OptionsError(f"unknown competitor {name!r} given to --{option.replace('_', '-')}")
    n_soft = (
        0
        if comparisons.p_b is None
        else round(float(np.sum(comparisons.counts[~np.isnan(comparisons.p_b)])))
    )
    if chosen.hard_labels:
        comparisons = comparisons.hard_labels()
    output = spec.compute(comparisons, chosen, selection or VoteSelection())
    output.report["params"] |= {
        "hard_labels": chosen.hard_labels,
        "n_soft_labels": 0 if chosen.hard_labels else n_soft,
    }
    return output


def method_get(name: str) -> Method:
    """The method called ``name``; :class:`OptionsError` naming the known ones otherwise."""
    try:
        return METHODS[name]
    except KeyError:
        raise OptionsError(
            f"unknown method {name!r}; expected one of {', '.join(METHODS)}"
        ) from None


def method_options(name: str, data: Mapping[str, Any] | None = None) -> MethodOptions:
    """The options of method ``name`` from a stored JSON object (defaults where it is silent)."""
    return options_from_json(method_get(name).options, dict(data or {}))


def _core_report(
    method: str,
    comparisons: Comparisons,
    options: EloOptions | BradleyTerryOptions | DavidsonOptions,
    selection: VoteSelection,
    rated: Rated,
) -> dict[str, Any]:
    """The report of the four core methods: rows with outcome rates, rank intervals and the
    predicted win rate against ``win_rate_vs`` when asked for.

    When the votes form groups that never met (``extra["groups"]``, else found here), the rows
    come group by group, main group first, each ranked within its group and labelled with
    ``group``; ``separate_groups`` names the others (:func:`separate_groups_warning`).
    """
    ratings, low, high, params, extra = rated
    groups = extra.pop("groups", None) or _groups_of_votes(comparisons)
    bootstrap_rounds = getattr(options, "bootstrap", 0)
    params.update(
        {
            "bootstrap": bootstrap_rounds,
            "seed": getattr(options, "seed", 0) if bootstrap_rounds else None,
            "weight_field": selection.weight_field,
            "where": dict(selection.where),
            "competitors": selection.competitors,
        }
    )
    n_votes = votes_per_competitor(
        comparisons.n_items, comparisons.a, comparisons.b, comparisons.counts
    )
    rows = _grouped_rows(comparisons.names, ratings, low, high, n_votes=n_votes, groups=groups)
    if groups is not None:
        extra["separate_groups"] = _separate_groups(groups, n_votes)
    ties, both_bad = outcome_rates(
        comparisons.n_items,
        comparisons.a,
        comparisons.b,
        comparisons.outcome,
        comparisons.total_weight,
    )
    ranks = extra.pop("rank_intervals", None)
    for row in rows:
        k = comparisons.names.index(row["name"])
        row["tie_rate"] = None if np.isnan(ties[k]) else float(ties[k])
        row["both_bad_rate"] = None if np.isnan(both_bad[k]) else float(both_bad[k])
        if ranks is not None:
            row["rank_best"], row["rank_worst"] = ranks[row["name"]]
    if options.win_rate_vs is not None:
        rates = predicted_win_rates(
            comparisons.names, ratings, base=options.base, scale=options.scale
        )
        column = rates.matrix[:, comparisons.names.index(options.win_rate_vs)]
        for row in rows:
            row["win_rate_vs"] = 100.0 * float(column[comparisons.names.index(row["name"])])
    return rating_report(method, params, comparisons.n_verdicts, rows, **extra)


def _groups_of_votes(comparisons: Comparisons) -> ComparisonGroups | None:
    """The groups of competitors that never met, when there is more than one."""
    weight = comparisons.total_weight
    met = (comparisons.a != comparisons.b) & (weight > 0)
    found = comparison_groups(
        comparisons.names, comparisons.a[met], comparisons.b[met], weight[met]
    )
    return None if found.connected else found


def _fitted_groups(
    names: tuple[str, ...], labels: Any, anchor: int | None
) -> ComparisonGroups | None:
    """A fit's groups, with the anchor's group as the main one when there is an anchor."""
    if labels is None:
        return None
    groups = ComparisonGroups(names, labels)
    return groups if anchor is None else groups.with_main(anchor)


def _grouped_rows(
    names: tuple[str, ...],
    ratings: FloatArray,
    low: FloatArray | None,
    high: FloatArray | None,
    *,
    n_votes: FloatArray,
    groups: ComparisonGroups | None,
) -> list[dict[str, Any]]:
    """The rows, best first; by groups, main group first, each ranked within its group."""
    if groups is None:
        return competitor_rows(names, ratings, ci_low=low, ci_high=high, n_votes=n_votes)
    rows: list[dict[str, Any]] = []
    for g in range(groups.n_groups):
        k = groups.members(g)
        part = competitor_rows(
            [names[m] for m in k],
            ratings[k],
            ci_low=None if low is None else low[k],
            ci_high=None if high is None else high[k],
            n_votes=n_votes[k],
        )
        rows.extend(row | {"group": g} for row in part)
    return rows


def _separate_groups(groups: ComparisonGroups, n_votes: FloatArray) -> list[dict[str, Any]]:
    return [
        {
            "group": g,
            "competitors": [groups.names[k] for k in groups.members(g)],
            "n_votes": round(float(n_votes[groups.members(g)].sum()) / 2),
        }
        for g in range(1, groups.n_groups)
    ]


def separate_groups_warning(report: Mapping[str, Any]) -> str | None:
    """One line saying which competitors never met the main group, or None when all did."""
    separate = report.get("separate_groups")
    if not separate:
        return None
    listed = "; ".join(", ".join(group["competitors"]) for group in separate)
    return (
        f"the votes form {len(separate) + 1} groups that never met, directly or through others; "
        f"ratings in a separate group ({listed}) are placed on the main group's average and "
        "cannot be compared with the main group"
    )


def _rate_elo(
    comparisons: Comparisons, options: EloOptions, selection: VoteSelection
) -> MethodOutput:
    comparisons.require_rows("online Elo")  # in the votes' order
    settings = {
        "initial": options.init,
        "base": options.base,
        "scale": options.scale,
        "k": options.k,
    }
    low = high = None
    if options.orderings > 1:
        spread = elo_orderings(
            comparisons, n_orderings=options.orderings, rng=options.seed, **settings
        )
        ratings, low, high = spread.ratings, spread.low, spread.high
    else:
        ratings = elo(
            comparisons, initial=options.init, base=options.base, scale=options.scale, k=options.k
        ).ratings
    if options.bootstrap:
        ci = elo_bootstrap(comparisons, n_resamples=options.bootstrap, rng=options.seed, **settings)
        low, high = ci.low, ci.high
    params = {
        "k": options.k,
        "scale": options.scale,
        "base": options.base,
        "init": options.init,
        "orderings": options.orderings,
        "orderings_seed": options.seed if options.orderings > 1 else None,
        "ci": "bootstrap" if options.bootstrap else "orderings" if options.orderings > 1 else None,
    }
    rated: Rated = (ratings, low, high, params, {})
    return MethodOutput(_core_report("elo", comparisons, options, selection, rated))


def _rate_bt(
    comparisons: Comparisons, options: BradleyTerryOptions, selection: VoteSelection
) -> MethodOutput:
    rated, state = _bt(comparisons, options, style=False)
    return MethodOutput(_core_report("bt", comparisons, options, selection, rated), state)


def _rate_style_bt(
    comparisons: Comparisons, options: StyleOptions, selection: VoteSelection
) -> MethodOutput:
    comparisons.require_rows("style control")  # each answer's own features
    columns = [STYLE_FEATURE_COLUMNS[name] for name in options.style_features]
    if comparisons.features_a is None or comparisons.features_b is None:
        raise OptionsError(
            "style-bt needs tokens_a/_b, header_count_a/_b, "
            "list_count_a/_b and bold_count_a/_b on every vote"
        )
    missing = [name for name in columns if name not in comparisons.feature_names]
    if missing:
        raise OptionsError(f"style-bt: the votes carry no {missing[0]} feature")
    picked = [comparisons.feature_names.index(name) for name in columns]
    held_equal = dataclasses.replace(
        comparisons,
        features_a=comparisons.features_a[:, picked],
        features_b=comparisons.features_b[:, picked],
        feature_names=tuple(columns),
    )
    rated, _ = _bt(held_equal, options, style=True)
    return MethodOutput(_core_report("style-bt", comparisons, options, selection, rated))


def _bt(
    comparisons: Comparisons, options: BradleyTerryOptions, *, style: bool
) -> tuple[Rated, BradleyTerryState | None]:
    """The fit on the display scale; without style control also the fit's state for pairing.

    Votes that fall into groups that never met are fitted group by group (each group's mean at
    the main group's), so that no vote can stop a board.
    """
    fit = (
        _style_fit(comparisons, options)
        if style
        else bradley_terry(comparisons, on_disconnected="groups")
    )
    anchor = None if options.anchor is None else comparisons.names.index(options.anchor)
    groups = _fitted_groups(fit.names, fit.groups, anchor)
    if groups is not None:
        fit = dataclasses.replace(fit, groups=groups.labels)
    ratings, rating, per_unit = _display(fit.scores, options, anchor)
    # the sandwich covariance, computed once for the intervals and the honest ranks
    cov = None if style else covariance(comparisons, fit)
    ci = _bt_intervals(comparisons, fit, options, anchor=anchor, style=style, cov=cov)
    low = high = None
    if ci is not None:
        low = per_unit * ci.low + rating
        high = per_unit * ci.high + rating
    params = _display_params(options, rating) | {
        "l2": fit.l2,
        "converged": fit.converged,
        "ci": ci.method if ci is not None else None,
    }
    if isinstance(options, StyleOptions):
        params |= {"l2": options.l2, "style_features": list(options.style_features)}
    if cov is None:  # style control
        extra: dict[str, Any] = {"groups": groups}
        if fit.coefficients is not None:
            extra["style_coefficients"] = dict(
                zip(fit.feature_names, map(float, fit.coefficients), strict=True)
            )
        return (ratings, low, high, params, extra), None
    state = BradleyTerryState(fit.names, fit.scores, cov.diagonal().copy())
    honest = _honest_ranks(comparisons, fit, cov, groups) | {"groups": groups}
    return (ratings, low, high, params, honest), state


def _style_fit(comparisons: Comparisons, options: BradleyTerryOptions) -> BradleyTerryResult:
    """The style-controlled fit.

    With ``--l2``, the penalty is 1/C of arena-hard's logistic regression: that regression sees
    every verdict twice (a tie as a win and a loss) and the strengths on ±ln(base) columns, so
    its penalty is half ``l2`` per verdict, on strengths in units of ln(base). Without it, the
    maximum-likelihood fit (by groups when the votes fall into groups that never met); when
    that estimate does not exist (someone won every game, or a style difference that only one
    pair's votes vary), the fit with the ridge :data:`AUTO_L2`, as ``bt`` does, so that such
    votes cannot stop the board either.
    """
    l2 = options.l2 if isinstance(options, StyleOptions) else 0.0
    groups = _groups_of_votes(comparisons)
    labels = None if groups is None else groups.labels
    if l2 > 0:
        fit = style_bradley_terry(comparisons, l2=l2 / 2.0, score_unit=math.log(options.base))
        return dataclasses.replace(fit, groups=labels)
    try:
        with warnings.catch_warnings():  # an ill-conditioned solve is checked for right below
            warnings.simplefilter("ignore", LinAlgWarning)
            found: BradleyTerryResult | None = style_bradley_terry(
                comparisons, on_disconnected="groups"
            )
    except np.linalg.LinAlgError:
        found = None
    if found is None or not found.converged or not np.all(np.isfinite(found.scores)):
        return dataclasses.replace(style_bradley_terry(comparisons, l2=AUTO_L2), groups=labels)
    return found


def _display(
    scores: FloatArray,
    options: BradleyTerryOptions | DavidsonOptions,
    anchor: int | None,
) -> tuple[FloatArray, float, float]:
    """Log-strengths on the display scale: ``(ratings, mean or anchor rating, per log unit)``."""
    rating = options.init if options.anchor_rating is None else options.anchor_rating
    per_unit = options.scale / math.log(options.base)
    ratings = to_ratings(scores, anchor=anchor, rating=rating, per_log_unit=per_unit)
    return ratings, rating, per_unit


def _display_params(
    options: BradleyTerryOptions | DavidsonOptions, rating: float
) -> dict[str, Any]:
    return {
        "anchor": options.anchor,
        "anchor_rating": rating if options.anchor else None,
        "mean_rating": None if options.anchor else rating,
        "scale": options.scale,
        "base": options.base,
    }


def _honest_ranks(
    comparisons: Comparisons,
    fit: BradleyTerryResult,
    cov: FloatArray,
    groups: ComparisonGroups | None = None,
) -> dict[str, Any]:
    """Simultaneous rank intervals, the leader's group and the votes that would split neighbours.

    From the sandwich covariance whatever the displayed intervals, so that they do not depend on
    the bootstrap's seed. With groups that never met, ranks and neighbours are taken within each
    group, the leader's group in the main one, and no win probability is given across groups.
    """
    if groups is None:
        ranks = simultaneous_ranks(simultaneous_intervals(comparisons, fit, cov=cov))
        separation = votes_to_separate(fit, cov, comparisons.n_verdicts)
        leaders = leader_group(ranks)
    else:
        ranks, separation, leaders = _ranks_by_group(comparisons, fit, cov, groups)
    wins = win_probability_intervals(fit, cov)
    low, high = np.round(wins.low, 4), np.round(wins.high, 4)
    if groups is not None:
        across = groups.labels[:, None] != groups.labels[None, :]
        low, high = np.where(across, np.nan, low), np.where(across, np.nan, high)
    return {
        "win_probability_intervals": {
            "names": list(fit.names),
            "low": [[None if np.isnan(x) else float(x) for x in row] for row in low],
            "high": [[None if np.isnan(x) else float(x) for x in row] for row in high],
        },
        "rank_intervals": {
            name: (int(best), int(worst))
            for name, best, worst in zip(ranks.names, ranks.upper, ranks.lower, strict=True)
        },
        "leader_group": sorted(leaders, key=lambda name: -fit.scores[fit.names.index(name)]),
        "separation": [{"a": a, "b": b, "more_votes": more} for a, b, more in separation],
    }


def _ranks_by_group(
    comparisons: Comparisons,
    fit: BradleyTerryResult,
    cov: FloatArray,
    groups: ComparisonGroups,
) -> tuple[RankIntervals, list[tuple[str, str, int | None]], tuple[str, ...]]:
    """Rank intervals, neighbours and the leader's group, each group on its own."""
    together = simultaneous_intervals(comparisons, fit, cov=cov)
    upper, lower = np.zeros(len(fit.names), np.intp), np.zeros(len(fit.names), np.intp)
    separation: list[tuple[str, str, int | None]] = []
    leaders: tuple[str, ...] = ()
    for g in range(groups.n_groups):
        k = groups.members(g)
        names = tuple(fit.names[m] for m in k)
        ranks = rank_intervals(names, together.low[k], together.high[k])
        upper[k], lower[k] = ranks.upper, ranks.lower
        part = dataclasses.replace(fit, names=names, scores=fit.scores[k], groups=None)
        separation += votes_to_separate(part, cov[np.ix_(k, k)], comparisons.n_verdicts)
        if g == 0:
            leaders = leader_group(ranks)
    return RankIntervals(names=fit.names, upper=upper, lower=lower), separation, leaders


def _bt_intervals(
    comparisons: Comparisons,
    fit: BradleyTerryResult,
    options: BradleyTerryOptions,
    *,
    anchor: int | None,
    style: bool,
    cov: FloatArray | None = None,
) -> Intervals | None:
    if options.bootstrap and style:
        raise OptionsError("--bootstrap is not available for style-bt; use --ci sandwich or fisher")
    if options.bootstrap:
        return bootstrap(
            comparisons, n_resamples=options.bootstrap, rng=options.seed, anchor=anchor, point=fit
        )
    if style:
        return style_intervals(comparisons, fit, kind=options.ci, anchor=anchor)
    sandwich = cov if options.ci == "sandwich" else None
    return normal_intervals(comparisons, fit, kind=options.ci, anchor=anchor, cov=sandwich)


def _rate_davidson(
    comparisons: Comparisons, options: DavidsonOptions, selection: VoteSelection
) -> MethodOutput:
    fit = davidson(comparisons, both_bad=options.both_bad, on_disconnected="groups")
    anchor = None if options.anchor is None else comparisons.names.index(options.anchor)
    groups = _fitted_groups(fit.names, fit.groups, anchor)
    ratings, rating, per_unit = _display(fit.scores, options, anchor)
    low, high = davidson_intervals(comparisons, fit, both_bad=options.both_bad)
    shift = ratings - per_unit * fit.scores  # the gauge and offset to_ratings applied
    params = _display_params(options, rating) | {
        "both_bad": options.both_bad,
        "converged": fit.converged,
        "ci": "fisher",
    }
    extra = {
        "tie_parameter": fit.nu,
        "tie_probability_between_equals": fit.nu / (2.0 + fit.nu),
        "groups": groups,
    }
    rated = (ratings, per_unit * low + shift, per_unit * high + shift, params, extra)
    return MethodOutput(_core_report("bt-davidson", comparisons, options, selection, rated))


def _rate_nash(
    comparisons: Comparisons, options: NashOptions, selection: VoteSelection
) -> MethodOutput:
    return MethodOutput(equilibrium.rate_nash(comparisons, options))


def _rate_equilibrium_ne(
    comparisons: Comparisons, options: EquilibriumOptions, selection: VoteSelection
) -> MethodOutput:
    return MethodOutput(equilibrium.rate_equilibrium("equilibrium-ne", comparisons, options))


def _rate_equilibrium_cce(
    comparisons: Comparisons, options: EquilibriumOptions, selection: VoteSelection
) -> MethodOutput:
    return MethodOutput(equilibrium.rate_equilibrium("equilibrium-cce", comparisons, options))


def _rate_lc_winrate(
    comparisons: Comparisons, options: LcWinRateOptions, selection: VoteSelection
) -> MethodOutput:
    """AlpacaEval 2's length-controlled win rate: ratings are percentages against the baseline;
    competitors that never met the baseline are left out and named in ``not_rated``."""
    comparisons.require_rows("lc-winrate")
    if comparisons.length_a is None or comparisons.length_b is None:
        raise OptionsError(
            "lc-winrate needs each answer's length in characters (len_a and len_b, or "
            "answer_a and answer_b) on every vote"
        )
    difficulty = None
    if options.difficulty is not None:
        missing = [q for q in comparisons.prompt_names if q not in options.difficulty]
        if missing:
            raise OptionsError(f"no difficulty for prompt {missing[0]!r}")
        difficulty = np.array([options.difficulty[q] for q in comparisons.prompt_names])
    gamed = None
    if options.gamed:
        rows = np.asarray(options.gamed, dtype=np.float64).reshape(-1, 3)
        gamed = GamedBaselines(rows[:, 0], rows[:, 1], rows[:, 2], weight=options.gamed_weight)
    try:
        fit = length_controlled_win_rates(
            comparisons,
            str(options.baseline),
            difficulty=difficulty,
            gamed=gamed,
            n_splits=options.folds,
        )
    except ValueError as error:  # too few games for the folds: the data's problem, not a bug
        raise OptionsError(f"lc-winrate: {error}") from None
    rated = np.flatnonzero(~np.isnan(fit.lc_win_rate))
    names = [fit.names[k] for k in rated]
    rows_out = competitor_rows(names, fit.lc_win_rate[rated], n_votes=fit.n_games[rated])
    for row in rows_out:
        k = fit.names.index(row["name"])
        row["win_rate"] = float(fit.win_rate[k])
        if k != fit.names.index(fit.baseline):
            row["coefficients"] = dict(
                zip(LC_FEATURES, map(float, fit.coefficients[k]), strict=True)
            )
            row["c"] = float(fit.c[k])
    params = {
        "baseline": fit.baseline,
        "units": "percent: length-controlled win rate against the baseline",
        "glm": "length_controlled_v1"
        if gamed is not None
        else ("length_controlled_noreg" if difficulty is not None else "length_controlled_minimal"),
        "gamed_weight": options.gamed_weight if gamed is not None else None,
        "folds": options.folds,
        "weight_field": selection.weight_field,
        "where": dict(selection.where),
        "competitors": selection.competitors,
    }
    not_rated = sorted(set(fit.names) - set(names))
    report = rating_report(
        "lc-winrate", params, comparisons.n_comparisons, rows_out, not_rated=not_rated
    )
    return MethodOutput(report)


#: Every rating method, in the order the command line and the pages list them.
METHODS: Mapping[str, Method] = {
    m.name: m
    for m in (
        Method("elo", "Elo", EloOptions, _rate_elo),
        Method("bt", "Bradley–Terry", BradleyTerryOptions, _rate_bt, counted=True),
        Method("style-bt", "Style-controlled", StyleOptions, _rate_style_bt),
        Method(
            "bt-davidson",
            "Bradley–Terry (ties modelled)",
            DavidsonOptions,
            _rate_davidson,
            counted=True,
        ),
        Method("nash", "Nash averaging", NashOptions, _rate_nash, counted=True),
        Method(
            "equilibrium-ne",
            "Equilibrium (NE)",
            EquilibriumOptions,
            _rate_equilibrium_ne,
            counted=True,
        ),
        Method(
            "equilibrium-cce",
            "Equilibrium (CCE)",
            EquilibriumOptions,
            _rate_equilibrium_cce,
            counted=True,
        ),
        Method(
            "lc-winrate",
            "Length-controlled win rate",
            LcWinRateOptions,
            _rate_lc_winrate,
            board=False,
            board_note="it rates against a baseline, answer lengths and AlpacaEval's prompt "
            "difficulties, none of which a leaderboard has",
        ),
    )
}

__all__ = [
    "METHODS",
    "BradleyTerryState",
    "DisplayOptions",
    "Method",
    "MethodOutput",
    "method_get",
    "method_options",
    "rate",
    "rate_with_state",
    "separate_groups_warning",
]
