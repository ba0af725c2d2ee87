"""Importing historical votes from vote files of any format ``ratings.engine.formats`` reads."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from arena.models import Arena, Battle, Competitor, Completion, Prompt, Vote
from arena.services.arenas import arena_content_add, arena_ensure_default
from arena.services.bulk import tables_analyze_after_commit
from arena.services.identity import completions_identity_scan, votes_mark_identity_revealed
from arena.services.import_batches import Lookups, ahead, batch_write, keyed
from arena.services.import_triggers import pair_counts_add, triggers_skippable
from arena.services.null_models import null_models_check
from arena.services.upload_reading import MAX_WHOLE_COST
from ratings.engine.formats import read_answers, read_votes
from ratings.engine.formats.schema import VoteFileError

#: ``progress(phase, done, total)``: ``phase`` is "checking" (total unknown: None) or
#: "importing"; ``done`` counts the votes since the last call.
Progress = Callable[[str, int, int | None], None]
#: How many votes the checking pass reads between two progress calls.
_CHECK_STEP = 10_000


@dataclass
class ImportReport:
    """What an import did, for the command's summary."""

    lines: int = 0
    votes_created: int = 0
    votes_already_present: int = 0
    self_battles_skipped: int = 0
    answers_skipped: int = 0
    battles_linked: int = 0
    #: New answers that reveal their competitor (kept out of served battles), and the votes
    #: marked as cast on such answers.
    identity_leaks: int = 0
    votes_identity_revealed: int = 0
    created: Counter[str] = field(default_factory=Counter)
    #: Competitors whose answers barely depend on the prompt: held back from leaderboards.
    null_models: list[str] = field(default_factory=list)

    def summary(self) -> str:
        made = ", ".join(f"{n} {kind}" for kind, n in sorted(self.created.items()) if n)
        return (
            f"{self.lines} votes read: {self.votes_created} imported, "
            f"{self.votes_already_present} already present, "
            f"{self.self_battles_skipped} self-battles skipped"
            + (f"; created {made}" if made else "")
            + (
                f"; held back as null models (answers that ignore the prompt): "
                f"{', '.join(self.null_models)}"
                if self.null_models
                else ""
            )
            + (
                f"; {self.battles_linked} imported battles linked to their completions"
                if self.battles_linked
                else ""
            )
            + (
                f"; {self.answers_skipped} answers skipped (prompt or competitor not in the votes)"
                if self.answers_skipped
                else ""
            )
            + (
                f"; {self.identity_leaks} answers reveal their competitor (not served; "
                f"{self.votes_identity_revealed} votes on them marked)"
                if self.identity_leaks
                else ""
            )
        )


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file: its format (``auto``: told from the content) and, for
    arena-hard judgments that do not name it, the baseline."""

    fmt: str = "auto"
    baseline: str | None = None


def file_check(path: Path, options: ImportOptions, progress: Progress | None = None) -> int:
    """Read the whole file once, keeping nothing, and return its number of votes: every vote
    is checked before anything is written, in memory that does not grow with the file.

    A file with no vote to import (only self-battles) and a vote with neither a prompt id nor a
    prompt text (which would pool into one prompt) are VoteFileErrors naming the line.
    """
    n_records = self_battles = 0
    for line, record in read_votes(path, options.fmt, baseline=options.baseline):
        if record.get("question_id") in (None, "") and not record.get("prompt"):
            raise VoteFileError(
                path,
                line,
                "neither question_id nor prompt: the arena stores each vote's prompt; "
                "give each vote its question_id or its prompt text",
            )
        self_battles += record["model_a"] == record["model_b"]
        n_records += 1
        if progress is not None and n_records % _CHECK_STEP == 0:
            progress("checking", _CHECK_STEP, None)
    if self_battles == n_records:
        raise VoteFileError(
            path,
            1,
            f"all {self_battles} votes are self-battles (model_a = model_b), which are not "
            "imported: a vote needs two different competitors",
        )
    return n_records


def file_records(path: Path, options: ImportOptions) -> Iterator[dict[str, Any]]:
    """The file's votes in the shared schema, one at a time (the second, writing pass)."""
    for _, record in read_votes(path, options.fmt, baseline=options.baseline):
        yield record


