"""Model owners' uploads: competitors, prompts and completions, as JSON Lines records."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower

from arena import jsonsafe
from arena.exceptions import ArenaError
from arena.models import Arena, Competitor, Completion, Prompt, User, content_hash
from arena.services.arenas import arena_content_add
from arena.services.completion_distances import completion_distances_fill
from arena.services.identity import completions_identity_scan
from arena.services.null_models import null_models_check

MAX_COMPLETIONS = 10_000
MAX_FIELD_LENGTH = 200_000
_FIELDS = {
    "model",
    "organisation",
    "description",
    "question_id",
    "prompt",
    "category",
    "language",
    "answer",
}


class InvalidUploadLine(ArenaError):
    code = "invalid_upload_line"

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(f"Line {line}: {message} Nothing was recorded.")

    @property
    def extra(self) -> dict[str, object]:
        return {"line": self.line}


class TooManyCompletions(ArenaError):
    status = 413
    code = "too_many_completions"
    default_message = (
        f"An upload takes at most {MAX_COMPLETIONS:,} completions; split it into several."
    )


@dataclass
class SubmissionReport:
    created: dict[str, int] = field(
        default_factory=lambda: {"competitors": 0, "prompts": 0, "completions": 0}
    )
    unchanged: int = 0
    #: Competitors of this upload whose answers barely depend on the prompt (held back).
    null_models: list[str] = field(default_factory=list)
    #: New answers that name their competitor, its maker or a configured phrase: stored, but not
    #: served in anonymous battles until an operator allows them.
    identity_leaks: int = 0


def upload_parse(lines: Iterable[bytes]) -> list[tuple[int, dict[str, Any]]]:
    """Records from JSON Lines, numbered from 1; InvalidUploadLine for the first bad one."""
    records = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = jsonsafe.loads(raw)
        except jsonsafe.UnsafeJSON as error:
            raise InvalidUploadLine(number, f"not a JSON object we can keep: {error}") from None
        if not isinstance(record, dict):
            raise InvalidUploadLine(number, "not a JSON object.")
        _record_check(number, record)
        records.append((number, record))
    if sum(1 for _, r in records if "answer" in r) > MAX_COMPLETIONS:
        raise TooManyCompletions
    return records


#: An answer's optional cost, uploaded by its owner: (field, type, meaning).
COST_FIELDS = {"energy_wh": float, "output_tokens": int, "latency_ms": int}
#: The whole-number costs' column (PositiveIntegerField) holds at most this.
MAX_WHOLE_COST = 2**31 - 1


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


def _record_check(number: int, record: dict[str, Any]) -> None:
    unknown = sorted(set(record) - _FIELDS - COST_FIELDS.keys())
    if unknown:
        raise InvalidUploadLine(number, f"unknown field(s) {', '.join(unknown)}.")
    _costs_check(number, record)
    for name, value in record.items():
        if name in COST_FIELDS:
            continue
        if not isinstance(value, str) or "\x00" in value or len(value) > MAX_FIELD_LENGTH:
            raise InvalidUploadLine(number, f"{name} must be a string (no NUL, ≤ 200,000 chars).")
    if "model" not in record and "prompt" not in record:
        raise InvalidUploadLine(number, "a record names a model, a prompt, or both.")
    if "answer" in record and ("model" not in record or "question_id" not in record):
        raise InvalidUploadLine(number, "an answer needs its model and question_id.")
    if "prompt" in record and not record.get("question_id"):
        raise InvalidUploadLine(number, "a prompt needs its question_id.")
    for name, limit in (("model", 200), ("question_id", 200), ("category", 100), ("language", 20)):
        if name in record and not 0 < len(record[name].strip()) <= limit:
            raise InvalidUploadLine(number, f"{name} must have 1 to {limit} characters.")


@transaction.atomic
def submission_import(
    *, arena: Arena, user: User, records: list[tuple[int, dict[str, Any]]]
) -> SubmissionReport:
    """Add an owner's competitors, prompts and completions to ``arena``; all or nothing.

    A competitor belongs to whoever first uploaded it: adding to another owner's (or an
    operator's) competitor is refused with the line. Prompts are shared (stored once per text);
    an answer's ``question_id`` names a prompt of this upload or one already in the arena.
    Existing completions are kept as they are and counted as unchanged.
    """
    report = SubmissionReport()
    competitors = _competitors_ensure(user, records, report)
    prompts = _prompts_ensure(arena, user, records, report)
    new = _completions_new(records, prompts, competitors, user)
    existing = set(
        Completion.objects.filter(
            prompt_id__in={k[0] for k in new}, competitor_id__in={k[1] for k in new}
        ).values_list("prompt_id", "competitor_id")
    )
    created = Completion.objects.bulk_create([c for k, c in new.items() if k not in existing])
    report.identity_leaks = completions_identity_scan(
        completions=Completion.objects.filter(pk__in=[c.pk for c in created])
    )
    if arena.prompt_priority:  # otherwise the battle service computes them if ever needed
        completion_distances_fill(prompt_ids={c.prompt_id for c in created})
    report.created["completions"] = len(new.keys() - existing)
    report.unchanged = len(new.keys() & existing)
    arena_content_add(arena=arena, competitor_ids=competitors.values(), prompt_ids=prompts.values())
    report.null_models = null_models_check(competitor_ids={k[1] for k in new})
    return report


def _completions_new(
    records: list[tuple[int, dict[str, Any]]],
    prompts: dict[str, int],
    competitors: dict[str, int],
    user: User,
) -> dict[tuple[int, int], Completion]:
    """The upload's completions by (prompt, competitor), with their style features."""
    new: dict[tuple[int, int], Completion] = {}
    for number, record in records:
        if "answer" not in record:
            continue
        prompt_id = prompts.get(record["question_id"].strip())
        if prompt_id is None:
            raise InvalidUploadLine(
                number, f"no prompt with question_id {record['question_id']!r}."
            )
        key = (prompt_id, competitors[record["model"].strip().lower()])
        if key in new:
            raise InvalidUploadLine(number, "a second answer by this model to this prompt.")
        completion = Completion(
            prompt_id=key[0],
            competitor_id=key[1],
            text=record["answer"],
            submitted_by=user,
            energy_wh=record.get("energy_wh"),
            output_tokens=record.get("output_tokens"),
            latency_ms=record.get("latency_ms"),
        )
        completion.compute_features()
        new[key] = completion
    return new


