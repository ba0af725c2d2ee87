"""Reading an owner's upload: JSON Lines from a spooled body, one bounded line at a time.

The body is read twice: a first pass checks every line and the caps and keeps only what the
writes need to plan (names, question ids, text digests and line numbers, never the texts); the
second pass, inside the transaction, reads the texts again a batch at a time. So the memory an
upload takes is bounded by the caps and the batch size, not by the body's size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings

from arena import jsonsafe
from arena.exceptions import ArenaError
from arena.models import content_hash

#: The longest line: a record with a prompt and an answer of 200,000 characters each, escaped.
MAX_LINE_BYTES = 4 * 1024 * 1024
MAX_FIELD_LENGTH = 200_000
FIELDS = {"model", "organisation", "description", "question_id", "prompt", "category", "language"}
FIELDS |= {"answer"}
#: An answer's optional cost, uploaded by its owner: (field, type).
COST_FIELDS = {"energy_wh": float, "output_tokens": int, "latency_ms": int}
#: The whole-number costs' column (PositiveIntegerField) holds at most this.
MAX_WHOLE_COST = 2**31 - 1


class InvalidUploadLine(ArenaError):
    code = "invalid_upload_line"

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(f"Line {line}: {message} Nothing was recorded.")

    @property
    def extra(self) -> dict[str, object]:
        return {"line": self.line}


class UploadLineTooLong(InvalidUploadLine):
    status = 413
    code = "upload_line_too_long"


class UploadCapExceeded(ArenaError):
    status = 422
    code = "upload_cap_exceeded"


@dataclass(frozen=True, slots=True)
class UploadCaps:
    """Caps on one upload, and on what one owner adds in 24 hours (0: no cap)."""

    prompts: int = 10_000
    answers: int = 10_000
    competitors: int = 100
    prompts_per_day: int = 50_000
    answers_per_day: int = 50_000

    @classmethod
    def from_settings(cls) -> UploadCaps:
        return cls(
            prompts=settings.ARENA_UPLOAD_MAX_PROMPTS,
            answers=settings.ARENA_UPLOAD_MAX_ANSWERS,
            competitors=settings.ARENA_UPLOAD_MAX_COMPETITORS,
            prompts_per_day=settings.ARENA_UPLOAD_MAX_PROMPTS_PER_DAY,
            answers_per_day=settings.ARENA_UPLOAD_MAX_ANSWERS_PER_DAY,
        )


@dataclass
class UploadPlan:
    """What the first pass keeps: small per record, bounded by the caps."""

    #: Lower-cased model name -> (first line, name, organisation, description).
    competitors: dict[str, tuple[int, str, str, str]] = field(default_factory=dict)
    #: Text digest -> (first line, question_id, category, language).
    prompts: dict[str, tuple[int, str, str, str]] = field(default_factory=dict)
    #: Every prompt record's question_id -> its text digest.
    question_digests: dict[str, str] = field(default_factory=dict)
    #: (line, question_id, lower-cased model) of each answer.
    answers: list[tuple[int, str, str]] = field(default_factory=list)
    n_prompt_records: int = 0


def records_read(body: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The body's records from its start, numbered from 1; InvalidUploadLine for a bad one."""
    body.seek(0)
    number = 0
    while raw := body.readline(MAX_LINE_BYTES + 1):
        number += 1
        raw = raw.rstrip(b"\r\n")
        if len(raw) > MAX_LINE_BYTES:
            raise UploadLineTooLong(number, f"longer than {MAX_LINE_BYTES:,} bytes.")
        if not raw.strip():
            continue
        try:
            record = jsonsafe.loads(raw)
        except jsonsafe.UnsafeJSON as error:
            raise InvalidUploadLine(number, f"not a JSON object we can keep: {error}") from None
        if not isinstance(record, dict):
            raise InvalidUploadLine(number, "not a JSON object.")
        record_check(number, record)
        yield number, record


def upload_plan(body: IO[bytes], caps: UploadCaps) -> UploadPlan:
    """Check every line and the per-upload caps; what the writes need, without the texts."""
    plan = UploadPlan()
    for number, record in records_read(body):
        if "model" in record:
            name = record["model"].strip()
            plan.competitors.setdefault(
                name.lower(),
                (number, name, record.get("organisation", "")[:200], record.get("description", "")),
            )
            _cap(caps.competitors, len(plan.competitors), "models")
        if "prompt" in record:
            digest = content_hash(record["prompt"])
            question_id = record["question_id"].strip()
            plan.prompts.setdefault(
                digest,
                (
                    number,
                    question_id,
                    record.get("category", "").strip(),
                    record.get("language", "").strip(),
                ),
            )
            plan.question_digests[question_id] = digest
            plan.n_prompt_records += 1
            _cap(caps.prompts, plan.n_prompt_records, "prompts")
        if "answer" in record:
            plan.answers.append(
                (number, record["question_id"].strip(), record["model"].strip().lower())
            )
            _cap(caps.answers, len(plan.answers), "answers")
    return plan


def _cap(limit: int, count: int, what: str) -> None:
    if limit and count > limit:
        raise UploadCapExceeded(
            f"An upload takes at most {limit:,} {what}; split it into several. "
            "Nothing was recorded."
        )


def _costs_check(number: int, record: dict[str, Any]) -> None:
    for name, kind in COST_FIELDS.items():
        if name not in record:
            continue
        value = record[name]
        if "answer" not in record:
            raise InvalidUploadLine(number, f"{name} goes with an answer.")
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if number_ok and kind is int:
            number_ok = value <= MAX_WHOLE_COST and float(value).is_integer()
        if not number_ok or not math.isfinite(value) or value < 0:
            what = f"a whole number up to {MAX_WHOLE_COST:,}" if kind is int else "a finite number"
            raise InvalidUploadLine(number, f"{name} must be {what} ≥ 0.")


def record_check(number: int, record: dict[str, Any]) -> None:
    unknown = sorted(set(record) - FIELDS - COST_FIELDS.keys())
    if unknown:
        raise InvalidUploadLine(number, f"unknown field(s) {', '.join(unknown)}.")
    _costs_check(number, record)
    for name, value in record.items():
        if name in COST_FIELDS:
            continue
        if not isinstance(value, str) or "\x00" in value or len(value) > MAX_FIELD_LENGTH:
            raise InvalidUploadLine(number, f"{name} must be a string (no NUL, ≤ 200,000 chars).")
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                raise InvalidUploadLine(number, f"{name} holds a lone surrogate.") from None
    if "model" not in record and "prompt" not in record:
        raise InvalidUploadLine(number, "a record names a model, a prompt, or both.")
    if "answer" in record and ("model" not in record or "question_id" not in record):
        raise InvalidUploadLine(number, "an answer needs its model and question_id.")
    if "prompt" in record and not record.get("question_id"):
        raise InvalidUploadLine(number, "a prompt needs its question_id.")
    for name, limit in (("model", 200), ("question_id", 200), ("category", 100), ("language", 20)):
        if name in record and not 0 < len(record[name].strip()) <= limit:
            raise InvalidUploadLine(number, f"{name} must have 1 to {limit} characters.")