def _cost(value: Any, *, whole: bool = False) -> Any:
    """An answer's optional cost from a file: a finite number ≥ 0 (whole when asked), else none.

    NaN and infinity (which Python's JSON parser accepts) would be shown to voters as "nan Wh";
    a whole number beyond its column would fail the whole import.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    if not math.isfinite(value) or (whole and value > MAX_WHOLE_COST):
        return None
    if whole:
        return int(value) if float(value).is_integer() else None
    return float(value)


def answers_import(path: Path, report: ImportReport) -> None:
    """Completions from an answers file: ``model``, ``question_id``, ``answer`` per line, or
    FastChat's, arena-hard's or AlpacaEval's answer files (``ratings.engine.formats.answers``)."""
    competitors = {c.name.lower(): c.id for c in Competitor.objects.only("id", "name")}
    present = set(Completion.objects.values_list("prompt_id", "competitor_id").iterator())
    prompt_ids = dict(Prompt.objects.exclude(external_id="").values_list("external_id", "id"))
    missing: dict[tuple[int, int], Completion] = {}
    for _, row in read_answers(path):
        prompt_id = prompt_ids.get(str(row.get("question_id")))
        competitor_id = competitors.get(str(row.get("model", "")).lower())
        text = row.get("answer")
        if prompt_id is None or competitor_id is None:
            report.answers_skipped += 1
            continue
        key = (prompt_id, competitor_id)
        if not isinstance(text, str) or not text.strip():
            report.answers_skipped += 1
            continue
        if key not in present and key not in missing:
            missing[key] = Completion(
                prompt_id=prompt_id,
                competitor_id=competitor_id,
                text=text,
                energy_wh=_cost(row.get("energy_wh")),
                output_tokens=_cost(row.get("output_tokens"), whole=True),
                latency_ms=_cost(row.get("latency_ms"), whole=True),
            )
            missing[key].compute_features()
    Completion.objects.bulk_create(missing.values(), ignore_conflicts=True)
    report.created["completions"] += len(missing)
    report.null_models = null_models_check(competitor_ids={k[1] for k in missing})


def battles_link_completions() -> int:
    """Attach completions to imported battles that lack them, where both answers now exist."""

    def completion(side: str) -> QuerySet[Completion]:
        return Completion.objects.filter(
            prompt_id=OuterRef("prompt_id"), competitor_id=OuterRef(f"competitor_{side}_id")
        )

    return Battle.objects.filter(
        Exists(completion("a")),
        Exists(completion("b")),
        origin=Battle.Origin.IMPORT,
        completion_a__isnull=True,
    ).update(
        completion_a_id=Subquery(completion("a").values("id")[:1]),
        completion_b_id=Subquery(completion("b").values("id")[:1]),
    )


def votes_import(
    *,
    path: Path,
    answers: Path | None = None,
    arena: Arena | None = None,
    batch_size: int = 10_000,
    progress: Progress | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import a vote file into an arena (the default one if None); a second import adds nothing.

    Each line gets a key from its content and its occurrence number in the file, stored under a
    unique constraint: a line already imported is skipped, a repeated identical line is a second
    vote. The import is one transaction: a bad line (VoteFileError names it) or any failure
    leaves the database as it was, and the file can be imported again once fixed.
    """
    options = options or ImportOptions()
    n_records = file_check(path, options, progress)
    if answers is not None:
        list(read_answers(answers))  # a bad answers file is refused before anything is written
    report = ImportReport(lines=n_records)
    now = timezone.now()
    with transaction.atomic():
        arena = arena or arena_ensure_default()
        lookups = Lookups(report, skip_triggers=triggers_skippable())
        for batch in ahead(keyed(file_records(path, options), arena, batch_size)):
            batch_write(batch, lookups, now, arena)
            if progress is not None:
                progress("importing", len(batch), report.lines)
        if lookups.skip_triggers:
            pair_counts_add(arena.pk, lookups.pairs)
        arena_content_add(
            arena=arena, competitor_ids=lookups.used_competitors, prompt_ids=lookups.used_prompts
        )
        if answers is not None:
            answers_import(answers, report)
            report.battles_linked = battles_link_completions()
        report.identity_leaks = completions_identity_scan(
            completions=Completion.objects.filter(created_at__gte=now)
        )
        report.votes_identity_revealed = votes_mark_identity_revealed()
    tables_analyze_after_commit(Battle, Vote, Prompt, Completion)
    return report
