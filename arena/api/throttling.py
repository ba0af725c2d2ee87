"""Rate limits per API key and per client address, with Retry-After on 429."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from arena.models import ApiKey
from arena.net import client_address

__all__ = ["ApiKeyThrottle", "ClientAddressThrottle", "client_address"]

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.views import APIView


class _Throttle(SimpleRateThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        # The counters live in Redis; while it is down, requests pass unthrottled rather than
        # fail, so that a Redis outage never blocks a vote.
        try:
            return super().allow_request(request, view)
        except RedisError:
            logger.warning("rate-limit cache unavailable; request let through", exc_info=True)
            return True

    def get_rate(self) -> str | None:
        # Read at call time (DRF binds the rates at import), so settings can change them.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)


class ApiKeyThrottle(_Throttle):
    scope = "api_key"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return f"throttle:key:{request.auth.pk}"


class ClientAddressThrottle(_Throttle):
    scope = "client_address"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return f"throttle:addr:{client_address(request)}"
