"""The writing pass of an import: keys, lookups and one COPY per table per batch of votes.

Kept apart from :mod:`arena.services.imports` (the file checks, the answers, the report) because
it is the hot path: at a million votes every call made per vote counts, so a vote is two tuples
(its battle, its vote) written by ``COPY``, and what a batch needs from the database (which keys
are present, the competitors, judges, prompts and answers it names) is asked once per batch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import queue
import secrets
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection
from django.db.models import AutoField, ForeignKey, Model
from django.utils import timezone

from arena.models import Arena, Battle, Competitor, Completion, Judge, Prompt, Vote, content_hash
from arena.services.bulk import rows_insert
from arena.services.import_triggers import References, scope_counts_add, triggers_skip
from ratings.engine.formats.schema import WINNERS

if TYPE_CHECKING:
    from arena.services.imports import ImportReport

# Fields with a column of their own; everything else a record carries is kept in Vote.meta.
COLUMNS = frozenset(
    {
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
)
_OUTCOMES = {name: int(outcome) for name, outcome in WINNERS.items()}
_BATTLE_COLUMNS = (
    "public_id",
    "arena_id",
    "prompt_id",
    "competitor_a_id",
    "competitor_b_id",
    "completion_a_id",
    "completion_b_id",
    "origin",
    "created_at",
    "expires_at",
)
_PROMPT_COLUMNS = ("text", "content_hash", "category", "language", "external_id", "created_at")
_VOTE_COLUMNS = (
    "battle_id",
    "outcome",
    "source",
    "voter_kind",
    "judge_id",
    "external_voter",
    "import_key",
    "created_at",
    "p_b",
    "meta",
)


class Occurrences:
    """How often each vote's content was met earlier in the file: a repeated identical line is a
    second vote, keyed ``digest#2``.

    Eight bytes a vote (a sorted array of the digests' first 64 bits), where a set of the
    digests took over a hundred: the one thing an import keeps that grows with the file.
    """

    def __init__(self) -> None:
        self.seen = np.empty(0, dtype=np.uint64)

    def number(self, digests: list[str]) -> list[int]:
        """The occurrence number (1 for the first) of each digest, in order; records them."""
        values = np.array([int(d[:16], 16) for d in digests], dtype=np.uint64)
        before = np.searchsorted(self.seen, values, "right") - np.searchsorted(
            self.seen, values, "left"
        )
        in_batch: Counter[int] = Counter()
        numbers = []
        for value, earlier in zip(values.tolist(), before.tolist(), strict=True):
            in_batch[value] += 1
            numbers.append(earlier + in_batch[value])
        ordered = np.sort(values)
        self.seen = np.insert(self.seen, np.searchsorted(self.seen, ordered), ordered)
        return numbers


def keyed(records: Iterable[dict[str, Any]], arena: Arena, size: int) -> Iterator[list[Any]]:
    """Batches of ``(key, record)``: a key is the same for the same line on every import into
    the arena (the content's digest and its occurrence number in the file)."""
    prefix = hashlib.sha256(f"{arena.pk}:".encode())
    occurrences = Occurrences()
    dumps = json.dumps
    batch: list[tuple[str, dict[str, Any]]] = []
    digests: list[str] = []

    def flush() -> list[Any]:
        numbers = occurrences.number(digests)
        out = [(f"{d}#{n}", r) for d, n, (_, r) in zip(digests, numbers, batch, strict=True)]
        batch.clear()
        digests.clear()
        return out

    for record in records:
        digest = prefix.copy()
        digest.update(dumps(record, sort_keys=True, ensure_ascii=False).encode())
        digests.append(digest.hexdigest()[:56])
        batch.append(("", record))
        if len(batch) >= size:
            yield flush()
    if batch:
        yield flush()


def ahead(batches: Iterator[list[Any]], depth: int = 2) -> Iterator[list[Any]]:
    """The same batches, read, parsed and keyed in a thread up to ``depth`` batches ahead.

    While the database writes one batch the connection waits without the GIL, and the file's
    next batch is parsed meanwhile: on two cores the import's Python and PostgreSQL's work
    overlap instead of taking turns. At most ``depth`` + 1 batches are held at any time.
    """
    slots: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        slots.put(("batch", batch), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(("end", None))
        except BaseException as error:  # handed to the consumer, raised there
            slots.put(("error", error))

    worker = threading.Thread(target=produce, name="import-reader", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = slots.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                slots.get(timeout=0.1)
            except queue.Empty:
                continue
        worker.join()


def is_judge(record: dict[str, Any]) -> bool:
    judge = record.get("judge")
    if not isinstance(judge, str) or not judge or judge.startswith("crowd:"):
        return False
    return record.get("judge_type") != "human"


def prompt_text(record: dict[str, Any]) -> str:
    text = record.get("prompt")
    if isinstance(text, str) and text:
        return text
    return f"(prompt {record.get('question_id', 'without id')})"


class Lookups:
    """Name → id caches for the rows votes refer to, creating missing rows in bulk.

    They hold what the file names (its competitors, judges and prompts, and the answers to its
    prompts), never the database's whole tables: their size follows the distinct names, not the
    votes.
    """

    def __init__(self, report: ImportReport, *, skip_triggers: bool = False) -> None:
        self.report = report
        #: Write battles and votes with triggers skipped (:mod:`arena.services.import_triggers`),
        #: locking what they refer to here and counting the votes per pair.
        self.skip_triggers = skip_triggers
        self.references = References()
        self.pairs: Counter[tuple[int, int]] = Counter()
        #: What the imported votes used: put in the arena's pool once, at the end.
        self.used_competitors: set[int] = set()
        self.used_prompts: set[int] = set()
        self.competitors = {c.name.lower(): c.id for c in Competitor.objects.only("id", "name")}
        self.judges = dict(Judge.objects.values_list("name", "id"))
        self.prompts: dict[str, int] = {}
        self.completions: dict[tuple[int, int], int] = {}
        #: Prompts whose answers are in ``completions`` (read once per prompt).
        self.answered: set[int] = set()

    def ensure(self, records: list[dict[str, Any]], hashes: list[str]) -> None:
        names = {r[s] for r in records for s in ("model_a", "model_b")}
        if new := {n for n in names if n.lower() not in self.competitors}:
            Competitor.objects.bulk_create(
                [Competitor(name=n) for n in sorted(new)], ignore_conflicts=True
            )
            self.report.created["competitors"] += len(new)
            self.competitors.update(
                (c.name.lower(), c.id) for c in Competitor.objects.only("id", "name")
            )
        if judges := {r["judge"] for r in records if is_judge(r)} - self.judges.keys():
            Judge.objects.bulk_create(
                [Judge(name=n) for n in sorted(judges)], ignore_conflicts=True
            )
            self.report.created["judges"] += len(judges)
            self.judges.update(Judge.objects.values_list("name", "id"))
        self._ensure_prompts(records, hashes)
        self._read_answers({self.prompts[h] for h in hashes} - self.answered)
        self._ensure_completions(records, hashes)

    def _ensure_prompts(self, records: list[dict[str, Any]], hashes: list[str]) -> None:
        unknown = set(hashes) - self.prompts.keys()
        if not unknown:
            return
        self.prompts.update(_rows_with(Prompt, ("content_hash", "id"), "content_hash", unknown))
        missing: dict[str, tuple[Any, ...]] = {}
        now = timezone.now()
        for record, digest in zip(records, hashes, strict=True):
            if digest not in self.prompts and digest not in missing:
                missing[digest] = (
                    prompt_text(record),
                    digest,
                    str(record.get("category") or "")[:100],
                    str(record.get("language") or "")[:20],
                    str(record.get("question_id") or "")[:200],
                    now,
                )
        if missing:
            # COPY, not the ORM: a large file brings tens of thousands of prompts. Every prompt
            # of these hashes was read above inside this transaction, so none of these exists.
            ids = rows_insert(Prompt, _PROMPT_COLUMNS, missing.values())
            self.report.created["prompts"] += len(missing)
            self.prompts.update(zip(missing, ids, strict=True))

    def _read_answers(self, prompt_ids: set[int]) -> None:
        if not prompt_ids:
            return
        self.answered |= prompt_ids
        columns = ("prompt_id", "competitor_id", "id")
        self.completions.update(
            ((p, c), i) for p, c, i in _rows_with(Completion, columns, "prompt_id", prompt_ids)
        )

    def _ensure_completions(self, records: list[dict[str, Any]], hashes: list[str]) -> None:
        missing: dict[tuple[int, int], Completion] = {}
        for record, digest in zip(records, hashes, strict=True):
            if not (record.get("answer_a") or record.get("answer_b")):
                continue
            prompt_id = self.prompts[digest]
            for side in ("a", "b"):
                text = record.get(f"answer_{side}")
                competitor_id = self.competitors[record[f"model_{side}"].lower()]
                key = (prompt_id, competitor_id)
                if text and key not in self.completions and key not in missing:
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


def public_ids_draw(n: int) -> list[str]:
    """``n`` battle ids as :func:`arena.models.battles.new_public_id` makes them (128 bits from
    the OS's CSPRNG, URL-safe base64), drawn in one call: a call a battle showed in profiles."""
    raw = secrets.token_bytes(16 * n)
    encode = base64.urlsafe_b64encode
    return [encode(raw[i : i + 16])[:22].decode() for i in range(0, 16 * n, 16)]


def present_keys(keys: list[str]) -> set[str]:
    """Which of these import keys the votes table holds already (one indexed query)."""
    return {k for (k,) in _rows_with(Vote, ("import_key",), "import_key", keys)}


def _rows_with(
    model: type[Model], columns: tuple[str, ...], field: str, values: Iterable[Any]
) -> list[tuple[Any, ...]]:
    """``columns`` of the rows whose ``field`` is one of ``values`` (keys, hashes or ids).

    On PostgreSQL the values go as one comma-joined text, split by the server: an ``IN`` of ten
    thousand placeholders costs more to build and plan than the lookups it asks for, and a
    Python list as an array parameter is quoted value by value.
    """
    values = [str(v) for v in values]
    if connection.vendor != "postgresql":
        found = model._default_manager.filter(**{f"{field}__in": values})
        return list(found.values_list(*columns))
    if any("," in v for v in values):
        raise ValueError("a key holds a comma")
    quote = connection.ops.quote_name
    target = model._meta.get_field(field.removesuffix("_id"))
    cast = "bigint[]" if isinstance(target, ForeignKey | AutoField) else "text[]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(map(quote, columns))} FROM {quote(model._meta.db_table)} "  # noqa: S608
            f"WHERE {quote(field)} = ANY(string_to_array(%s, ',')::{cast})",
            [",".join(values)],
        )
        return list(cursor.fetchall())


def batch_write(
    batch: list[tuple[str, dict[str, Any]]], lookups: Lookups, now: datetime, arena: Arena
) -> None:
    """Write a batch's new votes and their battles, counting the votes per pair."""
    report = lookups.report
    present = present_keys([k for k, _ in batch])
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
    records = [r for _, r in fresh]
    hashes = [content_hash(prompt_text(r)) for r in records]
    lookups.ensure(records, hashes)
    battles, votes = _rows(fresh, hashes, lookups, now, arena)
    if lookups.skip_triggers:
        _references_lock(lookups.references, arena, battles, votes)
        triggers_skip(True)
    battle_ids = rows_insert(Battle, _BATTLE_COLUMNS, battles)
    rows_insert(Vote, _VOTE_COLUMNS, ((b, *v) for b, v in zip(battle_ids, votes, strict=True)))
    if lookups.skip_triggers:
        triggers_skip(False)
        scope_counts_add(list(battle_ids))
    report.votes_created += len(votes)
    pairs = lookups.pairs
    for battle in battles:
        a, b = battle[3], battle[4]
        pairs[(a, b) if a < b else (b, a)] += 1
        lookups.used_prompts.add(battle[2])
        lookups.used_competitors.update((a, b))


def _references_lock(
    references: References,
    arena: Arena,
    battles: list[tuple[Any, ...]],
    votes: list[tuple[Any, ...]],
) -> None:
    """Lock what the foreign-key checks would have (each vote's battle is in this batch)."""
    references.lock("arena_arena", [arena.pk])
    references.lock("arena_prompt", {b[2] for b in battles})
    references.lock("arena_competitor", {c for b in battles for c in (b[3], b[4])})
    references.lock("arena_completion", {c for b in battles for c in (b[5], b[6])})
    references.lock("arena_judge", {v[3] for v in votes})


def _rows(
    fresh: list[tuple[str, dict[str, Any]]],
    hashes: list[str],
    lookups: Lookups,
    now: datetime,
    arena: Arena,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The battle and vote tuples (in ``_BATTLE_COLUMNS``, ``_VOTE_COLUMNS`` order) of a batch."""
    competitors, judges, prompts = lookups.competitors, lookups.judges, lookups.prompts
    completions = lookups.completions
    imported, arena_id = Battle.Origin.IMPORT.value, arena.pk
    judge_kinds = (Vote.Source.JUDGE.value, Vote.VoterKind.JUDGE.value)
    crowd_kinds = (Vote.Source.CROWD.value, Vote.VoterKind.ANONYMOUS.value)
    battles, votes = [], []
    public_ids = public_ids_draw(len(fresh))
    for (key, record), digest, public_id in zip(fresh, hashes, public_ids, strict=True):
        prompt_id = prompts[digest]
        a = competitors[record["model_a"].lower()]
        b = competitors[record["model_b"].lower()]
        completion_a = completions.get((prompt_id, a))
        completion_b = completions.get((prompt_id, b))
        if completion_a is None or completion_b is None:
            completion_a = completion_b = None
        stamp = record.get("tstamp")
        when = (
            datetime.fromtimestamp(stamp, tz=UTC)
            if isinstance(stamp, int | float) and not isinstance(stamp, bool)
            else now
        )
        battles.append(
            (
                public_id,
                arena_id,
                prompt_id,
                a,
                b,
                completion_a,
                completion_b,
                imported,
                when,
                when,
            )
        )
        judge = record.get("judge")
        judge = judge if isinstance(judge, str) else ""
        judged = is_judge(record)
        source, voter_kind = judge_kinds if judged else crowd_kinds
        votes.append(
            (
                _OUTCOMES[record["winner"]],
                source,
                voter_kind,
                judges[judge] if judged else None,
                "" if judged else judge[:200],
                key,
                when,
                record.get("p_b"),
                {k: v for k, v in record.items() if k not in COLUMNS},
            )
        )
    return battles, votes
