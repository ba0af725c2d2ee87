"""The shared JSON Lines schema (``/work/shared/data``'s, and the arena's JSONL export).

One vote an object with the fields of :data:`~ratings.engine.formats.schema.VOTE_FIELDS`
(``model_a``, ``model_b`` and ``winner`` required) and any extras; JSON Lines or one JSON array.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ratings.engine.formats.source import json_records

NAME = "jsonl"


def matches(first: Mapping[str, Any]) -> bool:
    return "model_a" in first and "model_b" in first and "winner" in first


def read(path: str | Path, baseline: str | None = None) -> Iterator[tuple[int, Any]]:
    """The records as they are: the schema is the file's own."""
    del baseline
    yield from json_records(path)
