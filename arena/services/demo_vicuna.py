"""The Vicuna-80 demo content: 80 real prompts, real answers, and 15,200 real votes from people
and five LLM reviewers (``arena/demo_data/vicuna80``, MIT; origin in its NOTICE.md).

The files are read with the shared vote schema's reader (``ratings.engine.votefile``) and written
with ``bulk_create``: the whole set seeds in seconds, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from arena.models import (
    Arena,
    Battle,
    Competitor,
    Completion,
    Judge,
    Prompt,
    Vote,
    content_hash,
)
from ratings.engine.votefile import WINNERS, iter_records, open_text

DATA = Path(__file__).resolve().parents[1] / "demo_data" / "vicuna80"

#: Who made each system of the votes (shown on the boards; the identity scan also looks for it).
ORGANISATIONS = {
    "gpt-4": "OpenAI",
    "gpt-3.5-turbo": "OpenAI",
    "claude": "Anthropic",
    "bard": "Google",
    "vicuna-13b": "LMSYS",
    "guanaco-7b": "QLoRA study",
    "guanaco-13b": "QLoRA study",
    "guanaco-33b": "QLoRA study",
    "guanaco-65b": "QLoRA study",
}

#: The one system loaded for its answers alone: in this copy they repeat the prompt, a real null
#: model that the guard flags. It has no votes and is not served to voters.
NULL_MODEL = "13-self-instruct"

#: The days over which the votes are spread, ending now: the files carry no timestamps.
SPAN_DAYS = 30


@dataclass
class VicunaContent:
    """The rows both demo arenas draw on, keyed as in the files."""

    prompts: dict[str, Prompt]  # question_id ->
    competitors: dict[str, Competitor]  # model name ->
    completions: dict[tuple[str, str], Completion]  # (question_id, model) ->
    answers_skipped: int


def vicuna_votes_read() -> list[dict[str, Any]]:
    return [record for _, record in iter_records(DATA / "votes.jsonl.gz")]


def _read_answers() -> list[dict[str, Any]]:
    with open_text(DATA / "answers.jsonl.gz") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def vicuna_content_load(votes: list[dict[str, Any]] | None = None) -> VicunaContent:
    """Prompts, competitors and answers. An answer that repeats its prompt word for word is
    left out, except the null model's: the votes on the Guanaco models were cast on their real
    answers, which this copy lacks (their battles carry no answers, like an answer-less import).
    """
    votes = vicuna_votes_read() if votes is None else votes
    first: dict[str, dict[str, Any]] = {}
    for record in votes:
        first.setdefault(record["question_id"], record)
    prompts = {
        qid: Prompt(
            text=r["prompt"],
            content_hash=content_hash(r["prompt"]),
            category=r.get("category", ""),
            language="en",
            external_id=qid,
        )
        for qid, r in sorted(first.items(), key=lambda item: int(item[0].split("_")[1]))
    }
    Prompt.objects.bulk_create(prompts.values())
    competitors = {
        name: Competitor(name=name, organisation=org, description=f"Vicuna-80 system by {org}.")
        for name, org in ORGANISATIONS.items()
    }
    competitors[NULL_MODEL] = Competitor(
        name=NULL_MODEL,
        organisation="QLoRA study",
        description="Its answers in the demo's copy repeat the prompt: a null model.",
        is_active=False,
    )
    Competitor.objects.bulk_create(competitors.values())
    completions, skipped = {}, 0
    for row in _read_answers():
        qid, model, text = row["question_id"], row["model"], row["answer"]
        if model not in competitors or qid not in prompts:
            continue  # the QLoRA fine-tunes without votes: their answers here are echoes too
        if model != NULL_MODEL and text.strip() == prompts[qid].text.strip():
            skipped += 1
            continue
        completion = Completion(prompt=prompts[qid], competitor=competitors[model], text=text)
        completion.compute_features()
        completions[(qid, model)] = completion
    Completion.objects.bulk_create(completions.values())
    return VicunaContent(prompts, competitors, completions, answers_skipped=skipped)


def _voter_ids(votes: list[dict[str, Any]]) -> list[str]:
    """A crowd voter id per human vote. The files do not name the workers: the k-th vote on a
    question in one file counts as that file's k-th worker (one to three per file)."""
    seen: Counter[tuple[str, str]] = Counter()
    ids = []
    for record in votes:
        key = (record.get("file", ""), record["question_id"])
        seen[key] += 1
        pair = f"{record['model_a']}-vs-{record['model_b']}"
        ids.append(f"vicuna80:{pair}:worker-{seen[key]}")
    return ids


def vicuna_votes_load(
    *, arena: Arena, content: VicunaContent, votes: list[dict[str, Any]], rng: random.Random
) -> int:
    """Every vote as an imported battle and vote: people as crowd voters, reviewers as judges.

    The votes are shuffled (with ``rng``) and spread over the last ``SPAN_DAYS`` days, so that
    no worker casts a burst and every reviewer's votes span the month.
    """
    judges = {
        name: Judge(name=name, description=f"LLM reviewer {name} of the PRD study.")
        for name in sorted({r["judge"] for r in votes if r.get("judge_type") != "human"})
    }
    Judge.objects.bulk_create(judges.values())
    voters = _voter_ids(votes)
    order = list(range(len(votes)))
    rng.shuffle(order)
    start = timezone.now() - timedelta(days=SPAN_DAYS)
    step = timedelta(days=SPAN_DAYS) / max(len(votes), 1)
    battles, rows = [], []
    for position, index in enumerate(order):
        record, when = votes[index], start + position * step
        a, b = record["model_a"], record["model_b"]
        answer_a = content.completions.get((record["question_id"], a))
        answer_b = content.completions.get((record["question_id"], b))
        answered = answer_a is not None and answer_b is not None
        battles.append(
            Battle(
                arena=arena,
                prompt=content.prompts[record["question_id"]],
                competitor_a=content.competitors[a],
                competitor_b=content.competitors[b],
                completion_a=answer_a if answered else None,
                completion_b=answer_b if answered else None,
                origin=Battle.Origin.IMPORT,
                created_at=when,
                expires_at=when,
            )
        )
        human = record.get("judge_type") == "human"
        rows.append(
            Vote(
                outcome=int(WINNERS[record["winner"]]),
                source=Vote.Source.CROWD if human else Vote.Source.JUDGE,
                voter_kind=Vote.VoterKind.ANONYMOUS if human else Vote.VoterKind.JUDGE,
                judge=None if human else judges[record["judge"]],
                external_voter=voters[index] if human else "",
                created_at=when,
                meta={k: record[k] for k in ("file", "len_a", "len_b") if k in record},
            )
        )
    Battle.objects.bulk_create(battles, batch_size=2000)
    for battle, vote in zip(battles, rows, strict=True):
        vote.battle = battle
    Vote.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
