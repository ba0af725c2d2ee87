"""The Celery application; every setting comes from Django settings under the CELERY_ prefix."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# One BLAS thread a process unless the environment says otherwise, as ``python -m ratings``
# asks: a rating job's matrices have one row per competitor, and on a busy machine BLAS
# threads spin against each other (a 200-competitor ``bt`` job spent 1.5 s of its 1.8 s fit in
# five 200 x 200 solves at load 12; 0.27 s with one thread). Workers run in parallel as
# processes. This module loads with Django (``config/__init__.py``), before numpy is imported.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

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
