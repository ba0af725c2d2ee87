"""Command-line tool: ``python -m ratings rate VOTES --method … --json`` and ``… bench``.

``rate`` reads a vote file (JSON Lines, optionally gzip-compressed) and prints one JSON object,
``{"method", "params", "n_votes", "competitors": [...]}``, competitors best first. Errors in
the input (a bad line, an unknown competitor, a bad option) print one line naming the problem
and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ratings.core import (
    Comparisons,
    RatingError,
    bootstrap,
    bradley_terry,
    covariance,
    davidson,
    davidson_intervals,
    elo,
    elo_bootstrap,
    normal_intervals,
    predicted_win_rates,
    style_bradley_terry,
    style_intervals,
    to_ratings,
)
from ratings.core.separation import (
    leader_group,
    simultaneous_intervals,
    simultaneous_ranks,
    votes_to_separate,
    win_probability_intervals,
)
from ratings.core.types import BradleyTerryResult, FloatArray, Intervals
from ratings.engine.report import (
    competitor_rows,
    outcome_rates,
    rating_report,
    votes_per_competitor,
)
from ratings.engine.votefile import VoteFileError, read_comparisons

try:
    from ratings.engine import equilibrium as equilibrium_cli  # type: ignore[attr-defined,unused-ignore]
except ImportError:
    equilibrium_cli = None

CORE_METHODS = ("elo", "bt", "style-bt", "bt-davidson")
EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with the command line or the data that the user must fix."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m ratings``."""
    parser = _Parser(prog="python -m ratings", description="Rate competitors from pairwise votes.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    rate = commands.add_parser("rate", help="rate the competitors of a vote file")
    extra = () if equilibrium_cli is None else tuple(equilibrium_cli.METHODS)
    rate.add_argument("votes", type=Path, help="vote file, JSON Lines, optionally .gz")
    rate.add_argument("--method", choices=CORE_METHODS + extra, default="bt")
    rate.add_argument("--k", type=float, default=4.0, help="Elo K factor (default 4)")
    rate.add_argument("--scale", type=float, default=400.0, help="display scale (default 400)")
    rate.add_argument("--base", type=float, default=10.0, help="display base (default 10)")
    rate.add_argument(
        "--init",
        type=float,
        default=1000.0,
        help="Elo initial rating; Bradley–Terry mean rating (default 1000)",
    )
    rate.add_argument("--anchor", metavar="NAME", help="pin this competitor at --anchor-rating")
    rate.add_argument(
        "--anchor-rating", type=float, metavar="R", help="rating of --anchor (default: --init)"
    )
    rate.add_argument(
        "--bootstrap",
        type=int,
        default=0,
        metavar="N",
        help="bootstrap rounds for the intervals (default 0: sandwich intervals "
        "for bt and style-bt, none for elo)",
    )
    rate.add_argument(
        "--ci",
        choices=("sandwich", "fisher"),
        default="sandwich",
        help="normal interval used without --bootstrap (default sandwich)",
    )
    rate.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    rate.add_argument(
        "--both-bad",
        choices=("tie", "drop"),
        default="tie",
        help="bt-davidson: count a both-bad verdict as a tie or leave it out (default tie)",
    )
    rate.add_argument("--weight-field", metavar="FIELD", help="numeric field repeating a vote")
    rate.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="keep only votes with this field value (repeatable)",
    )
    rate.add_argument(
        "--competitors",
        type=Path,
        metavar="FILE",
        help="file of competitor names, one a line: keep only their games",
    )
    rate.add_argument(
        "--win-rate-vs",
        metavar="NAME",
        help="add each competitor's predicted win rate against NAME, in percent",
    )
    rate.add_argument("--json", action="store_true", help="print one JSON object")
    if equilibrium_cli is not None:
        equilibrium_cli.add_arguments(rate)
    from ratings.cli import judges as judges_cli
    from ratings.lab import replay, simulate, study

    simulation = commands.add_parser("simulate", help="votes a pairing policy needs, simulated")
    simulate.add_arguments(simulation)
    study.add_arguments(
        commands.add_parser("study", help="pairing policies over many seeds: votes to τ, a plot")
    )
    replay.add_arguments(
        commands.add_parser("replay", help="a pairing policy replayed on real votes")
    )
    judges = commands.add_parser("judges", help="report how far to trust each judge")
    judges_cli.add_arguments(judges)
    bench = commands.add_parser("bench", help="time the rating core against arena-rank")
    from ratings.lab import bench as bench_module

    bench_module.add_arguments(bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "bench":
        from ratings.lab import bench as bench_module

        return bench_module.run_from_args(args)
    if args.command == "simulate":
        from ratings.lab import simulate

        return simulate.run_from_args(args)
    if args.command in ("study", "replay"):
        from ratings.lab import replay, study

        return {"study": study, "replay": replay}[args.command].run_from_args(args)
    if args.command == "judges":
        from ratings.cli import judges as judges_cli

        return judges_cli.run_from_args(args)
    try:
        report = rate_file(args)
    except (UsageError, VoteFileError, RatingError, OSError) as exc:
        print(f"python -m ratings rate: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(report) if args.json else _table(report))
    return 0


def method_args(method: str, options: Sequence[str] = ()) -> argparse.Namespace:
    """The parsed arguments of ``rate - --method METHOD [options]``: every default filled in.

    Raises UsageError (not SystemExit) for an unknown method or option, for callers that are
    not the command line.
    """
    try:
        return build_parser().parse_args(["rate", "-", "--method", method, *options])
    except SystemExit:
        raise UsageError(
            f"method {method!r} with options {list(options)} is not available"
        ) from None


def _one_line(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}"
    return " ".join(str(exc).split())


def rate_file(args: argparse.Namespace) -> dict[str, Any]:
    """Read the votes named by ``args`` and rate them; the JSON-ready report."""
    where = dict(_parse_where(item) for item in args.where)
    wanted = _read_names(args.competitors) if args.competitors else None
    comparisons = read_comparisons(
        args.votes,
        where=where or None,
        competitors=wanted,
        weight_field=args.weight_field,
        prompt_field=getattr(args, "prompt_axis", None) or "question_id",
    )
    if wanted is not None:
        missing = sorted(set(wanted) - set(comparisons.names))
        if missing:
            raise UsageError(f"unknown competitor {missing[0]!r} (no kept votes in {args.votes})")
    if comparisons.n_comparisons == 0:
        raise UsageError(f"{args.votes}: no votes left after filtering")
    return rate(comparisons, args)


def rate(comparisons: Comparisons, args: argparse.Namespace) -> dict[str, Any]:
    """Rate comparisons with the method and options of ``args`` (a parsed ``rate`` command).

    The Django side calls this too, with arguments from :func:`method_args`, so a leaderboard
    and the command line give the same numbers for the same votes.
    """
    where = dict(_parse_where(item) for item in args.where)
    for option in ("anchor", "win_rate_vs"):
        name = getattr(args, option)
        if name is not None and name not in comparisons.names:
            raise UsageError(f"unknown competitor {name!r} given to --{option.replace('_', '-')}")
    if args.method not in CORE_METHODS and equilibrium_cli is not None:
        result: dict[str, Any] = equilibrium_cli.rate(args.method, comparisons, args)
        return result
    if args.bootstrap < 0 or not args.base > 1 or not args.scale > 0:
        raise UsageError("need --bootstrap >= 0, --base > 1 and --scale > 0")
    ratings, low, high, params, extra = _METHOD[args.method](comparisons, args)
    params.update(_common_params(args, where))
    rows = competitor_rows(
        comparisons.names,
        ratings,
        ci_low=low,
        ci_high=high,
        n_votes=votes_per_competitor(comparisons.n_items, comparisons.a, comparisons.b),
    )
    ties, both_bad = outcome_rates(
        comparisons.n_items, comparisons.a, comparisons.b, comparisons.outcome, comparisons.weight
    )
    ranks = extra.pop("rank_intervals", None)
    for row in rows:
        k = comparisons.names.index(row["name"])
        row["tie_rate"] = None if np.isnan(ties[k]) else float(ties[k])
        row["both_bad_rate"] = None if np.isnan(both_bad[k]) else float(both_bad[k])
        if ranks is not None:
            row["rank_best"], row["rank_worst"] = ranks[row["name"]]
    if args.win_rate_vs is not None:
        rates = predicted_win_rates(comparisons.names, ratings, base=args.base, scale=args.scale)
        column = rates.matrix[:, comparisons.names.index(args.win_rate_vs)]
        for row in rows:
            row["win_rate_vs"] = 100.0 * float(column[comparisons.names.index(row["name"])])
    return rating_report(args.method, params, comparisons.n_comparisons, rows, **extra)


Rated = tuple[FloatArray, FloatArray | None, FloatArray | None, dict[str, Any], dict[str, Any]]


def _rate_elo(comparisons: Comparisons, args: argparse.Namespace) -> Rated:
    settings = {"initial": args.init, "base": args.base, "scale": args.scale, "k": args.k}
    ratings = elo(comparisons, **settings).ratings
    low = high = None
    if args.bootstrap:
        ci = elo_bootstrap(comparisons, n_resamples=args.bootstrap, rng=args.seed, **settings)
        low, high = ci.low, ci.high
    params = {
        "k": args.k,
        "scale": args.scale,
        "base": args.base,
        "init": args.init,
        "ci": "bootstrap" if args.bootstrap else None,
    }
    return ratings, low, high, params, {}


def _rate_bt(comparisons: Comparisons, args: argparse.Namespace) -> Rated:
    style = args.method == "style-bt"
    if style and comparisons.features_a is None:
        raise UsageError(
            f"{args.votes}: style-bt needs tokens_a/_b, header_count_a/_b, "
            "list_count_a/_b and bold_count_a/_b on every vote"
        )
    fit = style_bradley_terry(comparisons) if style else bradley_terry(comparisons)
    anchor = None if args.anchor is None else comparisons.names.index(args.anchor)
    ratings, rating, per_unit = _display(fit.scores, args, anchor)
    ci = _bt_intervals(comparisons, fit, args, anchor=anchor, style=style)
    low = high = None
    if ci is not None:
        low = per_unit * ci.low + rating
        high = per_unit * ci.high + rating
    params = _display_params(args, rating) | {
        "l2": fit.l2,
        "converged": fit.converged,
        "ci": ci.method if ci is not None else None,
    }
    extra: dict[str, Any] = {} if style else _honest_ranks(comparisons, fit)
    if style and fit.coefficients is not None:
        extra["style_coefficients"] = dict(
            zip(fit.feature_names, map(float, fit.coefficients), strict=True)
        )
    return ratings, low, high, params, extra


def _display(
    scores: FloatArray, args: argparse.Namespace, anchor: int | None
) -> tuple[FloatArray, float, float]:
    """Log-strengths on the display scale: ``(ratings, mean or anchor rating, per log unit)``."""
    rating = args.init if args.anchor_rating is None else args.anchor_rating
    per_unit = args.scale / math.log(args.base)
    ratings = to_ratings(scores, anchor=anchor, rating=rating, per_log_unit=per_unit)
    return ratings, rating, per_unit


def _display_params(args: argparse.Namespace, rating: float) -> dict[str, Any]:
    return {
        "anchor": args.anchor,
        "anchor_rating": rating if args.anchor else None,
        "mean_rating": None if args.anchor else rating,
        "scale": args.scale,
        "base": args.base,
    }


def _honest_ranks(comparisons: Comparisons, fit: BradleyTerryResult) -> dict[str, Any]:
    """Simultaneous rank intervals, the leader's group and the votes that would split neighbours.

    From the sandwich covariance whatever the displayed intervals, so that they do not depend on
    the bootstrap's seed.
    """
    cov = covariance(comparisons, fit)
    ranks = simultaneous_ranks(simultaneous_intervals(comparisons, fit, cov=cov))
    wins = win_probability_intervals(fit, cov)
    return {
        "win_probability_intervals": {
            "names": list(fit.names),
            "low": np.round(wins.low, 4).tolist(),
            "high": np.round(wins.high, 4).tolist(),
        },
        "rank_intervals": {
            name: (int(best), int(worst))
            for name, best, worst in zip(ranks.names, ranks.upper, ranks.lower, strict=True)
        },
        "leader_group": sorted(
            leader_group(ranks), key=lambda name: -fit.scores[fit.names.index(name)]
        ),
        "separation": [
            {"a": a, "b": b, "more_votes": more}
            for a, b, more in votes_to_separate(fit, cov, comparisons.n_comparisons)
        ],
    }


def _bt_intervals(
    comparisons: Comparisons,
    fit: BradleyTerryResult,
    args: argparse.Namespace,
    *,
    anchor: int | None,
    style: bool,
) -> Intervals | None:
    if args.bootstrap and style:
        raise UsageError("--bootstrap is not available for style-bt; use --ci sandwich or fisher")
    if args.bootstrap:
        return bootstrap(
            comparisons, n_resamples=args.bootstrap, rng=args.seed, anchor=anchor, point=fit
        )
    if style:
        return style_intervals(comparisons, fit, kind=args.ci, anchor=anchor)
    return normal_intervals(comparisons, fit, kind=args.ci, anchor=anchor)


def _rate_davidson(comparisons: Comparisons, args: argparse.Namespace) -> Rated:
    if args.bootstrap:
        raise UsageError("--bootstrap is not available for bt-davidson; its intervals are Fisher")
    fit = davidson(comparisons, both_bad=args.both_bad)
    anchor = None if args.anchor is None else comparisons.names.index(args.anchor)
    ratings, rating, per_unit = _display(fit.scores, args, anchor)
    low, high = davidson_intervals(comparisons, fit, both_bad=args.both_bad)
    shift = ratings - per_unit * fit.scores  # the gauge and offset to_ratings applied
    params = _display_params(args, rating) | {
        "both_bad": args.both_bad,
        "converged": fit.converged,
        "ci": "fisher",
    }
    extra = {"tie_parameter": fit.nu, "tie_probability_between_equals": fit.nu / (2.0 + fit.nu)}
    return ratings, per_unit * low + shift, per_unit * high + shift, params, extra


_METHOD = {"elo": _rate_elo, "bt": _rate_bt, "style-bt": _rate_bt, "bt-davidson": _rate_davidson}


def _common_params(args: argparse.Namespace, where: dict[str, str]) -> dict[str, Any]:
    return {
        "bootstrap": args.bootstrap,
        "seed": args.seed if args.bootstrap else None,
        "weight_field": args.weight_field,
        "where": where,
        "competitors": str(args.competitors) if args.competitors else None,
    }


def _parse_where(item: str) -> tuple[str, str]:
    field, sep, value = item.partition("=")
    if not sep or not field:
        raise UsageError(f"--where needs FIELD=VALUE, got {item!r}")
    return field, value


def _read_names(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as handle:
        names = {line.strip() for line in handle if line.strip()}
    if not names:
        raise UsageError(f"{path}: no competitor names")
    return names


def _table(report: dict[str, Any]) -> str:
    lines = [f"{report['method']}: {report['n_votes']} votes"]
    for row in report["competitors"]:
        ci = "" if row["ci_low"] is None else f"  [{row['ci_low']:.1f}, {row['ci_high']:.1f}]"
        lines.append(
            f"{row['rank']:>4} {row['rank_upper']:>4}  {row['rating']:9.2f}{ci}  {row['name']}"
        )
    return "\n".join(lines)
