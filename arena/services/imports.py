"""Importing historical votes from vote files of any format ``ratings.engine.formats`` reads."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from arena.models import Arena, Battle, Competitor, Completion, Judge, Prompt, Vote, content_hash
from arena.services.arenas import arena_content_add, arena_ensure_default
from arena.services.bulk import bulk_insert
from arena.services.identity import completions_identity_scan, votes_mark_identity_revealed
from arena.services.null_models import null_models_check
from arena.services.upload_reading import MAX_WHOLE_COST
from ratings.engine.formats import read_answers, read_votes
from ratings.engine.formats.schema import WINNERS, VoteFileError

# Fields with a column of their own; everything else a record carries is kept in Vote.meta.
_COLUMNS = {
    "question_id",
    "prompt",
    "model_a",
    "model_b",
    "winner",
    "judge",
    "category",
    "language",
    "answer_a",
    "answer_b",
    "tstamp",
    "p_b",
}
_OUTCOMES = {name: int(outcome) for name, outcome in WINNERS.items()}


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


def file_check(path: Path, options: ImportOptions) -> int:
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


def _keyed_records(
    records: Iterable[dict[str, Any]], arena: Arena
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Records with a key that is the same for the same line on every import into the arena."""
    seen: Counter[str] = Counter()
    for record in records:
        digest = hashlib.sha256(
            f"{arena.pk}:".encode()
            + json.dumps(record, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()[:56]
        seen[digest] += 1
        yield f"{digest}#{seen[digest]}", record


class _Lookups:
    """Name → id caches for the rows votes refer to, creating missing rows in bulk."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        #: What the imported votes used: put in the arena's pool once, at the end.
        self.used_competitors: set[int] = set()
        self.used_prompts: set[int] = set()
        self.competitors = {c.name.lower(): c.id for c in Competitor.objects.only("id", "name")}
        self.judges = dict(Judge.objects.values_list("name", "id"))
        self.prompts = dict(Prompt.objects.values_list("content_hash", "id"))
        self.completions = {
            (p, c): i
            for p, c, i in Completion.objects.values_list("prompt_id", "competitor_id", "id")
        }

    def ensure(self, records: list[dict[str, Any]]) -> None:
        new_competitors = {r[s] for r in records for s in ("model_a", "model_b")}
        new_competitors = {n for n in new_competitors if n.lower() not in self.competitors}
        if new_competitors:
            Competitor.objects.bulk_create(
                [Competitor(name=n) for n in sorted(new_competitors)], ignore_conflicts=True
            )
            self.report.created["competitors"] += len(new_competitors)
            self.competitors.update(
                (c.name.lower(), c.id) for c in Competitor.objects.only("id", "name")
            )
        judges = {r["judge"] for r in records if _is_judge(r)} - self.judges.keys()
        if judges:
            Judge.objects.bulk_create(
                [Judge(name=n) for n in sorted(judges)], ignore_conflicts=True
            )
            self.report.created["judges"] += len(judges)
            self.judges.update(Judge.objects.values_list("name", "id"))
        self._ensure_prompts(records)
        self._ensure_completions(records)

    def _ensure_prompts(self, records: list[dict[str, Any]]) -> None:
        missing: dict[str, Prompt] = {}
        for record in records:
            text = _prompt_text(record)
            digest = content_hash(text)
            if digest not in self.prompts and digest not in missing:
                missing[digest] = Prompt(
                    text=text,
                    content_hash=digest,
                    category=str(record.get("category") or "")[:100],
                    language=str(record.get("language") or "")[:20],
                    external_id=str(record.get("question_id") or "")[:200],
                )
        if missing:
            # COPY, not the ORM: a large file brings tens of thousands of prompts. Every prompt
            # of the pool was read above inside this transaction, so none of these exists.
            now = timezone.now()
            ids = bulk_insert(
                Prompt,
                [
                    {
                        "text": p.text,
                        "content_hash": p.content_hash,
                        "category": p.category,
                        "language": p.language,
                        "external_id": p.external_id,
                        "arena_id": None,
                        "submitted_by_id": None,
                        "created_at": now,
                    }
                    for p in missing.values()
                ],
            )
            self.report.created["prompts"] += len(missing)
            self.prompts.update(zip(missing, ids, strict=True))

    def _ensure_completions(self, records: list[dict[str, Any]]) -> None:
        missing: dict[tuple[int, int], Completion] = {}
        for record in records:
            prompt_id = self.prompts[content_hash(_prompt_text(record))]
            for side in ("a", "b"):
                text = record.get(f"answer_{side}")
                competitor_id = self.competitors[record[f"model_{side}"].lower()]
                key = (prompt_id, competitor_id)
                if (
                    isinstance(text, str)
                    and text
                    and key not in self.completions
                    and key not in missing
                ):
                    completion = Completion(
                        prompt_id=prompt_id, competitor_id=competitor_id, text=text
                    )
                    completion.compute_features()
                    missing[key] = completion
        if missing:
            Completion.objects.bulk_create(missing.values(), ignore_conflicts=True)
            self.report.created["completions"] += len(missing)
            self.completions.update(
                ((p, c), i)
                for p, c, i in Completion.objects.filter(
                    prompt_id__in={k[0] for k in missing}
                ).values_list("prompt_id", "competitor_id", "id")
            )


def _is_judge(record: dict[str, Any]) -> bool:
    judge = record.get("judge")
    if not isinstance(judge, str) or not judge or judge.startswith("crowd:"):
        return False
    return record.get("judge_type") != "human"


def _prompt_text(record: dict[str, Any]) -> str:
    text = record.get("prompt")
    if isinstance(text, str) and text:
        return text
    return f"(prompt {record.get('question_id', 'without id')})"


def _timestamp(record: dict[str, Any], default: datetime) -> datetime:
    stamp = record.get("tstamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        return datetime.fromtimestamp(stamp, tz=UTC)
    return default


def _batches(items: Iterable[tuple[str, dict[str, Any]]], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _import_batch(
    batch: list[tuple[str, dict[str, Any]]], lookups: _Lookups, now: datetime, arena: Arena
) -> None:
    report = lookups.report
    present = set(
        Vote.objects.filter(import_key__in=[k for k, _ in batch]).values_list(
            "import_key", flat=True
        )
    )
    fresh = []
    for key, record in batch:
        if record["model_a"] == record["model_b"]:
            report.self_battles_skipped += 1
        elif key in present:
            report.votes_already_present += 1
        else:
            fresh.append((key, record))
    if not fresh:
        return
    lookups.ensure([r for _, r in fresh])
    battles: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    for key, record in fresh:
        prompt_id = lookups.prompts[content_hash(_prompt_text(record))]
        a = lookups.competitors[record["model_a"].lower()]
        b = lookups.competitors[record["model_b"].lower()]
        completion_a = lookups.completions.get((prompt_id, a))
        completion_b = lookups.completions.get((prompt_id, b))
        if completion_a is None or completion_b is None:
            completion_a = completion_b = None
        when = _timestamp(record, now)
        battles.append(
            {
                "arena_id": arena.pk,
                "prompt_id": prompt_id,
                "competitor_a_id": a,
                "competitor_b_id": b,
                "completion_a_id": completion_a,
                "completion_b_id": completion_b,
                "origin": Battle.Origin.IMPORT.value,
                "created_at": when,
                "expires_at": when,
            }
        )
        judged = _is_judge(record)
        judge = str(record["judge"]) if isinstance(record.get("judge"), str) else ""
        votes.append(
            {
                "outcome": _OUTCOMES[record["winner"]],
                "source": (Vote.Source.JUDGE if judged else Vote.Source.CROWD).value,
                "voter_kind": (Vote.VoterKind.JUDGE if judged else Vote.VoterKind.ANONYMOUS).value,
                "judge_id": lookups.judges[judge] if judged else None,
                "external_voter": "" if judged else (judge or "")[:200],
                "import_key": key,
                "created_at": when,
                "p_b": record.get("p_b"),
                "meta": {k: v for k, v in record.items() if k not in _COLUMNS},
            }
        )
    battle_ids = bulk_insert(Battle, battles)
    for battle_id, vote in zip(battle_ids, votes, strict=True):
        vote["battle_id"] = battle_id
    bulk_insert(Vote, votes)
    report.votes_created += len(votes)
    for battle in battles:
        lookups.used_competitors.update((battle["competitor_a_id"], battle["competitor_b_id"]))
        lookups.used_prompts.add(battle["prompt_id"])


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
    lookups = _Lookups(report)
    prompt_ids = dict(Prompt.objects.exclude(external_id="").values_list("external_id", "id"))
    missing: dict[tuple[int, int], Completion] = {}
    for _, row in read_answers(path):
        prompt_id = prompt_ids.get(str(row.get("question_id")))
        competitor_id = lookups.competitors.get(str(row.get("model", "")).lower())
        text = row.get("answer")
        if prompt_id is None or competitor_id is None:
            report.answers_skipped += 1
            continue
        key = (prompt_id, competitor_id)
        if not isinstance(text, str) or not text.strip():
            report.answers_skipped += 1
            continue
        if key not in lookups.completions and key not in missing:
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
    batch_size: int = 5000,
    progress: Callable[[int, int], None] | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import a vote file into an arena (the default one if None); a second import adds nothing.

    Each line gets a key from its content and its occurrence number in the file, stored under a
    unique constraint: a line already imported is skipped, a repeated identical line is a second
    vote. The import is one transaction: a bad line (VoteFileError names it) or any failure
    leaves the database as it was, and the file can be imported again once fixed.
    """
    options = options or ImportOptions()
    n_records = file_check(path, options)
    if answers is not None:
        list(read_answers(answers))  # a bad answers file is refused before anything is written
    report = ImportReport(lines=n_records)
    now = timezone.now()
    with transaction.atomic():
        arena = arena or arena_ensure_default()
        lookups = _Lookups(report)
        records = _keyed_records(file_records(path, options), arena)
        for batch in _batches(records, batch_size):
            _import_batch(batch, lookups, now, arena)
            if progress is not None:
                progress(len(batch), report.lines)
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
    return report
