"""Operator endpoints: liveness, readiness (health) and the Prometheus scrape.

They live in ``ratings`` because both report the newest published rating run, which is this
app's; the probes of the database and Redis come from ``config.health``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from arena import metrics
from config import health
from leaderboards import selectors


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is checked, so a database outage restarts nothing."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """200 when the database and Redis answer, else 503; with the newest published run's age."""
    database, redis = health.database_probe(), health.redis_probe()
    ok = database.ok and redis.ok
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {"database": database.as_dict(), "redis": redis.as_dict()},
        "newest_run": _newest_run() if database.ok else None,
    }
    return JsonResponse(body, status=200 if ok else 503)


def _newest_run() -> dict[str, object] | None:
    finished_at = selectors.run_newest_published_at()
    if finished_at is None:
        return None
    age = (timezone.now() - finished_at).total_seconds()
    return {"finished_at": finished_at.isoformat(), "age_seconds": round(age, 3)}


@never_cache
@require_GET
def prometheus(request: HttpRequest) -> HttpResponse:
    """Every process's counters, the queue depth and the newest run's age, as Prometheus text.

    With ARENA_METRICS_TOKEN set, the scraper must send ``Authorization: Bearer TOKEN``.
    """
    token = settings.ARENA_METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return JsonResponse(
            {"code": "invalid_metrics_token", "message": "Send Authorization: Bearer TOKEN."},
            status=401,
        )
    body, content_type = metrics.exposition([NewestRunCollector()])
    return HttpResponse(body, content_type=content_type)


class NewestRunCollector(Collector):
    """Seconds since the newest rating run was published: the boards' staleness."""

    def collect(self) -> Iterator[Metric]:
        finished_at = selectors.run_newest_published_at()
        if finished_at is None:
            return
        gauge = GaugeMetricFamily(
            "arena_newest_run_age_seconds", "Seconds since the newest rating run was published."
        )
        gauge.add_metric([], (timezone.now() - finished_at).total_seconds())
        yield gauge
