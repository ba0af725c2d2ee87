"""The Celery application; every setting comes from Django settings under the CELERY_ prefix."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# DjangoTask gives delay_on_commit(): a task is sent only once its transaction commits.
app = Celery("arena", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _serve_metrics(**kwargs: object) -> None:
    """With ARENA_WORKER_METRICS_PORT, the worker serves its own processes' counters there.

    Where web and worker share a host (``make stack``), the web's /metrics already sums the
    worker's files; in containers they do not share a disk, so Prometheus scrapes both.
    """
    from django.conf import settings

    if settings.ARENA_WORKER_METRICS_PORT:
        from arena import metrics

        metrics.serve(settings.ARENA_WORKER_METRICS_PORT)
