"""The shared vote-file schema, and reading vote files into :class:`Comparisons`.

A vote file is JSON Lines, optionally gzip-compressed, one vote an object with the fields of
:data:`VOTE_FIELDS` (only ``model_a``, ``model_b`` and ``winner`` are required) and per-set
extras. This module is the schema's one description: the command-line tool reads with it, and
the arena imports and exports by it. It has no Django import.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ratings.core.types import Comparisons, Outcome

WINNERS: dict[str, Outcome] = {
    "model_a": Outcome.A,
    "model_b": Outcome.B,
    "tie": Outcome.TIE,
    "tie (bothbad)": Outcome.BOTH_BAD,
}
#: Every field of the shared schema, in the order the arena's CSV export writes them.
VOTE_FIELDS: dict[str, str] = {
    "question_id": "the prompt's id: votes on one prompt share it",
    "prompt": "the prompt's text",
    "model_a": "the competitor shown first (as A)",
    "model_b": "the competitor shown second (as B)",
    "winner": "model_a, model_b, tie, or tie (bothbad) when both answers were bad",
    "judge": "who voted: a judge's name, or a crowd voter's pseudonym",
    "source": "crowd or judge",
    "arena": "the arena the vote was cast in (exports)",
    "voter_kind": "anonymous, signed_in, group_member or judge (exports)",
    "category": "the prompt's category",
    "language": "the prompt's language",
    "reason": "the voter's stated reason, if any (exports)",
    "tags_a": "feedback tags on answer A (exports; ';'-separated in CSV)",
    "tags_b": "feedback tags on answer B (exports; ';'-separated in CSV)",
    "tstamp": "when the vote was cast, Unix seconds",
    "answer_a": "answer A's text (imports; needed for style control and identity checks)",
    "answer_b": "answer B's text (imports)",
}
#: Fields that ``rate`` reads when present and the arena does not store (yet): a vote's soft
#: label and its answers' lengths.
SCORING_FIELDS: dict[str, str] = {
    "p_b": "soft label: the probability that B is better, 0 to 1 (AlpacaEval's preference − 1)",
    "len_a": "answer A's length in characters (lc-winrate; else the length of answer_a)",
    "len_b": "answer B's length in characters",
}
REQUIRED_FIELDS = ("model_a", "model_b", "winner")
#: The name each outcome has in the ``winner`` field.
WINNER_NAMES: dict[Outcome, str] = {outcome: name for name, outcome in WINNERS.items()}
#: Style features read when a file carries them for both sides (``tokens_a``, ``tokens_b``, …).
STYLE_FEATURES = ("tokens", "header_count", "list_count", "bold_count")


class VoteFileError(ValueError):
    """A vote file cannot be read; the message names the line and the problem."""

    def __init__(self, path: str | Path, line: int, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{path}, line {line}: {problem}")


def open_text(path: str | Path) -> TextIO:
    """Open a plain or gzip-compressed text file, chosen by the file's magic bytes."""
    raw = Path(path).open("rb")  # noqa: SIM115 - returned to the caller, who closes it
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8")
    return io.TextIOWrapper(raw, encoding="utf-8")


