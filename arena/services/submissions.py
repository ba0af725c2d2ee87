"""Model owners' uploads: competitors, prompts and completions, as JSON Lines records.

Isolation: an upload sees only its arena. Its prompts are matched by text against the prompts
the arena holds, never another arena's (a new text makes a new prompt owned by this arena,
even if some other arena holds the same text), so an upload neither reaches another arena's
prompts and answers nor learns that they exist; and its refusals name only what it sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.functions import Lower
from django.utils import timezone

from arena.models import Arena, Competitor, Completion, Prompt, User
from arena.services.arenas import arena_content_add
from arena.services.completion_distances import completion_distances_fill
from arena.services.identity import completions_identity_scan
from arena.services.null_models import null_models_check
from arena.services.upload_reading import (
    InvalidUploadLine,
    UploadCapExceeded,
    UploadCaps,
    UploadPlan,
    records_read,
    upload_plan,
)

#: Rows are written in batches of at most this many characters of text (and 1,000 rows).
BATCH_CHARS = 4_000_000
BATCH_ROWS = 1_000

__all__ = [
    "InvalidUploadLine",
    "SubmissionReport",
    "UploadCaps",
    "completions_store",
    "submission_import",
]


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


@transaction.atomic
def submission_import(
    *, arena: Arena, user: User, body: IO[bytes], caps: UploadCaps | None = None
) -> SubmissionReport:
    """Add an owner's competitors, prompts and completions to ``arena``; all or nothing.

    ``body`` is the JSON Lines upload, read twice (see ``upload_reading``). A competitor
    belongs to whoever first uploaded it: a name taken by anyone else is refused with the line.
    An answer's ``question_id`` names a prompt of this upload or one the arena holds. Existing
    completions are kept as they are and counted as unchanged. Uploads to one arena, and one
    owner's uploads, are serialised, so the daily caps hold under parallel uploads.
    """
    caps = caps or UploadCaps()
    plan = upload_plan(body, caps)
    _locks(f"upload-arena:{arena.pk}", f"upload-owner:{user.pk}")
    report = SubmissionReport()
    competitors = _competitors_ensure(user, plan, report)
    prompts = _prompts_ensure(
        arena=arena, user=user, plan=plan, body=body, caps=caps, report=report
    )
    keys = _completion_keys(plan, prompts, competitors)
    existing = _existing(keys)
    fresh = {key: line for key, line in keys.items() if key not in existing}
    _daily_cap_check(Completion, user, len(fresh), caps.answers_per_day, "answers")
    for batch in _completion_batches(body, fresh, user):
        report.identity_leaks += completions_store(arena=arena, completions=batch)
    report.created["completions"] = len(fresh)
    report.unchanged = len(keys) - len(fresh)
    arena_content_add(
        arena=arena, competitor_ids=competitors.values(), prompt_ids=set(prompts.values())
    )
    report.null_models = null_models_check(competitor_ids={k[1] for k in keys})
    return report


def completions_store(
    *, arena: Arena, completions: list[Completion], skip_existing: bool = False
) -> int:
    """Write new completions the one way every answer is stored (uploads, generated answers):
    style features, the identity-leak scan, the answer distances where the arena uses them.
    Returns how many reveal their competitor.

    ``skip_existing``: an answer to a (prompt, competitor) that already has one is dropped, not
    refused, so that a generation batch run twice (a worker killed after writing) adds nothing.
    """
    if not completions:
        return 0
    for completion in completions:
        completion.compute_features()
    created = Completion.objects.bulk_create(completions, ignore_conflicts=skip_existing)
    if skip_existing:  # PostgreSQL returns no ids for ignored conflicts: find them by pair
        stored = Completion.objects.filter(
            prompt_id__in={c.prompt_id for c in completions},
            competitor_id__in={c.competitor_id for c in completions},
        )
    else:
        stored = Completion.objects.filter(pk__in=[c.pk for c in created])
    leaks = completions_identity_scan(completions=stored)
    if arena.prompt_priority:  # otherwise the battle service computes them if ever needed
        completion_distances_fill(prompt_ids={c.prompt_id for c in completions})
    return leaks


def _locks(*labels: str) -> None:
    """Transaction-scoped advisory locks, always taken in this order (arena, then owner)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for label in labels:
            key = int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big", signed=True)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _daily_cap_check(model: type[Model], user: User, adding: int, limit: int, what: str) -> None:
    if not limit or not adding:
        return
    since = timezone.now() - timedelta(days=1)
    done = model._default_manager.filter(submitted_by=user, created_at__gte=since).count()
    if done + adding > limit:
        raise UploadCapExceeded(
            f"An owner may add at most {limit:,} new {what} in 24 hours; this upload adds "
            f"{adding:,} to the {done:,} added so far. Nothing was recorded."
        )


