"""Command-line tool: ``python -m ratings rate VOTES --method … --json`` and ``… bench``.

``rate`` reads a vote file (JSON Lines, optionally gzip-compressed), turns its options into the
method's typed options (:mod:`ratings.engine.options`) and prints the engine's report: one JSON
object, ``{"method", "params", "n_votes", "competitors": [...]}``, competitors best first.
Errors in the input (a bad line, an unknown competitor, a bad option) print one line naming the
problem and exit with status 2. Votes that fall into groups that never met are rated group by
group, with one warning line on standard error naming the separate groups.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn

from ratings.cli.formats import add_format_arguments
from ratings.core import RatingError
from ratings.core.equilibrium.nash import SELECTIONS
from ratings.core.equilibrium.winprob import PRIORS
from ratings.engine import (
    METHODS,
    BradleyTerryOptions,
    DavidsonOptions,
    EloOptions,
    EquilibriumOptions,
    LcWinRateOptions,
    MethodOptions,
    NashOptions,
    OptionsError,
    StyleOptions,
    VoteSelection,
    alpaca,
    rate,
    separate_groups_warning,
)
from ratings.engine.options import DisplayOptions
from ratings.engine.votefile import VoteFileError, drop_summary, read_comparisons

EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with the command line or the data that the user must fix."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _default(options: type[Any], name: str) -> Any:
    """The engine's default for an option, so that the command line states none of its own."""
    return next(f.default for f in fields(options) if f.name == name)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m ratings``."""
    parser = _Parser(prog="python -m ratings", description="Rate competitors from pairwise votes.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    rate = commands.add_parser("rate", help="rate the competitors of a vote file")
    rate.add_argument("votes", type=Path, help="vote file in any format of --format, gzip or not")
    add_format_arguments(rate)
    rate.add_argument("--method", choices=tuple(METHODS), default="bt")
    rate.add_argument(
        "--k",
        type=float,
        default=_default(EloOptions, "k"),
        help="Elo K factor (default %(default)g)",
    )
    rate.add_argument(
        "--scale",
        type=float,
        default=_default(DisplayOptions, "scale"),
        help="display scale (default %(default)g)",
    )
    rate.add_argument(
        "--base",
        type=float,
        default=_default(DisplayOptions, "base"),
        help="display base (default %(default)g)",
    )
    rate.add_argument(
        "--init",
        type=float,
        default=_default(DisplayOptions, "init"),
        help="Elo initial rating; Bradley–Terry mean rating (default %(default)g)",
    )
    rate.add_argument("--anchor", metavar="NAME", help="pin this competitor at --anchor-rating")
    rate.add_argument(
        "--anchor-rating", type=float, metavar="R", help="rating of --anchor (default: --init)"
    )
    rate.add_argument(
        "--bootstrap",
        type=int,
        default=_default(BradleyTerryOptions, "bootstrap"),
        metavar="N",
        help="bootstrap rounds for the intervals (default 0: sandwich intervals "
        "for bt and style-bt, none for elo)",
    )
    rate.add_argument(
        "--ci",
        choices=("sandwich", "fisher"),
        default=_default(BradleyTerryOptions, "ci"),
        help="normal interval used without --bootstrap (default %(default)s)",
    )
    rate.add_argument(
        "--seed",
        type=int,
        default=_default(BradleyTerryOptions, "seed"),
        help="bootstrap seed (default %(default)s)",
    )
    rate.add_argument(
        "--orderings",
        type=int,
        default=_default(EloOptions, "orderings"),
        metavar="N",
        help="elo: the mean over N random orderings drawn from --seed, with their 2.5-97.5 "
        "percentile interval (default 1: one pass in file order)",
    )
    rate.add_argument(
        "--style-features",
        type=_style_features,
        default=_default(StyleOptions, "style_features"),
        metavar="LIST",
        help="style-bt: comma-separated features held equal, from tokens, headers, lists, bold; "
        "length = tokens and markdown = headers,lists,bold, arena-hard's controls "
        "(default: all four)",
    )
    rate.add_argument(
        "--l2",
        type=float,
        default=_default(StyleOptions, "l2"),
        metavar="L",
        help="style-bt: ridge penalty as 1/C of arena-hard's logistic regression; 1 mirrors its "
        "C = 1 (default 0: maximum likelihood)",
    )
    rate.add_argument(
        "--both-bad",
        choices=("tie", "drop"),
        default=_default(DavidsonOptions, "both_bad"),
        help="bt-davidson: count a both-bad verdict as a tie or leave it out (default %(default)s)",
    )
    rate.add_argument(
        "--hard-labels",
        action="store_true",
        help="ignore soft labels (p_b): every vote counts by its winner alone",
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
    _add_equilibrium_arguments(rate)
    _add_lc_winrate_arguments(rate)
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


#: Methods that play over prompts: a vote file without prompt ids is refused for them.
PROMPT_METHODS = frozenset(
    name for name, method in METHODS.items() if method.options is EquilibriumOptions
)


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

        status: int = {"study": study, "replay": replay}[args.command].run_from_args(args)
        return status
    if args.command == "judges":
        from ratings.cli import judges as judges_cli

        return judges_cli.run_from_args(args)
    try:
        report = rate_file(args)
    except (UsageError, OptionsError, VoteFileError, RatingError, OSError) as exc:
        print(f"python -m ratings rate: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    warning = separate_groups_warning(report)
    if warning is not None:
        print(f"python -m ratings rate: warning: {warning}", file=sys.stderr)
    print(json.dumps(report) if args.json else _table(report))
    return 0


def _one_line(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}"
    return " ".join(str(exc).split())


def rate_file(args: argparse.Namespace) -> dict[str, Any]:
    """Read the votes named by ``args`` and rate them; the JSON-ready report."""
    where = dict(_parse_where(item) for item in args.where)
    wanted = _read_names(args.competitors) if args.competitors else None
    dropped: Counter[str] = Counter()
    comparisons = read_comparisons(
        args.votes,
        where=where or None,
        competitors=wanted,
        weight_field=args.weight_field,
        prompt_field=getattr(args, "prompt_axis", None) or "question_id",
        fmt=args.fmt,
        baseline=args.baseline,
        require_prompts=args.method if args.method in PROMPT_METHODS else None,
        dropped=dropped,
    )
    if wanted is not None:
        missing = sorted(set(wanted) - set(comparisons.names))
        if missing:
            raise UsageError(f"unknown competitor {missing[0]!r} (no kept votes in {args.votes})")
    if comparisons.n_comparisons == 0:
        raise UsageError(
            f"{args.votes}: no votes left to rate (every line was left out: "
            f"{drop_summary(dropped)})"
            + (
                ": a vote needs two different competitors"
                if set(dropped) == {"self-battle"}
                else ": loosen --where or --competitors"
            )
        )
    options = options_of(args)
    if args.method == "style-bt" and comparisons.features_a is None:
        raise UsageError(
            f"{args.votes}: style-bt needs tokens_a/_b, header_count_a/_b, "
            "list_count_a/_b and bold_count_a/_b on every vote"
        )
    selection = VoteSelection(
        weight_field=args.weight_field,
        where=where,
        competitors=str(args.competitors) if args.competitors else None,
    )
    return rate(comparisons, args.method, options, selection=selection)


def options_of(args: argparse.Namespace) -> MethodOptions:
    """The typed options of ``args.method`` from a parsed ``rate`` command line."""
    method = METHODS[args.method]
    if args.method == "bt-davidson" and args.bootstrap:
        raise UsageError("--bootstrap is not available for bt-davidson; its intervals are Fisher")
    names = {f.name for f in fields(method.options)}
    if args.method == "lc-winrate":
        return LcWinRateOptions(
            **{name: getattr(args, name) for name in names - {"difficulty", "gamed"}},
            difficulty=None if args.difficulty is None else alpaca.read_difficulty(args.difficulty),
            gamed=() if args.gamed is None else alpaca.read_gamed(args.gamed),
        )
    return method.options(**{name: getattr(args, name) for name in names})


def _add_lc_winrate_arguments(parser: argparse.ArgumentParser) -> None:
    """``--difficulty``, ``--gamed``, ``--gamed-weight`` and ``--folds`` (``--baseline`` is
    shared with the vote-file options: one baseline model for the file and the method)."""
    group = parser.add_argument_group("lc-winrate (AlpacaEval 2 length-controlled win rate)")
    group.add_argument(
        "--difficulty",
        type=Path,
        metavar="CSV",
        help="AlpacaEval's instruction_difficulty.csv (prompt id, difficulty); without it the "
        "difficulty term is left out",
    )
    group.add_argument(
        "--gamed",
        type=Path,
        metavar="CSV",
        help="AlpacaEval's df_gamed.csv: gamed-baseline rows that regularise the fit "
        "(needs --difficulty)",
    )
    group.add_argument(
        "--gamed-weight",
        type=float,
        default=_default(LcWinRateOptions, "gamed_weight"),
        metavar="LAMBDA",
        help="weight of the gamed-baseline rows (default %(default)g)",
    )
    group.add_argument(
        "--folds",
        type=int,
        default=_default(LcWinRateOptions, "folds"),
        help="cross-validation folds choosing the penalty (default %(default)s)",
    )


def _add_equilibrium_arguments(parser: argparse.ArgumentParser) -> None:
    """``--prompt-axis``, ``--alpha``, ``--prior`` and ``--selection``."""
    group = parser.add_argument_group("equilibrium and Nash-averaging options")
    group.add_argument(
        "--prompt-axis",
        default=_default(EquilibriumOptions, "prompt_axis"),
        metavar="FIELD",
        help="vote field that groups votes into the prompt player's actions: a prompt id, a "
        "category or a cluster (default: question_id)",
    )
    group.add_argument(
        "--alpha",
        type=float,
        default=_default(EquilibriumOptions, "alpha"),
        metavar="A",
        help="pseudo-count toward the prior win probability (default: 1)",
    )
    group.add_argument(
        "--prior",
        choices=PRIORS,
        default=_default(EquilibriumOptions, "prior"),
        help="prior win probability: 1/2 (keeps copy invariance exact) or the prompt-agnostic "
        "Bradley-Terry prediction (default: half)",
    )
    group.add_argument(
        "--selection",
        choices=SELECTIONS,
        default=_default(NashOptions, "selection"),
        help="nash only: maximum affinity entropy (copy-proof) or maximum Shannon entropy",
    )


def _style_features(value: str) -> tuple[str, ...]:
    """``tokens,headers`` as a tuple; the options check the names."""
    return tuple(name.strip() for name in value.split(",") if name.strip())


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
    group = 0
    for row in report["competitors"]:
        if row.get("group", 0) != group:
            group = row["group"]
            lines.append(f"  separate group {group} (not comparable with the main group):")
        ci = "" if row["ci_low"] is None else f"  [{row['ci_low']:.1f}, {row['ci_high']:.1f}]"
        lines.append(
            f"{row['rank']:>4} {row['rank_upper']:>4}  {row['rating']:9.2f}{ci}  {row['name']}"
        )
    return "\n".join(lines)
