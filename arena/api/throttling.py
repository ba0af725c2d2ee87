"""The API's rate limits per API key (or signed-in user) and per client address, 429 with
Retry-After: DRF throttle classes over the atomic counters of :mod:`arena.ratelimit`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from arena.models import ApiKey
from arena.net import client_address
from arena.ratelimit import ALLOWED, rate_hit

__all__ = ["ApiKeyThrottle", "ClientAddressThrottle", "client_address"]

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.views import APIView


class _Throttle(BaseThrottle):
    scope = ""

    def __init__(self) -> None:
        self.verdict = ALLOWED

    def key(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        key = self.key(request)
        if key is None:
            return True
        # Read at call time (DRF binds the rates at import), so settings can change them.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        self.verdict = rate_hit(None if rate is None else str(rate), "api", self.scope, key)
        return self.verdict.allowed

    def wait(self) -> float | None:
        return self.verdict.retry_after if not self.verdict.allowed else None


class ApiKeyThrottle(_Throttle):
    """Per API key; a browser signed in to the site (session authentication) per user."""

    scope = "api_key"

    def key(self, request: Request) -> str | None:
        if isinstance(request.auth, ApiKey):
            return f"key:{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return None


class ClientAddressThrottle(_Throttle):
    """Per client address, for requests without an API key: a key is limited by its own rate
    (an operator issued it and can revoke it), so a judge's harness is not held to an office's
    shared address."""

    scope = "client_address"

    def key(self, request: Request) -> str | None:
        if isinstance(request.auth, ApiKey):
            return None
        return f"addr:{client_address(request)}"
