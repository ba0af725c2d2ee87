"""Reading vote files into :class:`Comparisons`; the shared schema, re-exported.

A vote file is any format of :mod:`ratings.engine.formats` (the shared JSON Lines schema, the
arena's CSV, LMArena, arena-hard-auto, AlpacaEval, MT-Bench), gzip or not. The schema's one
description, :data:`VOTE_FIELDS`, lives in :mod:`ratings.engine.formats.schema` and is
re-exported here: the command-line tool reads by it, and the arena imports and exports by it.
It has no Django import.
"""

from __future__ import annotations

import gzip
import io
import math
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ratings.core.types import Comparisons
from ratings.engine.formats import read_votes
from ratings.engine.formats.schema import (
    REQUIRED_FIELDS,
    STYLE_FEATURES,
    VOTE_FIELDS,
    WINNER_NAMES,
    WINNERS,
    VoteFileError,
    prompt_key,
)

__all__ = [
    "DROP_REASONS",
    "REQUIRED_FIELDS",
    "SCORING_FIELDS",
    "STYLE_FEATURES",
    "VOTE_FIELDS",
    "WINNERS",
    "WINNER_NAMES",
    "VoteFileError",
    "VoteFilter",
    "drop_summary",
    "iter_records",
    "open_text",
    "prompt_key",
    "read_comparisons",
]

#: Fields that ``rate`` reads when present and the arena does not store: the answers' lengths
#: (``p_b``, the soft label, is one of :data:`VOTE_FIELDS`).
SCORING_FIELDS: dict[str, str] = {
    "len_a": "answer A's length in characters (lc-winrate; else the length of answer_a)",
    "len_b": "answer B's length in characters",
}


def open_text(path: str | Path) -> TextIO:
    """Open a plain or gzip-compressed text file, chosen by the file's magic bytes (a UTF-8
    BOM is skipped)."""
    raw = Path(path).open("rb")  # noqa: SIM115 - returned to the caller, who closes it
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8-sig")
    return io.TextIOWrapper(raw, encoding="utf-8-sig")


def iter_records(
    path: str | Path, fmt: str = "auto", *, baseline: str | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, record)`` for each vote of a file in any registered format
    (:mod:`ratings.engine.formats`), checked against the shared schema."""
    yield from read_votes(path, fmt, baseline=baseline)


@dataclass(frozen=True, slots=True)
class VoteFilter:
    """Which records to keep: field equality filters and an optional competitor allow-list."""

    where: Mapping[str, str] | None = None
    competitors: Collection[str] | None = None

    def keeps(self, record: Mapping[str, Any]) -> bool:
        """Whether a record passes the filter (self-battles never do)."""
        return self.drop_reason(record) is None

    def drop_reason(self, record: Mapping[str, Any]) -> str | None:
        """Why a record is left out (:data:`DROP_REASONS`' keys), or None when it is kept."""
        if record["model_a"] == record["model_b"]:
            return "self-battle"
        if self.competitors is not None and not (
            record["model_a"] in self.competitors and record["model_b"] in self.competitors
        ):
            return "competitors"
        if not all(_as_text(record.get(k)) == v for k, v in (self.where or {}).items()):
            return "where"
        return None


#: Why votes are left out, in words for an error that says where a file's votes went.
DROP_REASONS = {
    "self-battle": "self-battles (model_a = model_b)",
    "competitors": "outside --competitors",
    "where": "not matching --where",
}


def drop_summary(dropped: Mapping[str, int]) -> str:
    """``"3 self-battles (model_a = model_b), 2 not matching --where"``, for error messages."""
    return ", ".join(f"{n} {DROP_REASONS[k]}" for k, n in dropped.items() if n) or "none"


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
    fmt: str = "auto",
    baseline: str | None = None,
    require_prompts: str | None = None,
    dropped: Counter[str] | None = None,
) -> Comparisons:
    """Read a vote file of any registered format into :class:`Comparisons`, in file order.

    Self-battles are dropped (and counted in ``dropped`` with the filters' drops).
    ``weight_field`` names a numeric field that repeats a vote (the Ko-Arena ``weight``);
    ``prompt_field`` names the grouping key stored in ``prompt`` (a prompt id, a category, a
    cluster). With ``require_prompts`` (the method that needs them), a kept vote without that
    key is a VoteFileError rather than pooled with the others into one prompt. Style features
    are filled when every kept record has ``<feature>_a`` and ``<feature>_b`` for each of
    :data:`STYLE_FEATURES`; ``p_b`` (NaN where a vote has none) when any record has a soft label.
    """
    keep = VoteFilter(where=where, competitors=competitors)
    a_names: list[str] = []
    b_names: list[str] = []
    outcome: list[int] = []
    weight: list[float] = []
    prompt: list[str] = []
    p_b: list[float] = []
    feats_a: list[list[float]] = []
    feats_b: list[list[float]] = []
    have_features = True
    lengths: list[tuple[float, float]] | None = []
    for number, record in iter_records(path, fmt, baseline=baseline):
        reason = keep.drop_reason(record)
        if reason is not None:
            if dropped is not None:
                dropped[reason] += 1
            continue
        key = prompt_key(record, prompt_field)
        if key is None and require_prompts is not None:
            raise VoteFileError(
                path,
                number,
                f"no {prompt_field!r}: {require_prompts} plays over prompts and would pool "
                f"every vote without one into a single prompt; give each vote its "
                f"{prompt_field}, or choose another field with --prompt-axis",
            )
        a_names.append(record["model_a"])
        b_names.append(record["model_b"])
        outcome.append(WINNERS[record["winner"]])
        weight.append(_weight(path, number, record, weight_field))
        prompt.append(key or "")
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
