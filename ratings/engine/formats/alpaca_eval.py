"""AlpacaEval annotations (``annotations.json``): one judge's preference between two outputs.

A record has ``instruction``, ``output_1`` by ``generator_1``, ``output_2`` by ``generator_2``,
the judge's ``annotator`` and its ``preference``: 1 when output 1 is better, 2 when output 2 is,
anything between for a soft verdict (0 is an old spelling of the draw, 1.5). The preference
becomes the soft label ``p_b = preference − 1`` and the winner its rounding (a tie at 0.5). A
record whose preference is missing or NaN is left out, as ``alpaca_eval`` leaves it out. The
instruction has no id of its own: ``question_id`` is ``alpaca-`` and 12 hex digits of its
SHA-256, the id the model-outputs reader gives it too.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ratings.engine.formats.common import require_dict, text_id, without
from ratings.engine.formats.schema import VoteFileError, is_number
from ratings.engine.formats.source import json_records

NAME = "alpaca-eval"
_DROPPED = {
    "instruction",
    "output_1",
    "output_2",
    "generator_1",
    "generator_2",
    "preference",
    "annotator",
    "raw_completion",
}


def matches(first: Mapping[str, Any]) -> bool:
    return "preference" in first and "generator_1" in first


def instruction_id(instruction: str) -> str:
    return text_id("alpaca", instruction)


def read(path: str | Path, baseline: str | None = None) -> Iterator[tuple[int, Any]]:
    del baseline
    for line, raw in json_records(path):
        record = require_dict(path, line, raw)
        preference = record.get("preference")
        if preference is None or (is_number(preference) and math.isnan(preference)):
            continue
        if not is_number(preference) or not (preference == 0 or 1 <= preference <= 2):  # noqa: PLR2004
            raise VoteFileError(
                path, line, f"preference {preference!r} is not a number from 1 to 2 (or 0, a draw)"
            )
        p_b = 0.5 if preference == 0 else float(preference) - 1.0
        instruction = record.get("instruction")
        if not isinstance(instruction, str):
            raise VoteFileError(path, line, "instruction is missing or not a string")
        out = without(record, _DROPPED)
        out.update(
            question_id=instruction_id(instruction),
            prompt=instruction,
            model_a=record.get("generator_1"),
            model_b=record.get("generator_2"),
            winner="model_b" if p_b > 0.5 else "model_a" if p_b < 0.5 else "tie",  # noqa: PLR2004
            p_b=p_b,
            judge=str(record.get("annotator") or "alpaca_eval"),
        )
        for side, field in (("a", "output_1"), ("b", "output_2")):
            if isinstance(record.get(field), str):
                out[f"answer_{side}"] = record[field]
        yield line, out
