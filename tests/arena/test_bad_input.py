"""Bad input answers a clear 4xx and changes nothing: the findings of issue #18, one test each."""

from __future__ import annotations

import csv
import io
import json
import logging
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from arena.models import Completion, User, Vote
from arena.voters import Voter
from tests.arena.api_helpers import key_for
from tests.conftest import db_state

pytestmark = pytest.mark.django_db
DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture
def keys(arena_setup, judge) -> dict[str, str]:
    owner = User.objects.create_user("owner")
    secret = key_for(scopes=["judge", "submit", "read"], judge=judge, user=owner)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def browser() -> Client:
    return Client(raise_request_exception=False)


def _serve_and_vote(client: Client) -> str:
    page = client.get(reverse("arena")).content.decode()
    public_id = re.search(r'action="/battles/([^/]+)/vote/"', page)[1]
    assert (
        client.post(reverse("battle-vote", args=[public_id]), {"outcome": "A"}).status_code == 303
    )
    return public_id


def _json_post(client: Client, path: str, body: str, keys: dict[str, str]):
    return client.post(path, body, content_type="application/json", headers=keys)


def _upload(client: Client, line: str, keys: dict[str, str]):
    return client.post(
        "/api/v1/submissions", line, content_type="application/x-ndjson", headers=keys
    )


def _error_code(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["code"]


# --- NUL ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/compare/a%00/b/",
        "/a/main/compare/a%00/b/",
        "/boards/all/b%00t/",
        "/a/main/?q=%00",
        "/api/v1/arenas/main/compare/a%00/b/",
        "/api/v1/leaderboards/all/b%00t/",
    ],
)
def test_nul_in_a_path_or_query_is_refused_with_400(browser, arena_setup, path):
    before = db_state()
    response = browser.get(path)
    assert response.status_code == 400, (path, response.status_code)
    assert db_state() == before


def test_nul_in_a_form_field_is_refused_with_400(browser, arena_setup):
    public_id = _serve_and_vote(browser)
    before = db_state()
    response = browser.post(reverse("battle-feedback", args=[public_id]), {"reason": "a\x00b"})
    assert response.status_code == 400
    assert db_state() == before
    signup = browser.post(
        reverse("signup"), {"username": "ann\x00", "password1": "p", "password2": "p"}
    )
    assert signup.status_code == 400
    assert not User.objects.filter(username__startswith="ann").exists()


# --- JSON: nesting, surrogates, numbers ---------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        '{"count": 1, "category": ' + DEEP + "}",
        '{"count": 1, "category": "\\ud800"}',
        '{"count": 1, "category": "x", "\\udfff": 1}',
        '{"count": 1e400}',
        '{"count": 1, "prompt_set_version": 99999999999999999999999}',
    ],
    ids=["deep", "deep-field", "surrogate", "surrogate-key", "inf", "huge-int"],
)
def test_unsafe_json_is_refused_with_400(browser, keys, body):
    before = db_state()
    response = _json_post(browser, "/api/v1/battles", body, keys)
    assert response.status_code == 400, response.content[:300]
    assert _error_code(response) in ("parse_error", "invalid_request")
    assert db_state() == before


def test_lone_surrogate_in_a_vote_rationale_is_refused(browser, keys, make_battle, judge):
    battle = make_battle(voter=Voter(judge=judge))
    before = db_state()
    body = '{"outcome": "A", "rationale": "\\ud800"}'
    response = _json_post(browser, f"/api/v1/battles/{battle.public_id}/vote", body, keys)
    assert response.status_code == 400
    assert db_state() == before


def test_prompt_set_version_beyond_the_column_is_refused(browser, keys, arena_setup):
    name = arena_setup["arena"].prompt_sets.get().name
    before = db_state()
    body = json.dumps({"count": 1, "prompt_set": name, "prompt_set_version": 2**31})
    response = _json_post(browser, "/api/v1/battles", body, keys)
    assert response.status_code == 400, response.content[:300]
    assert db_state() == before


