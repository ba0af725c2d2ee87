"""Celery tasks of the arena: thin wrappers taking ids; each calls one service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from arena.services import generation, judging


@shared_task(
    name=generation.ANSWERS_GENERATE,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    ignore_result=True,
)
def answers_generate(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    step = generation.answers_generate(job_id=job_id, batch_size=settings.ARENA_GENERATION_BATCH)
    if step.failed:
        if self.request.retries >= settings.ARENA_GENERATION_MAX_RETRIES:
            generation.generation_job_fail(job_id=job_id)
            return
        generation.generation_job_retried(job_id=job_id)
        base = settings.ARENA_GENERATION_RETRY_SECONDS
        delay = generation.generation_retry_delay(retries=self.request.retries, base=base)
        raise self.retry(countdown=delay, max_retries=None)
    if step.remaining:
        self.apply_async((job_id,))  # the next batch, with its own retries


@shared_task(
    name=judging.JUDGING_RUN,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    ignore_result=True,
)
def judging_run(self, judging_id: int) -> None:  # type: ignore[no-untyped-def]
    more = judging.judging_run(judging_id=judging_id, batch_size=settings.ARENA_JUDGING_BATCH)
    if more:
        self.apply_async((judging_id,))


@shared_task(name="arena.judgings_check", acks_late=True, ignore_result=True)
def judgings_check() -> list[int]:
    return judging.judgings_check()
