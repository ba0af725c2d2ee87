"""The counters an operator watches, in Prometheus' text format (prometheus-client).

Web processes count votes; Celery workers time rating jobs and count the failed ones. In
production there are several of each, so every process writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any web process sums them all (prometheus-client's
multiprocess mode). The directory must be emptied before the processes start (``deploy/run.sh``
does it); without the variable, a scrape shows only the process that answers it, which is right
for the demo's single process alone.

Queue depth and the age of the newest run are read at scrape time, not counted: they are facts
about Redis and the database, the same whichever process is asked.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence

from django.conf import settings
from django.db import transaction
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

VOTES_ACCEPTED = Counter(
    "arena_votes_accepted",
    "Votes recorded (counted when their transaction commits).",
    ["source"],
)
VOTES_REFUSED = Counter(
    "arena_votes_refused",
    "Votes refused by the voting rules, by refusal code (expired, already voted, ...).",
    ["source", "code"],
)
RATING_JOB_SECONDS = Histogram(
    "arena_rating_job_duration_seconds",
    "Wall time of one rating job in a worker, by method and final status.",
    ["method", "status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
RATING_RUNS_FAILED = Counter(
    "arena_rating_runs_failed",
    "Rating runs that failed, by method and reason (the error's class): a board that stays "
    "behind its votes. Alert on any increase; the other boards keep publishing.",
    ["method", "reason"],
)

#: Kombu's Redis transport keeps a queue's prioritised messages in lists named queue + SEP + n.
_PRIORITY_SEP = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)


def votes_accepted_on_commit(*, source: str, n: int = 1) -> None:
    """Count ``n`` accepted votes once the surrounding transaction commits (never on rollback)."""
    transaction.on_commit(lambda: VOTES_ACCEPTED.labels(source=source).inc(n))


def votes_refused(*, source: str, code: str, n: int = 1) -> None:
    VOTES_REFUSED.labels(source=source, code=code).inc(n)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _ThisProcess(Collector):
    """The default registry's samples: the single-process mode's whole story."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class QueueDepthCollector(Collector):
    """LLEN of the Celery queues in the Redis broker, read when scraped."""

    def __init__(self, broker_url: str, queues: Sequence[str]) -> None:
        self.broker_url, self.queues = broker_url, queues

    def collect(self) -> Iterator[Metric]:
        if not self.broker_url.startswith(("redis://", "rediss://", "unix://")):
            return
        up = GaugeMetricFamily("arena_broker_up", "1 when the Redis broker answered the scrape.")
        depth = GaugeMetricFamily(
            "arena_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        try:
            lengths = _queue_lengths(self.broker_url, self.queues)
        except Exception as error:  # the scrape still reports everything else
            logger.warning("queue depth unavailable: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for queue, length in lengths.items():
            depth.add_metric([queue], length)
        yield up
        yield depth


def _queue_lengths(broker_url: str, queues: Sequence[str]) -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=1, socket_timeout=1)
    try:
        pipe = client.pipeline(transaction=False)
        for queue in queues:
            pipe.llen(queue)
            for step in _PRIORITY_STEPS:
                pipe.llen(f"{queue}{_PRIORITY_SEP}{step}")
        counts = pipe.execute()
    finally:
        client.close()
    per_queue = 1 + len(_PRIORITY_STEPS)
    return {q: sum(counts[i * per_queue : (i + 1) * per_queue]) for i, q in enumerate(queues)}


def queue_depth_collector() -> QueueDepthCollector:
    # every family's queue, so that each worker pool can be scaled on its own backlog
    queues = list(getattr(settings, "ARENA_QUEUES", ("celery",)))
    return QueueDepthCollector(settings.CELERY_BROKER_URL, queues)


def registry_for_scrape(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """Every process's counters (or this one's), the queue depth, and ``extra``."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    registry.register(queue_depth_collector())
    for collector in extra:
        registry.register(collector)
    return registry


def exposition(extra: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """The text of one scrape and its content type."""
    return generate_latest(registry_for_scrape(extra)), CONTENT_TYPE_LATEST


def serve(port: int) -> None:
    """Serve this host's counters on ``port`` from a thread (a worker has no web server)."""
    from prometheus_client import start_http_server

    start_http_server(port, registry=registry_for_scrape())
