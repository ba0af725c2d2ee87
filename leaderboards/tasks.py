"""Celery tasks: thin wrappers taking ids; every one calls exactly one service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from leaderboards import services
from leaderboards.services import runs, voter_flags


@shared_task(
    name=runs.RATING_RUN_EXECUTE,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def rating_run_execute(self, run_id: int) -> str:  # type: ignore[no-untyped-def]
    return services.rating_run_execute(run_id=run_id, task_id=self.request.id or "")


@shared_task(
    name="ratings.voter_flags_update_all",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def voter_flags_update_all() -> dict[int, int]:
    return voter_flags.voter_flags_update_all()


@shared_task(name="ratings.leaderboards_check", acks_late=True, ignore_result=True)
def leaderboards_check() -> list[int]:
    return services.leaderboards_check()
