"""The arena's CSV export (``GET /api/v1/votes/export?format=csv``): the shared schema's columns.

Every CSV value is text, so the columns the schema types are converted back: ``tstamp`` and
``p_b`` to numbers, ``tags_a``/``tags_b`` from ``;``-separated lists; an empty cell is a
missing value. Other columns stay text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ratings.engine.formats.schema import REQUIRED_FIELDS, VoteFileError
from ratings.engine.formats.source import csv_header, csv_rows

NAME = "csv"
_NUMBERS = ("tstamp", "p_b")
_LISTS = ("tags_a", "tags_b")


def read(path: str | Path, baseline: str | None = None) -> Iterator[tuple[int, Any]]:
    del baseline
    header = csv_header(path)
    missing = [name for name in REQUIRED_FIELDS if name not in header]
    if missing:
        raise VoteFileError(
            path, 1, f"the CSV header lacks {', '.join(missing)}: the first line names the columns"
        )
    for line, row in csv_rows(path):
        record: dict[str, Any] = {k: v for k, v in row.items() if v != ""}
        for name in _NUMBERS:
            if name in record:
                record[name] = _number(path, line, name, record[name])
        for name in _LISTS:
            if name in row:
                record[name] = [tag for tag in row[name].split(";") if tag]
        yield line, record


def _number(path: str | Path, line: int, name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise VoteFileError(path, line, f"{name} {text!r} is not a number") from None
