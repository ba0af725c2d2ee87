"""The client's network address, as far as the operator's own proxies vouch for it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry the trusted proxies saw.

    With ``ARENA_TRUSTED_PROXY_COUNT`` = n > 0, the n-th address from the right of
    X-Forwarded-For is the one the outermost trusted proxy received the request from; entries
    further left were written by the client and can be forged, so they are ignored. With n = 0
    the header is ignored altogether. An entry that is not an IP address is not trusted either;
    a REMOTE_ADDR that is not one gives the empty string (no address).
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    # An ASGI server told to trust X-Forwarded-For hands its entry on as it is ("unknown", a
    # name): not an address a vote can store or a cap can count, so the request has none.
    remote = remote if _valid(remote) else ""
    trusted = settings.ARENA_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if not forwarded:
        return remote
    chosen = forwarded[-min(trusted, len(forwarded))]
    return chosen if _valid(chosen) else remote
