"""Generating a competitor's answers to an arena's prompts through its endpoint.

A job per (arena, competitor) is worked off in batches by the ``arena.answers_generate`` task.
Each batch asks the database which prompts still lack an answer, so the work resumes where it
stopped whatever stopped it (a retry, a killed worker, a redelivered message), and a batch run
twice adds nothing twice: answers are written with the unique (prompt, competitor) constraint
skipping what is already there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from celery import current_app
from django.db import transaction
from django.db.models import F

from arena import selectors
from arena.models import Arena, Competitor, Completion, GenerationJob, Prompt
from arena.services.endpoints import ChatResult, EndpointError, chat_many, endpoint_config
from arena.services.submissions import completions_store

logger = logging.getLogger(__name__)

ANSWERS_GENERATE = "arena.answers_generate"
MAX_RETRY_SECONDS = 900.0


@dataclass(frozen=True, slots=True)
class GenerationStep:
    """What one batch did, for the task to decide: retry it, go on, or stop."""

    generated: int
    failed: int
    remaining: int


def generation_jobs_start(
    *, arena_id: int, competitor_ids: Iterable[int], force: bool = False
) -> list[int]:
    """Queue a job for each of these competitors that has an endpoint (its missing answers in
    this arena), sent when the transaction commits. A finished or failed job is queued again;
    one queued or running is left to its chain of tasks unless ``force`` (the admin's action:
    a second chain costs duplicate calls, never duplicate answers)."""
    ids = []
    active = {GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING}
    competitors = Competitor.objects.filter(pk__in=list(competitor_ids), endpoint__isnull=False)
    for competitor in competitors:
        job, created = GenerationJob.objects.get_or_create(arena_id=arena_id, competitor=competitor)
        if job.status in active and not created and not force:
            continue
        job.status, job.retries, job.last_error = GenerationJob.Status.QUEUED, 0, ""
        job.save(update_fields=["status", "retries", "last_error", "updated_at"])
        _enqueue_on_commit(job.pk)
        ids.append(job.pk)
    return ids


def generation_jobs_start_for_competitor(*, competitor_id: int, force: bool = False) -> list[int]:
    """Jobs in every arena the competitor is in (its endpoint was just set or changed)."""
    arena_ids = Arena.objects.filter(competitors=competitor_id).values_list("id", flat=True)
    return [
        job
        for arena_id in arena_ids
        for job in generation_jobs_start(
            arena_id=arena_id, competitor_ids=[competitor_id], force=force
        )
    ]


def answers_generate(*, job_id: int, batch_size: int) -> GenerationStep:
    """Generate and store up to ``batch_size`` of the job's missing answers."""
    job = GenerationJob.objects.select_related("arena", "competitor__endpoint").get(pk=job_id)
    competitor, endpoint = job.competitor, job.competitor.endpoint
    prompts = selectors.prompts_missing_answers(
        arena=job.arena, competitor_id=competitor.pk, limit=batch_size
    )
    if not prompts or endpoint is None:
        _progress(job, failed=0, error="" if endpoint else "The competitor has no endpoint.")
        return GenerationStep(0, 0, 0)
    job.status = GenerationJob.Status.RUNNING
    job.save(update_fields=["status", "updated_at"])
    results = chat_many(
        endpoint_config(endpoint), [[{"role": "user", "content": p.text}] for p in prompts]
    )
    answers = [
        _completion(prompt, competitor, result)
        for prompt, result in zip(prompts, results, strict=True)
        if isinstance(result, ChatResult) and result.text.strip()
    ]
    completions_store(arena=job.arena, completions=answers, skip_existing=True)
    errors = [
        str(r) if isinstance(r, EndpointError) else "The endpoint gave an empty answer."
        for r in results
        if isinstance(r, EndpointError) or not r.text.strip()
    ]
    failed = len(prompts) - len(answers)
    remaining = _progress(job, failed=failed, error=errors[0] if failed else "")
    return GenerationStep(len(answers), failed, remaining)


def _completion(prompt: Prompt, competitor: Competitor, result: ChatResult) -> Completion:
    return Completion(
        prompt=prompt,
        competitor=competitor,
        text=result.text,
        origin=Completion.Origin.GENERATED,
        latency_ms=result.latency_ms,
        output_tokens=result.output_tokens,
    )


def _progress(job: GenerationJob, *, failed: int, error: str) -> int:
    """Store the job's progress as the database has it; the prompts still missing an answer."""
    done, total = selectors.answers_progress(arena=job.arena, competitor_id=job.competitor_id)
    job.n_done, job.n_prompts = done, total
    job.n_failures += failed
    if error:
        job.last_error = error[:2000]
    if done >= total:
        job.status = GenerationJob.Status.DONE
    job.save(update_fields=["n_done", "n_prompts", "n_failures", "last_error", "status"])
    return total - done


def generation_retry_delay(*, retries: int, base: float) -> float:
    """Exponential back-off: ``base`` seconds, doubled at each retry, at most 15 minutes."""
    return float(min(base * 2.0**retries, MAX_RETRY_SECONDS))


def generation_job_retried(*, job_id: int) -> None:
    GenerationJob.objects.filter(pk=job_id).update(retries=F("retries") + 1)


def generation_job_fail(*, job_id: int) -> None:
    """The job's batch failed after its retries: it stops, marked failed, with its last error."""
    GenerationJob.objects.filter(pk=job_id).update(status=GenerationJob.Status.FAILED)


def _enqueue_on_commit(job_id: int) -> None:
    def send() -> None:
        try:
            # By name, so that services never import the tasks that wrap them.
            current_app.tasks[ANSWERS_GENERATE].delay(job_id)
        except Exception:  # broker down: the admin action queues it again
            logger.warning("could not enqueue generation job %s", job_id, exc_info=True)

    transaction.on_commit(send)