def _competitors_ensure(
    user: User, records: list[tuple[int, dict[str, Any]]], report: SubmissionReport
) -> dict[str, int]:
    wanted: dict[str, tuple[int, dict[str, Any]]] = {}
    for number, record in records:
        if "model" in record:
            wanted.setdefault(record["model"].strip().lower(), (number, record))
    found = {
        c.name.lower(): c
        for c in Competitor.objects.annotate(lower_name=Lower("name")).filter(
            lower_name__in=list(wanted)
        )
    }
    for name, (number, record) in wanted.items():
        competitor = found.get(name)
        if competitor is not None and competitor.submitted_by_id != user.pk:
            raise InvalidUploadLine(
                number, f"the competitor {record['model']!r} belongs to another owner."
            )
    fresh = [
        Competitor(
            name=r["model"].strip(),
            organisation=r.get("organisation", "")[:200],
            description=r.get("description", ""),
            submitted_by=user,
        )
        for name, (_, r) in wanted.items()
        if name not in found
    ]
    Competitor.objects.bulk_create(fresh)
    report.created["competitors"] = len(fresh)
    return {c.name.lower(): c.pk for c in [*found.values(), *fresh]}


def _prompts_ensure(
    arena: Arena, user: User, records: list[tuple[int, dict[str, Any]]], report: SubmissionReport
) -> dict[str, int]:
    """Prompt ids by question_id: this upload's prompts (created if new) and the arena's."""
    by_question = dict(
        Prompt.objects.filter(prompt_sets__arenas=arena)
        .exclude(external_id="")
        .values_list("external_id", "id")
    )
    texts: dict[str, tuple[str, dict[str, Any]]] = {}
    for _, record in records:
        if "prompt" in record:
            texts.setdefault(
                content_hash(record["prompt"]), (record["question_id"].strip(), record)
            )
    known = dict(Prompt.objects.filter(content_hash__in=texts).values_list("content_hash", "id"))
    fresh = [
        Prompt(
            text=r["prompt"],
            content_hash=digest,
            category=r.get("category", "").strip(),
            language=r.get("language", "").strip(),
            external_id=question_id,
            submitted_by=user,
        )
        for digest, (question_id, r) in texts.items()
        if digest not in known
    ]
    Prompt.objects.bulk_create(fresh)
    report.created["prompts"] = len(fresh)
    known.update((p.content_hash, p.pk) for p in fresh)
    by_question.update((question_id, known[digest]) for digest, (question_id, _) in texts.items())
    return by_question
