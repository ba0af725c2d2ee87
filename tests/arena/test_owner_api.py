"""The API for model owners (submit) and readers (read): uploads, boards, histories, exports,
judges' agreement; and the key command."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from arena.models import ApiKey, Competitor, Completion, Outcome, Prompt, Vote
from arena.services.votes import vote_record
from arena.voters import Voter
from tests.arena.api_helpers import Api, key_for
from tests.conftest import db_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


@pytest.fixture
def submitter(owner) -> Api:
    return Api(key_for(scopes=["submit"], user=owner))


@pytest.fixture
def reader(owner) -> Api:
    return Api(key_for(scopes=["read"], user=owner))


def upload(api: Api, lines: list[object], path: str = "/api/v1/submissions"):
    body = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines)
    return api.client.post(path, body, content_type="application/x-ndjson", headers=api.headers())


LINES = [
    {"model": "owner-llm", "organisation": "Owner Inc"},
    {"question_id": "q1", "prompt": "What is 2+2?", "category": "math"},
    {"model": "owner-llm", "question_id": "q1", "answer": "**4**"},
    {"model": "owner-llm-2", "question_id": "q1", "answer": "Four."},
]


def test_owner_uploads_competitors_prompts_and_completions(submitter, arena_setup, owner):
    response = upload(submitter, LINES)
    assert response.status_code == 201, response.content
    assert response.json() == {
        "created": {"competitors": 2, "prompts": 1, "completions": 2},
        "unchanged": 0,
        "null_models": [],
        "identity_leaks": 0,
    }
    competitor = Competitor.objects.get(name="owner-llm")
    assert (competitor.organisation, competitor.submitted_by) == ("Owner Inc", owner)
    assert Completion.objects.get(competitor=competitor).bold_count == 1
    arena = arena_setup["arena"]
    assert arena.competitors.filter(name="owner-llm-2").exists()
    assert Prompt.objects.get(external_id="q1").prompt_sets.filter(arenas=arena).exists()
    again = upload(submitter, LINES)
    assert again.json()["unchanged"] == 2
    assert Completion.objects.filter(submitted_by=owner).count() == 2


def test_owner_lists_what_they_submitted(submitter, arena_setup):
    upload(submitter, LINES)
    listing = submitter.get("/api/v1/submissions").json()
    assert [c["name"] for c in listing["competitors"]] == ["owner-llm", "owner-llm-2"]
    assert [c["completions"] for c in listing["competitors"]] == [1, 1]
    assert (listing["prompts"], listing["completions"]) == (1, 2)


@pytest.mark.parametrize(
    ("lines", "line", "fragment"),
    [
        ([*LINES[:2], "{broken"], 3, "not a JSON object"),
        ([*LINES[:2], {"model": "x", "question_id": "nope", "answer": "a"}], 3, "no prompt"),
        ([LINES[0], {"model": "Model 0", "question_id": "q", "prompt": "p"}], 2, "is taken"),
        ([LINES[0], {"model": "x", "colour": "red"}], 2, "unknown field"),
        ([{"model": 7}], 1, "must be a string"),
    ],
)
def test_upload_with_a_bad_line_records_nothing_and_names_it(
    submitter, arena_setup, lines, line, fragment
):
    before = db_state()
    response = upload(submitter, lines)
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["line"]) == ("invalid_upload_line", line)
    assert fragment in body["message"]
    assert db_state() == before


def test_upload_over_10000_answers_is_refused_with_422(submitter, arena_setup):
    lines = [{"question_id": f"q{i}", "prompt": f"p{i}"} for i in range(10_001)] + [
        {"model": "m", "question_id": f"q{i}", "answer": "a"} for i in range(10_001)
    ]
    before = db_state()
    response = upload(submitter, lines)
    assert (response.status_code, response.json()["code"]) == (422, "upload_cap_exceeded")
    assert "10,000 prompts" in response.json()["message"]
    assert db_state() == before


def test_upload_needs_the_submit_scope(arena_setup, owner):
    before = db_state()
    response = upload(Api(key_for(scopes=["read"], user=owner)), LINES)
    assert (response.status_code, response.json()["code"]) == (403, "scope_missing")
    assert db_state() == before


# --- reading -----------------------------------------------------------------------------------


@pytest.fixture
def voted(arena_setup, make_battle, judge, other_judge):
    """The same two battles judged by two judges and the crowd; the judges disagree once."""
    first, second, _ = arena_setup["competitors"]
    prompts = arena_setup["prompts"]
    verdicts = {judge: [Outcome.A, Outcome.B], other_judge: [Outcome.A, Outcome.A]}
    for voter_judge, outcomes in verdicts.items():
        for prompt, outcome in zip(prompts, outcomes, strict=True):
            battle = make_battle(voter=Voter(judge=voter_judge), prompt=prompt, a=first, b=second)
            vote_record(public_id=battle.public_id, voter=Voter(judge=voter_judge), outcome=outcome)
    for prompt in prompts:  # the crowd saw the pair the other way round: B means `first`
        battle = make_battle(voter=Voter(session_key="c"), prompt=prompt, a=second, b=first)
        vote_record(public_id=battle.public_id, voter=Voter(session_key="c"), outcome=Outcome.B)
    return arena_setup


def test_reader_gets_the_arenas_raw_board(reader, voted):
    board = reader.get("/api/v1/leaderboard").json()
    assert (board["arena"], board["method"]) == ("main", "raw")
    top = board["rows"][0]
    assert (top["name"], top["votes"], top["wins"], top["losses"]) == ("Model 0", 6, 5, 1)


def test_reader_gets_a_competitors_history_from_its_side(reader, voted):
    rows = reader.get("/api/v1/competitors/model 1/history", limit=10).json()
    assert len(rows) == 6
    assert sorted(r["result"] for r in rows) == ["loss"] * 5 + ["win"]
    assert {r["opponent"] for r in rows} == {"Model 0"}
    assert reader.get("/api/v1/competitors/model 1/history", limit=2, offset=5).json() == rows[5:]
    assert reader.get("/api/v1/competitors/nobody/history").status_code == 404


def test_export_streams_json_lines_in_the_shared_schema_filtered_by_scope(reader, voted):
    response = reader.get("/api/v1/votes/export", source="judge")
    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    rows = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert len(rows) == 4
    assert {r["judge"] for r in rows} == {"judge-gpt", "judge-claude"}
    assert {"question_id", "prompt", "model_a", "model_b", "winner", "judge", "source"} <= set(
        rows[0]
    )
    assert {r["winner"] for r in rows} == {"model_a", "model_b"}


def test_export_in_csv_and_by_date(reader, voted):
    Vote.objects.filter(source="crowd").update(created_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    response = reader.get("/api/v1/votes/export", format="csv", since=since)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 4
    assert {r["voter_kind"] for r in rows} == {"judge"}
    old = reader.get("/api/v1/votes/export", format="csv", until=since)
    assert len(list(csv.DictReader(io.StringIO(b"".join(old.streaming_content).decode())))) == 2


def test_export_refuses_an_unknown_format_as_json(reader, voted):
    response = reader.get("/api/v1/votes/export", format="xml")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_request")


def test_private_arena_board_is_404_for_a_reader_who_may_not_see_it(reader, voted, make_arena):
    make_arena("secret", visibility="private")
    response = reader.get("/api/v1/arenas/secret/leaderboard")
    assert (response.status_code, response.json()["code"]) == (404, "arena_not_found")


def test_judges_agreement_with_the_crowd_and_each_other(reader, voted):
    rows = {r["judge"]: r for r in reader.get("/api/v1/judges/agreement").json()}
    gpt, claude = rows["judge-gpt"], rows["judge-claude"]
    assert claude["crowd"] == {"shared": 2, "rate": 1.0, "kappa": None}  # one label only
    assert (gpt["crowd"]["shared"], gpt["crowd"]["rate"]) == (2, 0.5)
    assert gpt["judges"]["judge-claude"]["rate"] == 0.5
    assert gpt["judges"]["judge-claude"]["kappa"] == pytest.approx(0.0)
    assert gpt["votes"] == 2


def test_leaderboard_page_shows_judges_agreement(client, voted):
    html = client.get("/stats/").content.decode()
    assert 'id="judge-agreement"' in html
    assert 'data-judge="judge-gpt"' in html
    assert "50% <small>κ 0.00, 2 shared</small>" in html


def test_jury_gets_copies_of_battles_others_voted_on(voted, make_battle, django_user_model):
    from arena.models import Battle, Judge

    third = Judge.objects.create(name="judge-third")
    api = Api(key_for(scopes=["judge"], judge=third))
    battles = api.post("/api/v1/battles", {"count": 10, "copies": True}).json()["battles"]
    assert len(battles) == 2  # two distinct prompt-and-pair matchups were voted on
    copies = Battle.objects.filter(public_id__in=[b["id"] for b in battles])
    assert {c.judge_id for c in copies} == {third.pk}
    assert api.post("/api/v1/battles", {"count": 10, "copies": True}).json() == {"battles": []}


# --- keys from the command line and the admin --------------------------------------------------


def test_judge_key_command_prints_the_key_alone_on_its_last_line(capsys, db):
    call_command("judge_key", "create", "jury-1", "--scopes", "judge,read")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    key = ApiKey.objects.get()
    assert last.startswith(key.prefix)
    assert " " not in last
    assert (key.judge.name, key.scopes) == ("jury-1", ["judge", "read"])
    call_command("judge_key", "revoke", key.prefix)
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_judge_key_command_refuses_an_unknown_scope(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown"):
        call_command("judge_key", "create", "x", "--scopes", "admin")
    assert not ApiKey.objects.exists()


def test_admin_creates_a_key_and_shows_it_once(admin_client, judge, arena_setup):
    response = admin_client.post(
        "/admin/arena/apikey/add/",
        {"name": "from-admin", "scopes": ["judge"], "judge": judge.pk},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    key = ApiKey.objects.get()
    assert any(key.prefix in m for m in shown)
    secret = next(m for m in shown if key.prefix in m).split()[4]
    assert Api(secret).post("/api/v1/battles", {"count": 1}).status_code == 200
