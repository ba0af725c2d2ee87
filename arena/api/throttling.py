"""Rate limits per API key and per client address, with Retry-After on 429."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from arena.models import ApiKey

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.views import APIView


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry the trusted proxies saw.

    With ``ARENA_TRUSTED_PROXY_COUNT`` = n > 0, the n-th address from the right of
    X-Forwarded-For is the one the outermost trusted proxy received the request from; entries
    further left can be forged by the client and are ignored.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.ARENA_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if not forwarded:
        return remote
    return forwarded[-min(trusted, len(forwarded))]


class _Throttle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # Read at call time (DRF binds the rates at import), so settings can change them.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


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
