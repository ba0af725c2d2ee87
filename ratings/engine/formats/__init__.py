"""Vote-file formats: one reader per format, one registry, detection by content.

:func:`read_votes` turns a file of any registered format into ``(line, record)`` pairs in the
shared schema (:mod:`~ratings.engine.formats.schema`), each record checked; the command line
(``python -m ratings rate``/``judges``) and the arena's ``import_votes`` both consume them. With
``fmt="auto"`` the format is told from the content: CSV by a header naming ``model_a``,
``model_b`` and ``winner``; JSON (Lines or an array, gzip or not) by the keys of the first
record, tried in the order of :data:`DETECTION_ORDER` (a record or header with only some of
``model_a``, ``model_b`` and ``winner`` goes to the shared schema's or the CSV reader, which
says which field is missing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ratings.engine.formats import (
    alpaca_eval,
    arena_hard,
    csv_export,
    lmarena,
    mtbench,
    shared,
)
from ratings.engine.formats.answers import read_answers
from ratings.engine.formats.schema import (
    REQUIRED_FIELDS,
    STYLE_FEATURES,
    VOTE_FIELDS,
    WINNER_NAMES,
    WINNERS,
    VoteFileError,
    check_record,
    prompt_key,
)
from ratings.engine.formats.source import csv_header, first_text, json_records, text_lines

Reader = Callable[[str | Path, str | None], Iterator[tuple[int, Any]]]


@dataclass(frozen=True)
class VoteFormat:
    """A registered format: its name (``--format NAME``), a title, its reader and, for JSON
    formats, the test its first record passes."""

    name: str
    title: str
    read: Reader
    matches: Callable[[Mapping[str, Any]], bool] | None = None


FORMATS: dict[str, VoteFormat] = {
    f.name: f
    for f in (
        VoteFormat(shared.NAME, "shared JSON Lines schema", shared.read, shared.matches),
        VoteFormat(csv_export.NAME, "the arena's CSV export", csv_export.read),
        VoteFormat(lmarena.NAME, "LMArena battles", lmarena.read, lmarena.matches),
        VoteFormat(
            arena_hard.NAME, "arena-hard-auto judgments", arena_hard.read, arena_hard.matches
        ),
        VoteFormat(
            alpaca_eval.NAME, "AlpacaEval annotations", alpaca_eval.read, alpaca_eval.matches
        ),
        VoteFormat(mtbench.NAME, "MT-Bench pairwise judgments", mtbench.read, mtbench.matches),
    )
}
#: The JSON formats in the order their tests are tried; the shared schema, the loosest, last.
DETECTION_ORDER = (arena_hard.NAME, mtbench.NAME, alpaca_eval.NAME, lmarena.NAME, shared.NAME)
#: What ``--format`` accepts.
FORMAT_CHOICES = ("auto", *FORMATS)


def detect_format(path: str | Path) -> str:
    """The name of the file's format, told from its first line or record."""
    first = first_text(path)
    if first is None:
        raise VoteFileError(path, 1, "the file is empty: there are no votes to read")
    line, text = first
    if not text.lstrip().startswith(("{", "[")):
        if set(csv_header(path)) & set(REQUIRED_FIELDS):  # its reader says what is missing
            return csv_export.NAME
        raise VoteFileError(
            path,
            line,
            "neither JSON nor a CSV whose header names model_a, model_b and winner: "
            "give a vote file (see docs/formats.md)",
        )
    for number, record in json_records(path):
        if not isinstance(record, dict):
            raise VoteFileError(path, number, "expected a JSON object (one vote), not a list")
        for name in DETECTION_ORDER:
            test = FORMATS[name].matches
            if test is not None and test(record):
                return name
        if set(record) & set(REQUIRED_FIELDS):  # the shared schema, with a field missing
            return shared.NAME
        raise VoteFileError(
            path,
            number,
            f"cannot tell the format from the keys {', '.join(sorted(record)[:8])}: "
            f"give --format (one of {', '.join(FORMATS)})",
        )
    raise VoteFileError(path, 1, "the file holds no records: there are no votes to read")


def read_votes(
    path: str | Path, fmt: str = "auto", *, baseline: str | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, vote)`` for each vote of a file, in the shared schema; VoteFileError naming
    the line for the first thing wrong, or for a file without votes."""
    name = detect_format(path) if fmt == "auto" else fmt
    if name not in FORMATS:
        raise VoteFileError(path, 1, f"unknown format {name!r}: one of {', '.join(FORMATS)}")
    count = 0
    for line, record in FORMATS[name].read(path, baseline):
        count += 1
        yield line, check_record(path, line, record)
    if count == 0:
        raise VoteFileError(path, 1, f"no votes in this {FORMATS[name].title} file")


__all__ = [
    "DETECTION_ORDER",
    "FORMATS",
    "FORMAT_CHOICES",
    "REQUIRED_FIELDS",
    "STYLE_FEATURES",
    "VOTE_FIELDS",
    "WINNERS",
    "WINNER_NAMES",
    "VoteFileError",
    "VoteFormat",
    "check_record",
    "detect_format",
    "prompt_key",
    "read_answers",
    "read_votes",
    "text_lines",
]
