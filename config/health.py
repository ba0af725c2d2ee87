"""Probes of the services the site depends on, for the health endpoint.

Each probe reports whether its service answered and how fast. A failure is named by its
exception class only: driver messages can carry host names, user names or URLs, and the health
endpoint is often reachable from outside.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection


@dataclass(frozen=True, slots=True)
class Probe:
    ok: bool
    configured: bool = True
    latency_ms: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        if not self.configured:
            return {"ok": True, "configured": False}
        body: dict[str, object] = {"ok": self.ok, "latency_ms": self.latency_ms}
        if self.error:
            body["error"] = self.error
        return body


def database_probe() -> Probe:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "not ready", whatever the driver raised
        return Probe(ok=False, error=type(error).__name__)
    return Probe(ok=True, latency_ms=_ms_since(started))


def redis_probe() -> Probe:
    """PING the Redis of Celery and Channels; without REDIS_URL (the demo) there is none."""
    url = settings.REDIS_URL
    if not url:
        return Probe(ok=True, configured=False)
    import redis

    started = time.perf_counter()
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except Exception as error:  # refused, timed out, authentication: all "not ready"
        return Probe(ok=False, error=type(error).__name__)
    finally:
        client.close()
    return Probe(ok=True, latency_ms=_ms_since(started))


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
