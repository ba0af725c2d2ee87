"""Bounded uploads: caps per upload and per owner per day, bounded lines, a bounded body; each
refusal a clear JSON 4xx that changes nothing. (The memory figure: bench/upload_memory.py.)"""

from __future__ import annotations

import io
import json

import pytest

from arena.api.parsers import JSONLinesParser, PayloadTooLarge
from arena.models import Completion, Prompt
from arena.services.upload_reading import MAX_LINE_BYTES
from tests.arena.api_helpers import Api, key_for
from tests.conftest import db_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


@pytest.fixture
def submitter(owner, arena_setup) -> Api:
    return Api(key_for(scopes=["submit"], user=owner))


def upload(api: Api, body: str | bytes):
    return api.client.post(
        "/api/v1/submissions", body, content_type="application/x-ndjson", headers=api.headers()
    )


def jsonl(records: list[dict[str, object]]) -> str:
    return "\n".join(json.dumps(r) for r in records)


def prompts(n: int, start: int = 0) -> list[dict[str, object]]:
    return [{"question_id": f"q{i}", "prompt": f"Question {i}?"} for i in range(start, start + n)]


def answers(n: int, model: str = "m") -> list[dict[str, object]]:
    return [{"model": model, "question_id": f"q{i}", "answer": f"Answer {i}."} for i in range(n)]


def refused(response, status: int, code: str) -> str:
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    return str(response.json()["message"])


def test_an_upload_over_the_prompt_cap_is_refused_and_records_nothing(submitter, settings):
    settings.ARENA_UPLOAD_MAX_PROMPTS = 3
    before = db_state()
    message = refused(upload(submitter, jsonl(prompts(4))), 422, "upload_cap_exceeded")
    assert "at most 3 prompts" in message
    assert db_state() == before
    assert upload(submitter, jsonl(prompts(3))).status_code == 201


def test_an_upload_over_the_answer_cap_is_refused(submitter, settings):
    settings.ARENA_UPLOAD_MAX_ANSWERS = 2
    before = db_state()
    message = refused(upload(submitter, jsonl(prompts(3) + answers(3))), 422, "upload_cap_exceeded")
    assert "at most 2 answers" in message
    assert db_state() == before


def test_an_upload_over_the_model_cap_is_refused(submitter, settings):
    settings.ARENA_UPLOAD_MAX_COMPETITORS = 1
    body = jsonl([{"model": "one"}, {"model": "two"}])
    assert "at most 1 models" in refused(upload(submitter, body), 422, "upload_cap_exceeded")


def test_the_daily_prompt_cap_counts_an_owners_new_prompts_only(submitter, settings):
    settings.ARENA_UPLOAD_MAX_PROMPTS_PER_DAY = 3
    assert upload(submitter, jsonl(prompts(2))).status_code == 201
    # The same prompts again add nothing new: accepted.
    assert upload(submitter, jsonl(prompts(2))).json()["created"]["prompts"] == 0
    before = db_state()
    message = refused(upload(submitter, jsonl(prompts(2, start=2))), 422, "upload_cap_exceeded")
    assert "at most 3 new prompts in 24 hours" in message
    assert db_state() == before
    assert upload(submitter, jsonl(prompts(1, start=2))).status_code == 201


def test_the_daily_answer_cap_holds_across_uploads(submitter, settings):
    settings.ARENA_UPLOAD_MAX_ANSWERS_PER_DAY = 3
    assert upload(submitter, jsonl(prompts(4) + answers(2))).status_code == 201
    before = db_state()
    response = upload(submitter, jsonl(prompts(4) + answers(4)))  # two new answers: five today
    assert "new answers in 24 hours" in refused(response, 422, "upload_cap_exceeded")
    assert db_state() == before
    assert Completion.objects.count() == 6 + 2  # the fixture's six and the first upload's two


def test_a_line_over_the_line_limit_is_413_and_records_nothing(submitter):
    before = db_state()
    body = jsonl(prompts(1)) + "\n" + json.dumps({"model": "x" * (MAX_LINE_BYTES + 1)})
    response = upload(submitter, body)
    assert refused(response, 413, "upload_line_too_long").startswith("Line 2:")
    assert db_state() == before


def test_a_body_over_the_upload_limit_is_413(submitter, settings):
    settings.ARENA_API_MAX_UPLOAD_BYTES = 1000
    before = db_state()
    refused(upload(submitter, jsonl(prompts(100))), 413, "payload_too_large")
    assert db_state() == before


def test_the_parser_stops_a_body_without_a_length_at_the_limit(settings):
    """A chunked body carries no Content-Length: the parser counts what it copies."""
    settings.ARENA_API_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(PayloadTooLarge):
        JSONLinesParser().parse(io.BytesIO(b"x" * 1001))
    assert JSONLinesParser().parse(io.BytesIO(b"y" * 1000)).read() == b"y" * 1000


def test_a_lone_surrogate_is_a_bad_line_not_a_server_error(submitter):
    before = db_state()
    body = '{"question_id": "q", "prompt": "broken \\ud800 text"}'
    assert "surrogate" in refused(upload(submitter, body), 400, "invalid_upload_line")
    assert db_state() == before


def test_a_prompt_and_its_answers_may_come_in_any_order(submitter):
    body = jsonl(answers(1) + prompts(1))
    assert upload(submitter, body).json()["created"] == {
        "competitors": 1,
        "prompts": 1,
        "completions": 1,
    }
    assert Prompt.objects.get(external_id="q0").completions.get().text == "Answer 0."