def iter_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, record)`` for each vote, checking the required fields."""
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise VoteFileError(path, number, f"not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise VoteFileError(path, number, "expected a JSON object")
            for field in REQUIRED_FIELDS:
                if not isinstance(record.get(field), str) or not record[field]:
                    raise VoteFileError(path, number, f"field {field!r} is missing or not a string")
            if record["winner"] not in WINNERS:
                raise VoteFileError(
                    path,
                    number,
                    f"winner {record['winner']!r} is not one of {', '.join(WINNERS)}",
                )
            yield number, record


@dataclass(frozen=True, slots=True)
class VoteFilter:
    """Which records to keep: field equality filters and an optional competitor allow-list."""

    where: Mapping[str, str] | None = None
    competitors: Collection[str] | None = None

    def keeps(self, record: Mapping[str, Any]) -> bool:
        """Whether a record passes the filter (self-battles never do)."""
        if record["model_a"] == record["model_b"]:
            return False
        if self.competitors is not None and not (
            record["model_a"] in self.competitors and record["model_b"] in self.competitors
        ):
            return False
        return all(_as_text(record.get(k)) == v for k, v in (self.where or {}).items())


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def read_comparisons(
    path: str | Path,
    *,
    where: Mapping[str, str] | None = None,
    competitors: Collection[str] | None = None,
    weight_field: str | None = None,
    prompt_field: str = "question_id",
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> Comparisons:
    """Read a vote file into :class:`Comparisons`, in file order.

    Self-battles are dropped. ``weight_field`` names a numeric field that repeats a vote (the
    Ko-Arena ``weight``); ``prompt_field`` names the grouping key stored in ``prompt`` (a prompt
    id, a category, a cluster). Style features are filled when every kept record has
    ``<feature>_a`` and ``<feature>_b`` for each of :data:`STYLE_FEATURES`.
    """
    keep = VoteFilter(where=where, competitors=competitors)
    a_names: list[str] = []
    b_names: list[str] = []
    outcome: list[int] = []
    weight: list[float] = []
    prompt: list[str] = []
    feats_a: list[list[float]] = []
    feats_b: list[list[float]] = []
    have_features = True
    p_b: list[float] = []
    lengths: list[tuple[float, float]] | None = []
    for number, record in iter_records(path):
        if not keep.keeps(record):
            continue
        a_names.append(record["model_a"])
        b_names.append(record["model_b"])
        outcome.append(WINNERS[record["winner"]])
        weight.append(_weight(path, number, record, weight_field))
        prompt.append(_as_text(record.get(prompt_field)))
        p_b.append(_soft_label(path, number, record))
        if lengths is not None:
            sizes = _lengths(record)
            if sizes is None:
                lengths = None  # lengths are used only when every vote has them
            else:
                lengths.append(sizes)
        if have_features:
            pair = _style_features(record)
            if pair is None:
                have_features = False
            else:
                feats_a.append(pair[0])
                feats_b.append(pair[1])
        if on_record is not None:
            on_record(record)
    n_features = len(STYLE_FEATURES) if have_features and a_names else 0
    # Competitors numbered as first met in the file, so output follows the file's own order.
    first_seen = dict.fromkeys(name for pair in zip(a_names, b_names, strict=True) for name in pair)
    return Comparisons.from_labels(
        a_names,
        b_names,
        outcome,
        weight=weight,
        prompts=prompt,
        features_a=np.asarray(feats_a, dtype=np.float64).reshape(-1, 4) if n_features else None,
        features_b=np.asarray(feats_b, dtype=np.float64).reshape(-1, 4) if n_features else None,
        feature_names=STYLE_FEATURES if n_features else (),
        names=tuple(first_seen),
        p_b=None if all(math.isnan(x) for x in p_b) else p_b,
        lengths=None if not lengths else ([x for x, _ in lengths], [y for _, y in lengths]),
    )


def _soft_label(path: str | Path, number: int, record: Mapping[str, Any]) -> float:
    """The record's ``p_b`` in [0, 1], or NaN without one."""
    value = record.get("p_b")
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise VoteFileError(path, number, f"p_b is {value!r}, not a probability from 0 to 1")
    return float(value)


def _lengths(record: Mapping[str, Any]) -> tuple[float, float] | None:
    """Answer lengths in characters: ``len_a``/``len_b``, else those of ``answer_a``/``_b``."""
    given = [record.get("len_a"), record.get("len_b")]
    numbers = [float(v) for v in given if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) == 2:  # noqa: PLR2004 - both answers
        return numbers[0], numbers[1]
    texts = [record.get("answer_a"), record.get("answer_b")]
    if all(isinstance(text, str) for text in texts):
        return float(len(str(texts[0]))), float(len(str(texts[1])))
    return None


def _weight(path: str | Path, number: int, record: Mapping[str, Any], field: str | None) -> float:
    if field is None:
        return 1.0
    value = record.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise VoteFileError(path, number, f"weight field {field!r} is {value!r}, not a number ≥ 0")
    return float(value)


def _style_features(record: Mapping[str, Any]) -> tuple[list[float], list[float]] | None:
    sides: list[list[float]] = [[], []]
    for name in STYLE_FEATURES:
        for side, suffix in enumerate(("_a", "_b")):
            value = record.get(name + suffix)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            sides[side].append(float(value))
    return sides[0], sides[1]
