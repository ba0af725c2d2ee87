"""Web hardening: deploy checks, CSP, CSRF and Origin, client addresses, sign-in lockout, 503s."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client, RequestFactory
from django.urls import reverse

from arena.models import Battle, User, Vote
from arena.net import client_address
from tests.conftest import db_state
from tests.e2e.stack import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "arena.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://arena.example.org",
}


def _serve(client: Client) -> tuple[Battle, str]:
    page = client.get(reverse("arena")).content.decode()
    public_id = re.search(r'action="/battles/([^/]+)/vote/"', page)[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    return Battle.objects.get(public_id=public_id), token


def test_check_deploy_passes_with_production_settings():
    env = dict(os.environ, **PRODUCTION_ENV)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/stats/", "/accounts/login/", "/admin/login/", "/api/docs/"]
)
def test_pages_forbid_inline_script(arena_setup, path):
    response = Client().get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())
    assert inline == []


@pytest.mark.django_db
def test_vote_without_the_csrf_token_is_refused(arena_setup):
    browser = Client(enforce_csrf_checks=True)
    battle, _ = _serve(browser)
    before = db_state()
    response = browser.post(reverse("battle-vote", args=[battle.public_id]), {"outcome": "A"})
    assert response.status_code == 403
    assert db_state() == before


@pytest.mark.django_db
def test_cross_site_vote_is_refused_even_with_the_token(arena_setup):
    browser = Client(enforce_csrf_checks=True)
    battle, token = _serve(browser)
    url = reverse("battle-vote", args=[battle.public_id])
    before = db_state()
    response = browser.post(
        url, {"outcome": "A", "csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert db_state() == before
    response = browser.post(
        url, {"outcome": "A", "csrfmiddlewaretoken": token}, HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code == 303
    assert Vote.objects.count() == 1


@pytest.mark.django_db
def test_forged_battle_id_is_refused(arena_setup, crowd_client):
    _serve(crowd_client)
    before = db_state()
    response = crowd_client.post(reverse("battle-vote", args=["forged-id-0000"]), {"outcome": "A"})
    assert response.status_code == 404
    assert db_state() == before


def test_client_address_trusts_only_the_configured_proxies(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4, 10.0.0.9"
    )
    settings.ARENA_TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.1"
    settings.ARENA_TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "10.0.0.9"
    settings.ARENA_TRUSTED_PROXY_COUNT = 2
    assert client_address(request) == "1.2.3.4"
    garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_address(garbage) == "10.0.0.1"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("origin", "accepted"),
    [(b"http://testserver", True), (b"https://evil.example", False), (None, False)],
)
async def test_websocket_handshake_checks_the_origin(arena_setup, origin, accepted):
    from asgiref.sync import sync_to_async

    from config.asgi import application
    from leaderboards.services import leaderboards_ensure_defaults

    await sync_to_async(leaderboards_ensure_defaults)(arena_setup["arena"])
    headers = [(b"host", b"testserver")] + ([(b"origin", origin)] if origin else [])
    communicator = WebsocketCommunicator(application, "/ws/boards/all/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected is accepted
    await communicator.disconnect()


@pytest.mark.django_db
def test_sign_in_is_locked_after_repeated_failures(settings):
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.create_superuser("boss", password="right-password-123")
    client = Client()
    for _ in range(3):
        response = client.post(
            "/admin/login/", {"username": "boss", "password": "wrong"}, REMOTE_ADDR="9.9.9.9"
        )
        assert response.status_code in (200, 429)
    response = client.post(
        "/admin/login/",
        {"username": "boss", "password": "right-password-123"},
        REMOTE_ADDR="9.9.9.9",
    )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Another address is not locked out of the account.
    response = Client().post(
        "/admin/login/",
        {"username": "boss", "password": "right-password-123"},
        REMOTE_ADDR="9.9.9.10",
    )
    assert response.status_code == 302


def test_database_outage_answers_503_with_retry_after(tmp_path):
    """A real server whose PostgreSQL does not answer (nothing listens on its port)."""
    daphne = Path(sys.executable).parent / "daphne"
    dead_db, port = free_port(), free_port()
    env = os.environ | PRODUCTION_ENV
    env |= {
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead_db}/arena",
        "REDIS_URL": "",
    }
    log = (tmp_path / "web.log").open("wb")
    server = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port)
        for path in ("/", "/api/v1/arenas/"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20)
            assert refused.value.code == 503, (tmp_path / "web.log").read_text()[-2000:]
            assert refused.value.headers["Retry-After"] == "5"
            body = refused.value.read().decode()
            if path == "/":  # the site's styled page, which reloads itself, not plain text
                assert 'class="refused error-page"' in body
                assert '<meta http-equiv="refresh" content="5">' in body
                assert 'id="retry" href="/"' in body
        assert "Traceback" not in (tmp_path / "web.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.mark.django_db
def test_judge_votes_pass_while_the_rate_limit_cache_is_down(
    settings, arena_setup, make_battle, judge, caplog
):
    """The API's rate-limit counters live in Redis; a dead Redis must not block a vote."""
    from arena.voters import Voter
    from tests.arena.api_helpers import Api, key_for

    # Nothing listens there.
    settings.ARENA_RATE_LIMIT_STORAGE = f"redis://127.0.0.1:{free_port()}/0"
    battle = make_battle(voter=Voter(judge=judge))
    api = Api(key_for(scopes=["judge"], judge=judge))
    response = api.post(f"/api/v1/battles/{battle.public_id}/vote", {"outcome": "A"})
    assert response.status_code == 201
    assert Vote.objects.get().battle_id == battle.pk
    assert "rate-limit storage unavailable" in caplog.text  # the storage was really tried


def test_a_vote_refused_for_a_busy_database_is_offered_again_with_its_fields(rf, settings):
    """The voter keeps their place and choice: the 503 page re-posts the same form."""
    from arena.middleware import unavailable_response

    settings.ARENA_RETRY_AFTER_SECONDS = 3
    request = rf.post("/battles/abc123/vote/", {"outcome": "B", "csrfmiddlewaretoken": "tok<en>"})
    response = unavailable_response(request)
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert '<form method="post" action="/battles/abc123/vote/"' in body
    assert '<input type="hidden" name="outcome" value="B">' in body
    assert 'name="csrfmiddlewaretoken" value="tok&lt;en&gt;"' in body  # escaped
    assert "http-equiv" not in body  # a POST is never re-sent by itself