@pytest.mark.parametrize(
    "extra",
    [
        '"energy_wh": NaN',
        '"energy_wh": Infinity',
        '"energy_wh": -Infinity',
        '"energy_wh": 1e400',
        '"output_tokens": 99999999999999999999999',
        '"output_tokens": 3000000000',
        '"latency_ms": 2147483648',
        '"prompt": "\\ud800"',
        '"prompt": ' + DEEP,
    ],
)
def test_unsafe_upload_line_is_refused_with_400(browser, keys, extra):
    before = db_state()
    line = '{"model": "m", "question_id": "q", "answer": "a", "prompt": "p", ' + extra + "}"
    line = line.replace('"prompt": "p", "prompt"', '"prompt"')
    response = _upload(browser, line, keys)
    assert response.status_code == 400, response.content[:300]
    assert db_state() == before


def test_imported_answers_keep_no_non_finite_cost(tmp_path):
    from arena.services.imports import _cost

    assert [_cost(v) for v in (float("nan"), float("inf"), -float("inf"), 2.5)] == [
        None,
        None,
        None,
        2.5,
    ]
    assert _cost(2**70, whole=True) is None


# --- client addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize("proxies", [0, 1])
def test_unknown_forwarded_address_does_not_crash_a_vote(arena_setup, settings, proxies):
    """uvicorn, told to trust X-Forwarded-For, hands Django the entry as it is: "unknown"."""
    settings.ARENA_TRUSTED_PROXY_COUNT = proxies
    client = Client(
        raise_request_exception=False, REMOTE_ADDR="unknown", HTTP_X_FORWARDED_FOR="unknown"
    )
    _serve_and_vote(client)
    assert Vote.objects.get().client_ip is None


# --- sizes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mib", [2.6, 3.9])
def test_json_bodies_under_the_documented_limit_are_not_refused_by_django(browser, keys, mib):
    # Padded with JSON whitespace: the API refuses fields it does not know.
    body = '{"count": 1, "category": "' + "x" * 50 + '"' + " " * int(mib * 2**20) + "}"
    response = _json_post(browser, "/api/v1/battles", body, keys)
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize(
    "path", ["/api/v1/battles", "/api/v1/arenas/main/leaderboards/", "/api/v1/arenas/"]
)
def test_every_too_large_api_body_gets_the_json_413(browser, keys, path):
    body = json.dumps({"pad": "x" * (5 * 2**20)})
    before = db_state()
    response = _json_post(browser, path, body, keys)
    assert response.status_code == 413, response.content[:300]
    assert _error_code(response) == "payload_too_large"
    assert db_state() == before


def test_too_large_form_gets_413(browser, arena_setup):
    response = browser.post(reverse("login"), {"username": "x" * (5 * 2**20), "password": "p"})
    assert response.status_code == 413


# --- exports ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ['=HYPERLINK("http://evil.example","x")', "+1", "-1+2", "@A1"])
def test_csv_export_neutralises_formulas(browser, keys, reason):
    public_id = _serve_and_vote(browser)
    feedback = browser.post(reverse("battle-feedback", args=[public_id]), {"reason": reason})
    assert feedback.status_code == 200
    response = browser.get("/api/v1/votes/export?format=csv", headers=keys)
    text = b"".join(response.streaming_content).decode()
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["reason"] == "'" + reason
    assert all(not v or v[0] not in "=+-@\t\r" for v in row.values())


def test_csv_cells_starting_with_tab_or_carriage_return_are_neutralised():
    from arena.api.exports import csv_cell

    assert [csv_cell(v) for v in ("\tx", "\rx", "x", -1, None)] == ["'\tx", "'\rx", "x", -1, None]


# --- websocket ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_non_json_websocket_frame_gets_an_error_frame_and_no_error_log(arena_setup, caplog):
    from config.asgi import application
    from leaderboards import services

    await sync_to_async(lambda: list(services.leaderboards_check(enqueue=False)))()
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    communicator = WebsocketCommunicator(application, "/ws/a/main/boards/all/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    with caplog.at_level(logging.INFO):
        await communicator.send_to(text_data="not json{")
        frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "error"
    assert frame["code"] == "invalid_frame"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info]
    await communicator.disconnect()


def test_completion_count_untouched_sanity(arena_setup):
    assert Completion.objects.count() == 6
