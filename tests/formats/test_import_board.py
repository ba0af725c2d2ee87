"""Each format imported into an empty database and recomputed: the board equals
``python -m ratings rate`` on the same file (to 1e-6), and the arena's own exports (JSONL and
CSV) read back to the same numbers."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from arena.models import Completion, Vote
from leaderboards.models import RatingRun
from ratings.cli import main
from ratings.engine.formats import read_votes
from tests.arena.api_helpers import Api, key_for
from tests.formats import samples
from tests.ratings.conftest import SHARED_DATA

pytestmark = pytest.mark.django_db

#: The leaderboard's options for these methods: 100 bootstrap rounds, seed 0.
CLI_OPTIONS = ("--bootstrap", "100", "--seed", "0")


def _rate(path: Path, method: str, *extra: str) -> dict[str, float]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["rate", str(path), "--json", "--method", method, *CLI_OPTIONS, *extra]) == 0
    return {row["name"]: row["rating"] for row in json.loads(out.getvalue())["competitors"]}


def _board(method: str) -> dict[str, float]:
    call_command(
        "recompute", "--scope", "all", "--method", method, "--no-progress", stdout=io.StringIO()
    )
    run = RatingRun.objects.get(leaderboard__slug="all", method=method, status="done")
    return {row["name"]: row["rating"] for row in run.result["competitors"]}


def _import(path: Path, *args: str) -> None:
    call_command("import_votes", str(path), "--no-progress", *args, stdout=io.StringIO())


def _files(tmp_path: Path) -> dict[str, tuple[Path, list[str]]]:
    rows = samples.battles(240)
    plain = [r for r in rows if r["winner"] != "tie (bothbad)"]
    judgments, _, answers = samples.arena_hard(rows)
    ah_answers = samples.write_jsonl(tmp_path / "ah-answers.jsonl", answers)
    fastchat = {  # FastChat model_answer records: one per model and question
        (r[f"model_{s}"], r["question_id"]): {
            "question_id": r["question_id"],
            "answer_id": f"{r[f'model_{s}']}-{r['question_id']}",
            "model_id": r[f"model_{s}"],
            "choices": [{"index": 0, "turns": [r[f"answer_{s}"]]}],
            "tstamp": 1_700_000_000.0,
        }
        for r in rows
        for s in ("a", "b")
    }
    mt_answers = samples.write_jsonl(tmp_path / "mt-answers.jsonl", list(fastchat.values()))
    return {
        "jsonl": (samples.write_jsonl(tmp_path / "v.jsonl.gz", rows, compress=True), []),
        "lmarena": (
            samples.write_json(tmp_path / "l.json", samples.lmarena_conversations(rows)),
            [],
        ),
        "lmarena-one-hot": (
            samples.write_jsonl(tmp_path / "k.jsonl", samples.lmarena_one_hot(plain)),
            [],
        ),
        "arena-hard": (
            samples.write_jsonl(tmp_path / "j.jsonl", judgments),
            ["--answers", str(ah_answers)],
        ),
        "alpaca-eval": (samples.write_json(tmp_path / "a.json", samples.alpaca_eval(rows)), []),
        "mtbench": (
            samples.write_jsonl(tmp_path / "m.jsonl", samples.mtbench_pairs(rows)),
            ["--answers", str(mt_answers)],
        ),
    }


@pytest.mark.parametrize(
    "fmt", ["jsonl", "lmarena", "lmarena-one-hot", "arena-hard", "alpaca-eval", "mtbench"]
)
def test_imported_board_equals_the_command_line(tmp_path, fmt):
    path, extra = _files(tmp_path)[fmt]
    _import(path, *extra)
    assert Vote.objects.exists()
    assert not Vote.objects.filter(identity_revealed=True).exists()
    assert Completion.objects.exists()  # the answers that came with the file
    for method in ("bt", "elo"):
        board = _board(method)
        assert board
        assert board == pytest.approx(_rate(path, method), abs=1e-6), method
    if fmt == "alpaca-eval":
        soft = list(Vote.objects.order_by("id").values_list("p_b", flat=True))
        assert all(p is not None and 0.0 <= p <= 1.0 for p in soft)


def test_a_real_file_converted_to_lmarena_imports_to_the_same_board(tmp_path):
    source = SHARED_DATA / "llmfao" / "votes.jsonl"
    if not source.is_file():
        pytest.skip(f"{source} is absent (shared data not mounted)")
    rows: list[dict[str, Any]] = []
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            vote = json.loads(line)
            if vote.get("judge_type") == "human":
                rows.append(vote)
    battles = [
        {
            "question_id": v["question_id"],
            "model_a": v["model_a"],
            "model_b": v["model_b"],
            "winner": v["winner"],
            "judge": v["judge"].removeprefix("crowd:"),
            "anony": True,
            "turn": 1,
        }
        for v in rows
    ]
    path = samples.write_json(tmp_path / "clean_battle.json", battles)
    _import(path)
    board = _board("bt")
    assert len(board) > 50
    assert board == pytest.approx(_rate(path, "bt"), abs=1e-6)
    assert _rate(path, "bt") == pytest.approx(_rate(source, "bt", "--where", "judge_type=human"))


@pytest.mark.parametrize("export_format", ["jsonl", "csv"])
def test_the_arena_s_exports_read_back_to_the_same_numbers(
    tmp_path, export_format, django_user_model
):
    rows = samples.battles(120)
    original = samples.write_jsonl(tmp_path / "v.jsonl", rows)
    _import(original)
    Vote.objects.filter(id=Vote.objects.order_by("id").first().id).update(p_b=0.25)
    owner = django_user_model.objects.create_user(username="owner", password="x")
    reader = Api(key_for(scopes=["read"], user=owner))
    response = reader.get("/api/v1/votes/export", format=export_format)
    assert response.status_code == 200, response.content[:300]
    exported = tmp_path / f"export.{export_format}"
    exported.write_bytes(b"".join(response.streaming_content))
    soft = samples.write_jsonl(tmp_path / "soft.jsonl", [{**rows[0], "p_b": 0.25}, *rows[1:]])
    assert _rate(exported, "elo") == pytest.approx(_rate(soft, "elo"), abs=1e-9)
    got = [r for _, r in read_votes(exported)]
    assert got[0]["p_b"] == 0.25
    assert all(r.get("p_b") is None for r in got[1:])
    assert [(r["model_a"], r["model_b"], r["winner"]) for r in got] == [
        (r["model_a"], r["model_b"], r["winner"]) for r in rows
    ]
