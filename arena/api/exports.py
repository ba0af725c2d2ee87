"""Streaming vote exports: JSON Lines (the shared vote schema) or CSV with the same columns.

This is the only CSV the project writes; its text cells are neutralised against formulas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse

from arena import selectors
from arena.models import Arena
from ratings.engine.votefile import VOTE_FIELDS

#: The shared schema's fields, less the answers' texts (the export links votes, not answers).
CSV_COLUMNS = [name for name in VOTE_FIELDS if name not in ("answer_a", "answer_b")]


#: A spreadsheet reads a cell starting with one of these as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value``, with a leading apostrophe if a spreadsheet would run it as a formula.

    Reasons are written by anonymous voters: ``=HYPERLINK(...)`` in a reason must reach an
    analyst's spreadsheet as text. Numbers are left as they are (a negative count is no
    formula); the JSON Lines export keeps every text exactly.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        cells = {**row, "tags_a": ";".join(row["tags_a"]), "tags_b": ";".join(row["tags_b"])}
        writer.writerow({name: csv_cell(value) for name, value in cells.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_stream(
    arena: Arena, scope: selectors.VoteScope, *, csv_format: bool
) -> StreamingHttpResponse:
    rows = selectors.vote_export_rows(arena, scope)
    if csv_format:
        lines: Iterator[str] = _csv_lines(rows)
        content_type, extension = "text/csv; charset=utf-8", "csv"
    else:
        lines = (json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        content_type, extension = "application/x-ndjson", "jsonl"
    response = StreamingHttpResponse(lines, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{arena.slug}-votes.{extension}"'
    return response