def _completion_keys(
    plan: UploadPlan, prompts: dict[str, int], competitors: dict[str, int]
) -> dict[tuple[int, int], int]:
    """The upload's answers by (prompt, competitor), each with its line."""
    keys: dict[tuple[int, int], int] = {}
    for number, question_id, model in plan.answers:
        prompt_id = prompts.get(question_id)
        if prompt_id is None:
            raise InvalidUploadLine(number, f"no prompt with question_id {question_id!r}.")
        key = (prompt_id, competitors[model])
        if key in keys:
            raise InvalidUploadLine(number, "a second answer by this model to this prompt.")
        keys[key] = number
    return keys


def _existing(keys: dict[tuple[int, int], int]) -> set[tuple[int, int]]:
    found = Completion.objects.filter(
        prompt_id__in={k[0] for k in keys}, competitor_id__in={k[1] for k in keys}
    ).values_list("prompt_id", "competitor_id")
    return {key for key in found if key in keys}


def _completion_batches(
    body: IO[bytes], fresh: dict[tuple[int, int], int], user: User
) -> Iterator[list[Completion]]:
    """The new completions, read again from the body, in batches bounded in rows and text."""
    lines = {line: key for key, line in fresh.items()}
    batch: list[Completion] = []
    chars = 0
    for number, record in records_read(body):
        key = lines.get(number)
        if key is None:
            continue
        completion = Completion(
            prompt_id=key[0],
            competitor_id=key[1],
            text=record["answer"],
            submitted_by=user,
            energy_wh=record.get("energy_wh"),
            output_tokens=record.get("output_tokens"),
            latency_ms=record.get("latency_ms"),
        )
        batch.append(completion)
        chars += len(completion.text)
        if chars >= BATCH_CHARS or len(batch) >= BATCH_ROWS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def _competitors_ensure(user: User, plan: UploadPlan, report: SubmissionReport) -> dict[str, int]:
    """The upload's competitors by lower-cased name, the new ones created for ``user``.

    A name taken by anyone else is refused with the same words wherever that competitor is
    (a public arena, a private one, none), so the answer says nothing about other arenas.
    """
    wanted = plan.competitors
    found = {
        c.name.lower(): c
        for c in Competitor.objects.annotate(lower_name=Lower("name")).filter(
            lower_name__in=list(wanted)
        )
    }
    for name, (number, given, _, _) in wanted.items():
        competitor = found.get(name)
        if competitor is not None and competitor.submitted_by_id != user.pk:
            raise InvalidUploadLine(
                number, f"the model name {given!r} is taken; choose another name."
            )
    fresh = [
        Competitor(
            name=given, organisation=organisation, description=description, submitted_by=user
        )
        for name, (_, given, organisation, description) in wanted.items()
        if name not in found
    ]
    Competitor.objects.bulk_create(fresh)
    report.created["competitors"] = len(fresh)
    return {c.name.lower(): c.pk for c in [*found.values(), *fresh]}


def _prompts_ensure(
    *,
    arena: Arena,
    user: User,
    plan: UploadPlan,
    body: IO[bytes],
    caps: UploadCaps,
    report: SubmissionReport,
) -> dict[str, int]:
    """Prompt ids by question_id: the arena's prompts the upload names, and its own (created
    in this arena if the arena holds no prompt with that text)."""
    named = {number_qid[1] for number_qid in plan.answers} | set(plan.question_digests)
    by_question = dict(
        Prompt.objects.filter(prompt_sets__arenas=arena, external_id__in=named).values_list(
            "external_id", "id"
        )
    )
    known = _arena_prompts_by_digest(arena, set(plan.prompts))
    missing = {d: v for d, v in plan.prompts.items() if d not in known}
    _daily_cap_check(Prompt, user, len(missing), caps.prompts_per_day, "prompts")
    for batch in _prompt_batches(body, arena, user, missing):
        Prompt.objects.bulk_create(batch)
        known.update((p.content_hash, p.pk) for p in batch)
    report.created["prompts"] = len(missing)
    by_question.update((qid, known[digest]) for qid, digest in plan.question_digests.items())
    return by_question


def _arena_prompts_by_digest(arena: Arena, digests: set[str]) -> dict[str, int]:
    """The prompts with these texts the arena holds, and any of its own it no longer holds."""
    found: dict[str, int] = {}
    for digest, pk in (
        Prompt.objects.filter(content_hash__in=digests, arena=arena)
        .values_list("content_hash", "id")
        .union(
            Prompt.objects.filter(content_hash__in=digests, prompt_sets__arenas=arena).values_list(
                "content_hash", "id"
            )
        )
    ):
        found.setdefault(digest, pk)
    return found


def _prompt_batches(
    body: IO[bytes], arena: Arena, user: User, missing: dict[str, tuple[int, str, str, str]]
) -> Iterator[list[Prompt]]:
    lines = {v[0]: (digest, v) for digest, v in missing.items()}
    batch: list[Prompt] = []
    chars = 0
    for number, record in records_read(body):
        if number not in lines:
            continue
        digest, (_, question_id, category, language) = lines[number]
        batch.append(
            Prompt(
                text=record["prompt"],
                content_hash=digest,
                category=category,
                language=language,
                external_id=question_id,
                submitted_by=user,
                arena=arena,
            )
        )
        chars += len(record["prompt"])
        if chars >= BATCH_CHARS or len(batch) >= BATCH_ROWS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch
