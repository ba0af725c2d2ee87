"""Rate limits that hold under parallel load: one atomic Redis call per limit and request.

The counting is the ``limits`` library's moving window (a sliding log, the semantics DRF's
throttles had): its Redis storage checks the window and records the hit in one Lua script, so
two requests racing on the same key cannot both see room for one. DRF's own throttle reads the
history from the cache, appends and writes it back: under 40 parallel clients that let 904 of
2,000 requests through a 600-per-minute limit. Only a refused request makes a second call, to
learn when the window reopens (``Retry-After``).

While the storage is unreachable, requests pass (logged) rather than fail: a Redis outage must
never block a vote. Without ``REDIS_URL`` the counters live in each process's memory.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Concatenate, ParamSpec

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from limits import (
    RateLimitItem,
    RateLimitItemPerDay,
    RateLimitItemPerHour,
    RateLimitItemPerMinute,
    RateLimitItemPerSecond,
)
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from arena.net import client_address

if TYPE_CHECKING:
    from django.http.response import HttpResponseBase

__all__ = ["Verdict", "limiter", "page_limited", "page_verdict", "rate_hit", "rate_parse"]

logger = logging.getLogger(__name__)

_PERIODS: dict[str, type[RateLimitItem]] = {
    "s": RateLimitItemPerSecond,
    "m": RateLimitItemPerMinute,
    "h": RateLimitItemPerHour,
    "d": RateLimitItemPerDay,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a request is within its limits, and if not, the seconds until it would be."""

    allowed: bool
    retry_after: int = 0
    #: The rate that refused it (``"600/min"``), for the message.
    rate: str = ""


ALLOWED = Verdict(allowed=True)


@functools.lru_cache(maxsize=64)
def rate_parse(rate: str) -> RateLimitItem:
    """A DRF-style rate (``"600/min"``, ``"10/s"``, ``"1000/day"``) as a ``limits`` item.

    The period is read by its first letter, as DRF does, so the settings keep their format.
    """
    count, _, period = rate.partition("/")
    item = _PERIODS.get(period.strip()[:1].lower())
    if item is None or not count.strip().isdigit():
        raise ValueError(f"not a rate: {rate!r} (expected e.g. '600/min')")
    return item(int(count))


_limiters: dict[str, MovingWindowRateLimiter] = {}
# ASGI serves sync views from many threads: the first requests would build the storage side by
# side, and ``limits`` loads its Redis dependency lazily, which is not safe across threads.
_limiters_lock = threading.Lock()


def _limiter(uri: str) -> MovingWindowRateLimiter:
    found = _limiters.get(uri)
    if found is None:
        with _limiters_lock:
            found = _limiters.get(uri) or _limiter_new(uri)
            _limiters[uri] = found
    return found


def _limiter_new(uri: str) -> MovingWindowRateLimiter:
    options: dict[str, float | str | bool] = {}
    if uri.startswith(("redis://", "rediss://")):
        # A slow Redis must not hold a request: give up within a second and let it through.
        options = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0, "key_prefix": "arena"}
    storage = storage_from_string(uri, wrap_exceptions=True, **options)
    if not isinstance(storage, Storage):
        raise ImproperlyConfigured(f"ARENA_RATE_LIMIT_STORAGE {uri!r} is not a synchronous storage")
    return MovingWindowRateLimiter(storage)


def limiter() -> MovingWindowRateLimiter:
    """The limiter over ``ARENA_RATE_LIMIT_STORAGE`` (one per storage and process)."""
    return _limiter(settings.ARENA_RATE_LIMIT_STORAGE)


def rate_hit(rate: str | None, *key: str) -> Verdict:
    """Count one request against ``rate`` for ``key``; refused requests are not counted."""
    if not rate:
        return ALLOWED
    item = rate_parse(rate)
    try:
        if limiter().hit(item, *key):
            return ALLOWED
        reset = limiter().get_window_stats(item, *key).reset_time
    except StorageError:
        logger.warning("rate-limit storage unavailable; request let through", exc_info=True)
        return ALLOWED
    wait = max(1, math.ceil(reset - time.time()))
    return Verdict(allowed=False, retry_after=wait, rate=rate)


def page_verdict(request: HttpRequest, scope: str) -> Verdict:
    """The crowd pages' limits: per signed-in user, then per client address.

    ``scope`` names the page family (``"battle"``, ``"board"``...), so one busy family does not
    use up another's allowance. An anonymous browser is counted by its address alone: a session
    is free to drop, an address is not.
    """
    if request.user.is_authenticated:
        by_user = rate_hit(
            settings.ARENA_PAGE_RATE_PER_USER, "page", scope, f"user:{request.user.pk}"
        )
        if not by_user.allowed:
            return by_user
    return rate_hit(
        settings.ARENA_PAGE_RATE_PER_ADDRESS, "page", scope, f"addr:{client_address(request)}"
    )


def too_many_requests(request: HttpRequest, verdict: Verdict) -> HttpResponse:
    """The 429 page, with ``Retry-After``."""
    context = {"retry_after": verdict.retry_after, "rate": verdict.rate}
    response = render(request, "arena/too_many.html", context, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], "HttpResponseBase"]


def page_limited(scope: str) -> Callable[[View[P]], View[P]]:
    """Decorate a crowd page whose answer costs work: over the limit it answers 429."""

    def decorate(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            verdict = page_verdict(request, scope)
            if not verdict.allowed:
                return too_many_requests(request, verdict)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
