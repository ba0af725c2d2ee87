"""Crowd vote caps per browser session and per client address, under parallel clients."""

from __future__ import annotations

import re
import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from arena.models import Vote
from tests.conftest import db_state

N_CLIENTS = 20


def _serve(client: Client, **extra: str) -> str:
    page = client.get(reverse("arena"), **extra).content.decode()
    return re.search(r'action="/battles/([^/]+)/vote/"', page)[1]


def _vote(client: Client, public_id: str, **extra: str) -> int:
    url = reverse("battle-vote", args=[public_id])
    return client.post(url, {"outcome": "A"}, **extra).status_code


def _in_parallel(jobs: list[tuple[Client, str]], **extra: str) -> Counter[int]:
    """Send every vote at once (a barrier releases them together); count the statuses."""
    barrier = threading.Barrier(len(jobs))
    statuses: list[int] = []

    def send(client: Client, public_id: str) -> None:
        try:
            barrier.wait(timeout=30)
            statuses.append(_vote(client, public_id, **extra))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(statuses)


@pytest.fixture
def caps(settings):
    settings.ARENA_VOTE_CAP_SESSION_PER_HOUR = 0
    settings.ARENA_VOTE_CAP_SESSION_PER_DAY = 0
    settings.ARENA_VOTE_CAP_ADDRESS_PER_HOUR = 0
    settings.ARENA_VOTE_CAP_ADDRESS_PER_DAY = 0
    return settings


@pytest.mark.django_db(transaction=True)
def test_address_cap_holds_under_20_parallel_clients(arena_setup, caps):
    caps.ARENA_VOTE_CAP_ADDRESS_PER_HOUR = 7
    clients = [Client(REMOTE_ADDR="198.51.100.7") for _ in range(N_CLIENTS)]
    jobs = [(client, _serve(client)) for client in clients]
    statuses = _in_parallel(jobs)
    assert statuses == Counter({303: 7, 429: N_CLIENTS - 7})
    assert Vote.objects.filter(client_ip="198.51.100.7").count() == 7


@pytest.mark.django_db(transaction=True)
def test_session_cap_holds_under_20_parallel_requests(arena_setup, caps):
    caps.ARENA_VOTE_CAP_SESSION_PER_DAY = 5
    browser = Client()
    jobs = [(browser, _serve(browser)) for _ in range(N_CLIENTS)]
    statuses = _in_parallel(jobs)
    assert statuses == Counter({303: 5, 429: N_CLIENTS - 5})
    assert Vote.objects.count() == 5


@pytest.mark.django_db
def test_reached_cap_says_so_and_changes_nothing(arena_setup, caps, crowd_client):
    caps.ARENA_VOTE_CAP_SESSION_PER_HOUR = 2
    battles = [_serve(crowd_client) for _ in range(3)]
    assert [_vote(crowd_client, b) for b in battles[:2]] == [303, 303]
    before = db_state()
    response = crowd_client.post(reverse("battle-vote", args=[battles[2]]), {"outcome": "B"})
    assert response.status_code == 429
    assert "browser session has cast 2 votes in the past hour" in response.content.decode()
    assert db_state() == before
    # Serving a new battle is refused too, with the same message, before any answer is shown.
    response = crowd_client.get(reverse("arena"))
    assert response.status_code == 429


@pytest.mark.django_db
def test_spoofed_forwarded_for_does_not_escape_the_address_cap(arena_setup, caps):
    """Behind one trusted proxy, only the address that proxy saw counts."""
    caps.ARENA_TRUSTED_PROXY_COUNT = 1
    caps.ARENA_VOTE_CAP_ADDRESS_PER_HOUR = 3
    served = []
    for i in range(6):
        client = Client(REMOTE_ADDR="10.0.0.2")  # the proxy
        headers = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i}, 192.0.2.50"}
        served.append((client, _serve(client, **headers), headers))
    statuses = [_vote(client, public_id, **headers) for client, public_id, headers in served]
    assert statuses == [303, 303, 303, 429, 429, 429]
    assert set(Vote.objects.values_list("client_ip", flat=True)) == {"192.0.2.50"}


@pytest.mark.django_db
def test_caps_do_not_apply_to_judges(arena_setup, caps, judge):
    from arena.services.votes import vote_record
    from arena.voters import Voter

    caps.ARENA_VOTE_CAP_SESSION_PER_HOUR = 1
    caps.ARENA_VOTE_CAP_ADDRESS_PER_HOUR = 1
    from arena.services.battles import battle_create

    voter = Voter(judge=judge)
    for _ in range(3):
        battle = battle_create(arena=arena_setup["arena"], voter=voter)
        vote_record(public_id=battle.public_id, voter=voter, outcome=1)
    assert Vote.objects.count() == 3
