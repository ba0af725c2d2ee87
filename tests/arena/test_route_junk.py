"""Junk sent to every route of the URLconf, as anyone: never a 500.

NUL characters, lone surrogates, deep nesting, huge numbers and header junk (X-Forwarded-For
that is no address, a foreign Host, a Content-Length or Content-Type that means nothing) go to
each page and endpoint (HTML and API, GET and POST), as an anonymous browser, a signed-in voter
and an API key with every scope. Each must get an answer below 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from arena.models import User
from arena.voters import Voter
from tests.arena.api_helpers import key_for

pytestmark = pytest.mark.django_db
DEEP = "[" * 1000 + "]" * 1000
#: A value for each parameter that reaches the view (and its database query) rather than a 404.
SAMPLES = {
    "slug": "main",
    "scope": "all",
    "method": "bt",
    "a": "Model 0",
    "b": "Model 1",
    "name": "Model 0",
    "tournament_id": "1",
    "token": "no-such-token",
    "public_id": "battle0000000000000000",
    "battle_id": "battle0000000000000000",
}


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        route = getattr(entry.pattern, "_route", None)
        if route is None:  # regex patterns: the admin's own and static files
            continue
        if isinstance(entry, URLResolver):
            if not route.startswith("admin/"):
                yield from _routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route


def _path(route: str, *, junk: str = "") -> str:
    def fill(match: re.Match[str]) -> str:
        return SAMPLES[match[1]] + junk

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)


ROUTES = [*sorted(set(_routes(get_resolver().url_patterns))), "admin/", "admin/login/"]

#: (name, method, client keyword arguments, path junk)
VARIANTS: list[tuple[str, str, dict[str, Any], str]] = [
    ("nul-in-path", "get", {}, "\x00"),
    ("surrogate-in-path", "get", {}, "%ED%A0%80"),
    ("nul-in-query", "get", {"data": {"q": "\x00", "limit": "\x00", "format": "\x00"}}, ""),
    ("huge-query", "get", {"data": {"limit": "9" * 40, "offset": "-" + "9" * 40}}, ""),
    ("nul-in-form", "post", {"data": {"outcome": "A\x00", "reason": "\x00", "q": "\x00"}}, ""),
    ("deep-json", "post", {"data": DEEP, "content_type": "application/json"}, ""),
    (
        "surrogate-json",
        "post",
        {"data": '{"outcome": "\\ud800", "\\udfff": "x"}', "content_type": "application/json"},
        "",
    ),
    (
        "huge-json",
        "post",
        {
            "data": '{"count": 1e400, "votes": [' + "9" * 400 + "]}",
            "content_type": "application/json",
        },
        "",
    ),
    (
        "nan-json",
        "post",
        {"data": '{"count": NaN, "energy_wh": Infinity}', "content_type": "application/json"},
        "",
    ),
    ("xff-unknown", "get", {"HTTP_X_FORWARDED_FOR": "unknown", "REMOTE_ADDR": "unknown"}, ""),
    ("xff-junk", "post", {"HTTP_X_FORWARDED_FOR": "\x00, ::ffff:zz, " + "1" * 300}, ""),
    ("bad-host", "get", {"HTTP_HOST": "evil.example:99999"}, ""),
    (
        "bad-content-length",
        "post",
        {"data": "{}", "content_type": "application/json", "CONTENT_LENGTH": "-1"},
        "",
    ),
    (
        "bad-charset",
        "generic",
        {"data": b"a=b", "content_type": "application/x-www-form-urlencoded; charset=nope"},
        "",
    ),
    ("junk-content-type", "post", {"data": "{}", "content_type": "\x00/\x00"}, ""),
]


@pytest.fixture
def identities(arena_setup, make_battle, judge, settings) -> dict[str, Client]:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min", "client_address": "100000/min"},
    }
    settings.ARENA_TRUSTED_PROXY_COUNT = 1
    voter = User.objects.create_user("voter", is_staff=True, is_superuser=True)
    make_battle(voter=Voter(judge=judge))
    secret = key_for(scopes=["judge", "submit", "read"], judge=judge, user=voter)
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(voter)
    return {
        "anonymous": Client(raise_request_exception=False),
        "signed-in": signed_in,
        "api-key": Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {secret}"),
    }


@pytest.mark.parametrize("route", ROUTES)
def test_junk_to_every_route_gets_no_server_error(identities, route):
    errors = []
    for who, client in identities.items():
        for name, method, kwargs, junk in VARIANTS:
            path = _path(route, junk=junk)
            if junk and path == _path(route):
                continue  # no path parameter to spoil
            if method == "generic":  # the test client's post() would encode with the charset
                response = client.generic("POST", path, **kwargs)
            else:
                response = getattr(client, method)(path, **kwargs)
            if response.status_code >= 500:
                errors.append((who, name, method, path, response.status_code))
    assert errors == []


def test_every_route_is_covered():
    assert len(ROUTES) > 40
    assert "api/v1/votes/batch" in ROUTES
    assert "accounts/signup/" in ROUTES
