"""Reading the bytes of a vote file: gzip or not, UTF-8 with or without a BOM, JSON Lines, a
JSON array or CSV, every failure a :class:`VoteFileError` naming the line.

A file is decoded line by line so that a byte that is not UTF-8 is reported where it is; a JSON
array is walked item by item with :meth:`json.JSONDecoder.raw_decode` so that each record keeps
the line it starts on.
"""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ratings.engine.formats.schema import VoteFileError

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _byte_lines(path: str | Path) -> Iterator[tuple[int, bytes]]:
    number = 0
    with Path(path).open("rb") as raw:
        stream: IO[bytes] | gzip.GzipFile = raw
        if raw.peek(2)[:2] == _GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=raw)
        try:
            for number, line in enumerate(stream, start=1):
                yield number, line
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise VoteFileError(
                path,
                number + 1,
                f"the gzip data is cut short or corrupt ({exc}): copy or compress the file again",
            ) from None


def text_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` of a plain or gzip file, decoded as UTF-8 (a BOM is skipped)."""
    for number, line in _byte_lines(path):
        raw = line
        if number == 1:
            if raw.startswith(_UTF16_BOMS):
                raise VoteFileError(path, 1, "the file is UTF-16 text: save it as UTF-8")
            raw = raw.removeprefix(_BOM)
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VoteFileError(
                path,
                number,
                f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not UTF-8: "
                "save the file as UTF-8",
            ) from None


def first_text(path: str | Path) -> tuple[int, str] | None:
    """The first line that is not blank, or None for an empty file."""
    for number, text in text_lines(path):
        if text.strip():
            return number, text
    return None


def json_records(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line_number, value)`` of each record: JSON Lines, or one JSON array of records."""
    first = first_text(path)
    if first is None:
        return
    if first[1].lstrip().startswith("["):
        yield from _array_items(path, "".join(text for _, text in text_lines(path)))
        return
    for number, text in text_lines(path):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except json.JSONDecodeError as exc:
            raise VoteFileError(
                path, number, f"not valid JSON ({exc.msg}, column {exc.colno})"
            ) from None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _array_items(path: str | Path, text: str) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    pos = _skip_space(text, text.index("[") + 1)
    line, counted = 1, 0

    def line_at(at: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, at)
        counted = at
        return line

    if text[pos : pos + 1] == "]":
        pos += 1
    else:
        while True:
            try:
                value, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise VoteFileError(
                    path, exc.lineno, f"not valid JSON ({exc.msg}, column {exc.colno})"
                ) from None
            yield line_at(pos), value
            pos = _skip_space(text, end)
            if text[pos : pos + 1] == ",":
                pos = _skip_space(text, pos + 1)
                continue
            if text[pos : pos + 1] == "]":
                pos += 1
                break
            raise VoteFileError(
                path, line_at(pos), "not valid JSON (the array is cut short or lacks a comma)"
            )
    if _skip_space(text, pos) != len(text):
        raise VoteFileError(path, line_at(pos), "not valid JSON (text after the array)")


def csv_rows(path: str | Path) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line_number, row)`` of a CSV file with a header line; every value a string."""
    lines = text_lines(path)
    current = 0

    def texts() -> Iterator[str]:
        nonlocal current
        for number, text in lines:
            current = number
            yield text

    reader = csv.reader(texts())
    header: list[str] | None = None
    try:
        for fields in reader:
            if header is None:
                header = [name.strip() for name in fields]
                continue
            if not any(fields):
                continue
            if len(fields) != len(header):
                raise VoteFileError(
                    path,
                    current,
                    f"{len(fields)} fields where the header has {len(header)}: "
                    "quote values that hold a comma",
                )
            yield current, dict(zip(header, fields, strict=True))
    except csv.Error as exc:
        raise VoteFileError(path, current, f"not valid CSV ({exc})") from None


def csv_header(path: str | Path) -> list[str]:
    """The names in a CSV file's first line."""
    first = first_text(path)
    return [] if first is None else next(csv.reader([first[1]]), [])
