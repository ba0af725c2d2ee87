"""The API's OpenAPI schema: valid, rendered in /api/docs/, and fuzzed from itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from arena.voters import Voter
from tests.arena.api_helpers import key_for


def test_openapi_schema_validates_without_warnings(tmp_path: Path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "openapi: 3." in text
    for path in ("/api/v1/battles:", "/api/v1/battles/{battle_id}/vote:", "/api/v1/votes/batch:"):
        assert path in text


@pytest.mark.django_db
def test_docs_render_the_schema_from_installed_assets(client):
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # The start-up script is a file of its own (split view), so the CSP needs no inline script.
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn" not in html.lower()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/votes/batch" in schema.json()["paths"]


# --- property-based fuzzing from the schema (short form: a few dozen examples per operation) --


@schemathesis.serializer("application/x-ndjson")
def _json_lines(ctx: object, value: object) -> bytes:
    """Uploads are JSON Lines: a generated string as it is, anything else as one JSON line."""
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def fuzz_headers(arena_setup, make_battle, judge, django_user_model, settings) -> Iterator[dict]:
    """A key with every scope, battles to vote on, generous limits and in-test connections."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min", "client_address": "100000/min"},
    }
    owner = django_user_model.objects.create_user("owner", is_staff=True)
    for _ in range(3):
        make_battle(voter=Voter(judge=judge))
    secret = key_for(scopes=["judge", "submit", "read"], judge=judge, user=owner)
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {secret}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_fuzzed_requests_never_get_a_server_error(case, fuzz_headers):
    response = case.call(headers={**(case.headers or {}), **fuzz_headers})
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith(
        "application/json"
    ):
        body = response.json()
        assert {"code", "message"} <= set(body), body
