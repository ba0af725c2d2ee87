"""Boards that always publish (issue #18): two uploaded models that answer only their own prompt
no longer freeze the Bradley–Terry boards; a run that fails alerts (metric, one ERROR line)
without stopping the others; a superseded run is logged at INFO, without a traceback."""

from __future__ import annotations

import json
import logging
import random
from typing import Any

import pytest
from prometheus_client import REGISTRY

from arena.models import Arena, Competitor, Outcome, Prompt, Vote
from arena.services.battles import battle_create
from arena.services.votes import vote_record
from arena.voters import Voter
from leaderboards import services
from leaderboards.models import Leaderboard, RatingRun
from leaderboards.selectors import run_latest
from tests.arena.api_helpers import key_for

pytestmark = pytest.mark.django_db

OWN_PROMPT = [
    {"model": "own-1", "organisation": "Owner Inc"},
    {"model": "own-2", "organisation": "Owner Inc"},
    {"question_id": "own-q", "prompt": "Only our two models answer this.", "category": "own"},
    {"model": "own-1", "question_id": "own-q", "answer": "A short answer."},
    {"model": "own-2", "question_id": "own-q", "answer": "A **longer** answer, with a list:\n- x"},
]


def upload_own_pair(client: Any, owner: Any, base: str = "") -> None:
    """Upload two models that answer only their own prompt, as a model owner would."""
    key = key_for(scopes=["submit"], user=owner)
    body = "\n".join(json.dumps(line) for line in OWN_PROMPT)
    response = client.post(
        f"{base}/api/v1/submissions",
        body,
        content_type="application/x-ndjson",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.content


def vote_between_own_pair(make_battle: Any, arena: Arena, n: int, session: str = "pair") -> None:
    """Votes on battles of the own prompt, the two models in turn on A."""
    prompt = Prompt.objects.get(external_id="own-q")
    one, two = (Competitor.objects.get(name=m) for m in ("own-1", "own-2"))
    voter = Voter(session_key=session)
    for k in range(n):
        a, b = (one, two) if k % 2 else (two, one)
        battle = make_battle(voter=voter, prompt=prompt, a=a, b=b, arena=arena)
        outcome = [Outcome.A, Outcome.B, Outcome.A, Outcome.TIE][k % 4]
        vote_record(public_id=battle.public_id, voter=voter, outcome=outcome)


def _recompute() -> None:
    for run_id in services.leaderboards_check(enqueue=False):
        services.rating_run_execute(run_id=run_id, task_id=f"t{run_id}")


def _failed(method: str, reason: str) -> float:
    labels = {"method": method, "reason": reason}
    return REGISTRY.get_sample_value("arena_rating_runs_failed_total", labels) or 0.0


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


def test_an_uploaded_pair_that_only_meets_itself_does_not_freeze_the_bt_boards(
    cast_votes, arena_setup, owner, client, make_battle
):
    cast_votes(40)
    _recompute()
    board = Leaderboard.objects.get(arena=arena_setup["arena"], slug="all")
    before = {m: run_latest(board, m).watermark for m in ("bt", "style-bt")}
    upload_own_pair(client, owner)
    # The default fewest-votes pairing serves the fresh pair at once, as the finding saw.
    served = battle_create(
        arena=arena_setup["arena"], voter=Voter(session_key="x"), rng=random.Random(0)
    )
    assert {served.competitor_a.name, served.competitor_b.name} == {"own-1", "own-2"}
    vote_between_own_pair(make_battle, arena_setup["arena"], 6)
    top = Vote.objects.latest("id").id
    _recompute()
    for method in ("bt", "style-bt", "elo"):
        run = run_latest(board, method)
        assert run.watermark == top > before.get(method, 0), method
        assert run.result["separate_groups"] == [
            {"group": 1, "competitors": ["own-1", "own-2"], "n_votes": 6}
        ]
        rows = {row["name"]: row for row in run.result["competitors"]}
        assert rows["own-1"]["group"] == rows["own-2"]["group"] == 1
        assert {rows[c.name]["group"] for c in arena_setup["competitors"]} == {0}
    assert not RatingRun.objects.filter(
        leaderboard=board, method__in=["bt", "style-bt"], status="failed"
    ).exists()


def test_the_board_page_and_the_api_name_the_separate_group(
    cast_votes, arena_setup, owner, client, make_battle
):
    cast_votes(20)
    upload_own_pair(client, owner)
    vote_between_own_pair(make_battle, arena_setup["arena"], 4)
    _recompute()
    page = client.get("/a/main/boards/all/bt/").content.decode()
    assert 'id="separate-groups"' in page
    assert "cannot be compared with the main group" in page
    assert "Separate group 1 (not comparable)" in page
    assert page.count('data-group="1"') == 2
    api = client.get("/api/v1/arenas/main/leaderboards/all/bt/").json()
    assert api["separate_groups"][0]["competitors"] == ["own-1", "own-2"]


def test_a_failing_run_is_counted_and_logged_once_at_error_without_a_traceback(
    cast_votes, arena_setup, caplog
):
    cast_votes(10)
    Leaderboard.objects.create(
        arena=arena_setup["arena"], slug="odd", name="Odd", methods=["bt", "no-such-method"]
    )
    before = _failed("no-such-method", "OptionsError")
    with caplog.at_level(logging.INFO, logger="leaderboards.services.runs"):
        _recompute()
    assert _failed("no-such-method", "OptionsError") == before + 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is None
    assert "method='no-such-method'" in errors[0].getMessage()
    assert errors[0].leaderboard == "odd"  # structured: the facts as fields too
    odd = Leaderboard.objects.get(slug="odd")
    assert run_latest(odd, "bt") is not None  # the other board of the scope still published


def test_a_superseded_run_delivered_late_is_logged_at_info_without_a_traceback(
    cast_votes, arena_setup, caplog
):
    cast_votes(5)
    first = services.leaderboards_check(enqueue=False)
    cast_votes(3, seed=1)
    services.leaderboards_check(enqueue=False)  # deletes the older queued runs
    assert not RatingRun.objects.filter(pk=first[0]).exists()
    with caplog.at_level(logging.INFO, logger="leaderboards.services.runs"):
        status = services.rating_run_execute(run_id=first[0], task_id="late")
    assert status == "superseded"
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert "superseded" in caplog.records[0].getMessage()
