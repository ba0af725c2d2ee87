"""Rate limits and client addresses on the production web process (gunicorn + uvicorn workers,
two processes, Redis counters), under a parallel burst as an outsider would send it."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.live import gunicorn

pytestmark = [pytest.mark.e2e, pytest.mark.longest, pytest.mark.django_db(transaction=True)]


async def _burst(url: str, n: int, concurrency: int) -> tuple[list[httpx.Response], int]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    dropped = 0
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def one() -> httpx.Response:
            # A kept-alive connection that the server closes as the request goes out is a read
            # error on the client (a race every HTTP client meets under load): a client sends a
            # GET again, as this one does; the drop is counted, since a dropped request the
            # server had already counted lowers what can get through.
            nonlocal dropped
            async with gate:
                for attempt in range(3):
                    try:
                        return await client.get(url)
                    except httpx.TransportError:
                        dropped += 1
                        if attempt == 2:
                            raise
                raise AssertionError("unreachable")

        responses = list(await asyncio.gather(*(one() for _ in range(n))))
    return responses, dropped


def burst(
    url: str, n: int, concurrency: int
) -> tuple[Counter[int], list[httpx.Response], float, int]:
    started = time.monotonic()
    responses, dropped = asyncio.run(_burst(url, n, concurrency))
    statuses = Counter(r.status_code for r in responses)
    return statuses, responses, time.monotonic() - started, dropped


def assert_limited(
    statuses: Counter[int], responses: list[Any], limit: int, seconds: float, dropped: int
):
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[200] <= limit
    if seconds < 60:  # the whole burst inside one window: the limit gets through, less drops
        assert limit - dropped <= statuses[200]
    refused = [r for r in responses if r.status_code == 429]
    assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in refused)


def test_a_parallel_burst_of_2000_gets_at_most_the_600_per_minute_limit(
    arena_setup, tmp_path: Path
):
    """DRF's throttle (read, append, write) let 904 of these 2,000 through."""
    settings = {
        "ARENA_API_RATE_PER_ADDRESS": "600/min",
        "ARENA_PAGE_RATE_PER_ADDRESS": "100/min",
    }
    with gunicorn(tmp_path, **settings) as live:
        statuses, responses, seconds, dropped = burst(live.url + "/api/v1/arenas/", 2000, 40)
        print(f"API burst: {dict(statuses)} in {seconds:.1f} s, {dropped} dropped and resent")
        assert_limited(statuses, responses, 600, seconds, dropped)
        assert responses[-1].status_code == 429
        assert responses[-1].json()["code"] == "throttled"
        # A crowd page that computes, under its own (page) limit, the same way.
        statuses, responses, seconds, dropped = burst(live.url + "/stats/", 400, 40)
        print(f"page burst: {dict(statuses)} in {seconds:.1f} s, {dropped} dropped and resent")
        assert_limited(statuses, responses, 100, seconds, dropped)
        assert "Too many requests" in responses[-1].text


def test_a_direct_client_cannot_pick_its_address_with_x_forwarded_for(arena_setup, tmp_path: Path):
    """With no trusted proxy, four requests naming four addresses are one address: the fourth
    is over a limit of 3. FORWARDED_ALLOW_IPS=* (what compose and k8s used to set) changes
    nothing now: the server never rewrites the address."""
    settings = {
        "ARENA_TRUSTED_PROXY_COUNT": "0",
        "FORWARDED_ALLOW_IPS": "*",
        "ARENA_API_RATE_PER_ADDRESS": "3/min",
    }
    with gunicorn(tmp_path, **settings) as live:
        statuses = [
            httpx.get(
                live.url + "/api/v1/arenas/", headers={"X-Forwarded-For": f"203.0.113.{i}"}
            ).status_code
            for i in range(1, 5)
        ]
        assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("proxies", ["0", "1"])
def test_junk_in_x_forwarded_for_is_no_server_error(arena_setup, tmp_path: Path, proxies: str):
    junk = ["unknown", "", ",,,", "999.1.1.1", "1.2.3.4, unknown", "_hidden, 10.0.0.1:80"]
    junk.append("x" * 300)
    with gunicorn(tmp_path, ARENA_TRUSTED_PROXY_COUNT=proxies) as live:
        with httpx.Client(base_url=live.url) as client:
            for value in junk:
                headers = {"X-Forwarded-For": value}
                assert client.get("/", headers=headers).status_code == 200, value
                assert client.get("/api/v1/arenas/", headers=headers).status_code == 200, value
                login = client.post(
                    "/admin/login/", data={"username": "x", "password": "y"}, headers=headers
                )
                assert login.status_code < 500, value
        assert "Traceback" not in live.log.read_text(errors="replace")
