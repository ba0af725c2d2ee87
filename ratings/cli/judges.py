"""``python -m ratings judges VOTES --json``: how far to trust each judge of a vote file.

Prints ``{"judges": [{"name", "n_votes", "position_consistency", "first_position_win_share",
"transitivity_violation_share", "length_coefficient", "notes", …}], "agreement": [{"a", "b",
"n_shared", "agreement", "kappa"}]}``. Votes whose ``judge`` starts with ``crowd:`` count as one
judge, ``crowd``, unless ``--per-voter``. The answer shown first is ``model_b`` when the record
says ``"position_swapped": true``, else ``model_a``. Answer lengths come from ``tokens_a/_b``,
else ``len_a/_b``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ratings.cli.formats import add_format_arguments
from ratings.core.errors import RatingError
from ratings.core.judges import JudgedVotes, soft_verdicts
from ratings.engine.report import judge_report_of
from ratings.engine.votefile import (
    WINNERS,
    VoteFileError,
    VoteFilter,
    drop_summary,
    iter_records,
    prompt_key,
)

EXIT_USAGE = 2
LENGTH_FIELDS = ("tokens", "len")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("votes", type=Path, help="vote file in any format of --format, gzip or not")
    add_format_arguments(parser)
    parser.add_argument(
        "--per-voter", action="store_true", help="report each crowd voter as its own judge"
    )
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="keep only votes with this field value (repeatable)",
    )
    parser.add_argument(
        "--hard-labels",
        action="store_true",
        help="ignore soft labels (p_b); by default a soft label counts as the verdict it favours",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def judge_name(record: dict[str, Any], *, per_voter: bool) -> str:
    """The judge a record counts for: the crowd is one judge unless asked otherwise."""
    name = str(record.get("judge") or "unknown")
    return "crowd" if name.startswith("crowd:") and not per_voter else name


def read_judged_votes(
    path: Path,
    *,
    per_voter: bool = False,
    where: dict[str, str] | None = None,
    hard_labels: bool = False,
    fmt: str = "auto",
    baseline: str | None = None,
    dropped: Counter[str] | None = None,
) -> JudgedVotes:
    """Read a vote file with its judges, screen order and answer lengths; a soft label ``p_b``
    counts as the verdict it favours (:func:`soft_verdicts`) unless ``hard_labels``.

    A vote without ``question_id`` is refused: position consistency pairs the two screen
    orders of one battle by prompt, and votes without one would all count as one prompt.
    """
    keep = VoteFilter(where=where)
    names: dict[str, int] = {}
    judges: dict[str, int] = {}
    prompts: dict[str, int] = {}
    columns: dict[str, list[Any]] = {k: [] for k in ("judge", "prompt", "a", "b", "first", "o")}
    lengths: list[tuple[float, float]] | None = []
    soft: list[float] = []
    for number, record in iter_records(path, fmt, baseline=baseline):
        reason = keep.drop_reason(record)
        if reason is not None:
            if dropped is not None:
                dropped[reason] += 1
            continue
        question = prompt_key(record)
        if question is None:
            raise VoteFileError(
                path,
                number,
                "no 'question_id': judges pairs the two screen orders of a battle by prompt; "
                "give each vote its question_id",
            )
        a = names.setdefault(record["model_a"], len(names))
        b = names.setdefault(record["model_b"], len(names))
        columns["judge"].append(
            judges.setdefault(judge_name(record, per_voter=per_voter), len(judges))
        )
        columns["prompt"].append(prompts.setdefault(question, len(prompts)))
        columns["a"].append(a)
        columns["b"].append(b)
        columns["first"].append(b if record.get("position_swapped") is True else a)
        columns["o"].append(WINNERS[record["winner"]])
        p_b = record.get("p_b")
        soft.append(float(p_b) if isinstance(p_b, int | float) and not hard_labels else math.nan)
        if lengths is not None:
            pair = _lengths(record)
            if pair is None:
                lengths = None  # lengths are used only when every vote has them
            else:
                lengths.append(pair)
    size = len(columns["a"])
    ints = {k: np.asarray(v, dtype=np.intp) for k, v in columns.items() if k != "o"}
    length = np.asarray(lengths, dtype=np.float64).reshape(-1, 2) if lengths and size else None
    return JudgedVotes(
        names=tuple(names),
        judge_names=tuple(judges),
        judge=ints["judge"],
        prompt=ints["prompt"],
        a=ints["a"],
        b=ints["b"],
        first=ints["first"],
        outcome=soft_verdicts(np.asarray(columns["o"], dtype=np.int8), np.asarray(soft)),
        length_a=None if length is None else length[:, 0],
        length_b=None if length is None else length[:, 1],
    )


def _lengths(record: dict[str, Any]) -> tuple[float, float] | None:
    for name in LENGTH_FIELDS:
        x, y = record.get(name + "_a"), record.get(name + "_b")
        numbers = [v for v in (x, y) if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(numbers) == 2:  # noqa: PLR2004 - an answer of each
            return float(numbers[0]), float(numbers[1])
    return None


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``judges``; errors in the input print one line and exit with status 2."""
    try:
        where = dict(_parse_where(item) for item in args.where)
        dropped: Counter[str] = Counter()
        votes = read_judged_votes(
            args.votes,
            per_voter=args.per_voter,
            where=where or None,
            hard_labels=args.hard_labels,
            fmt=args.fmt,
            baseline=args.baseline,
            dropped=dropped,
        )
        if votes.a.size == 0:
            raise ValueError(
                f"{args.votes}: no votes left to judge (every line was left out: "
                f"{drop_summary(dropped)}): a vote needs two different competitors, and loosen "
                "--where if you gave it"
            )
        out = judge_report_of(votes)
    except (VoteFileError, RatingError, OSError, ValueError) as exc:
        print(f"python -m ratings judges: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(out) if args.json else _table(out))
    return 0


def _parse_where(item: str) -> tuple[str, str]:
    field, sep, value = item.partition("=")
    if not sep or not field:
        raise ValueError(f"--where needs FIELD=VALUE, got {item!r}")
    return field, value


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _table(out: dict[str, Any]) -> str:
    lines = ["judge  votes  position-consistency  first-position-wins  cycles  length-coef"]
    for j in out["judges"]:
        lines.append(
            f"{j['name']}  {j['n_votes']}  {_fmt(j['position_consistency'])}  "
            f"{_fmt(j['first_position_win_share'])}  {_fmt(j['transitivity_violation_share'])}  "
            f"{_fmt(j['length_coefficient'])}"
        )
    lines.append("agreement  shared  rate  kappa")
    for g in out["agreement"]:
        lines.append(
            f"{g['a']} ~ {g['b']}  {g['n_shared']}  {_fmt(g['agreement'])}  {_fmt(g['kappa'])}"
        )
    return "\n".join(lines)
