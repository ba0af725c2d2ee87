"""AlpacaEval's side files for ``lc-winrate``: instruction difficulties and gamed baselines.

AlpacaEval publishes both with its data (``instruction_difficulty.csv``: instruction index and
difficulty; ``df_gamed.csv``: the baseline's verbose and terse variants judged against it, with
``preference`` already in [0, 1] and ``std_delta_len`` already standardised). A prompt's id in
the vote file (``question_id``) is the instruction index.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from ratings.engine.votefile import VoteFileError

GAMED_COLUMNS = ("preference", "std_delta_len", "instruction_difficulty")


def read_difficulty(path: str | Path) -> dict[str, float]:
    """Prompt id → difficulty, from a two-column CSV with a header (index, difficulty)."""
    out: dict[str, float] = {}
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        next(rows, None)
        for number, row in enumerate(rows, start=2):
            if len(row) < 2:  # noqa: PLR2004 - an id and a value
                raise VoteFileError(path, number, "expected two columns: prompt id, difficulty")
            out[_prompt_id(row[0])] = _number(path, number, row[1], allow_nan=False)
    return out


def read_gamed(path: str | Path) -> tuple[tuple[float, float, float], ...]:
    """Rows ``(preference, std_delta_len, instruction_difficulty)`` of a ``df_gamed.csv``."""
    rows: list[tuple[float, float, float]] = []
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in GAMED_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise VoteFileError(path, 1, f"missing column {missing[0]!r}")
        for number, row in enumerate(reader, start=2):
            p, delta, difficulty = (
                _number(path, number, row[c], allow_nan=c == "preference") for c in GAMED_COLUMNS
            )
            if not (math.isnan(p) or 0.0 <= p <= 1.0):
                raise VoteFileError(path, number, f"preference {p} is not in [0, 1]")
            rows.append((p, delta, difficulty))
    return tuple(rows)


def _prompt_id(text: str) -> str:
    """``"12"`` and ``"12.0"`` name the same instruction index."""
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else text


def _number(path: str | Path, line: int, text: str, *, allow_nan: bool) -> float:
    try:
        value = float(text) if text.strip() else math.nan
    except ValueError:
        raise VoteFileError(path, line, f"{text!r} is not a number") from None
    if math.isnan(value) and not allow_nan:
        raise VoteFileError(path, line, "a value is missing")
    return value
