from __future__ import annotations

import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from arena.models import Battle, Competitor, Completion, Judge, Outcome, Prompt, Vote
from tests.conftest import db_state
from tests.ratings.conftest import SHARED_DATA

pytestmark = pytest.mark.django_db


def _write(path: Path, rows: list[dict], *, compress: bool = False) -> Path:
    text = "".join(json.dumps(row) + "\n" for row in rows)
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _row(a: str, b: str, winner: str, judge: str = "crowd:1", **extra: object) -> dict:
    return {
        "question_id": "q1",
        "prompt": "Why is the sky blue?",
        "model_a": a,
        "model_b": b,
        "winner": winner,
        "judge": judge,
        "source": "test",
        **extra,
    }


def _import(*args: object) -> str:
    out = StringIO()
    call_command("import_votes", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_import_creates_what_votes_need_and_skips_self_battles(tmp_path):
    path = _write(
        tmp_path / "v.jsonl.gz",
        [
            _row("m1", "m2", "model_a"),
            _row("m2", "m3", "tie (bothbad)", judge="gpt-4", judge_label="A=B", weight=3),
            _row("m3", "m3", "tie"),
            _row("m1", "m3", "model_b", answer_a="**one**", answer_b="- three"),
        ],
        compress=True,
    )
    summary = _import(path)
    assert "4 votes read: 3 imported, 0 already present, 1 self-battles skipped" in summary
    assert sorted(Competitor.objects.values_list("name", flat=True)) == ["m1", "m2", "m3"]
    assert Prompt.objects.get().external_id == "q1"
    assert list(Vote.objects.order_by("id").values_list("outcome", flat=True)) == [
        Outcome.A,
        Outcome.BOTH_BAD,
        Outcome.B,
    ]
    judged = Vote.objects.get(source="judge")
    assert judged.judge == Judge.objects.get(name="gpt-4")
    assert judged.meta == {"source": "test", "judge_label": "A=B", "weight": 3}
    assert Vote.objects.filter(source="crowd", external_voter="crowd:1").count() == 2
    assert Completion.objects.count() == 2
    linked = Battle.objects.get(completion_a__isnull=False)
    assert (linked.completion_a.bold_count, linked.completion_b.list_count) == (1, 1)


def test_a_repeated_identical_line_is_a_second_vote_but_a_reimport_adds_nothing(tmp_path):
    path = _write(tmp_path / "v.jsonl", [_row("m1", "m2", "model_a")] * 2)
    _import(path)
    assert Vote.objects.count() == 2
    before = db_state()
    assert "0 imported, 2 already present" in _import(path)
    assert db_state() == before


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        (
            '{"model_a": "m1", "model_b": "m2", "winner": "model_c"}',
            "winner 'model_c' is not one of",
        ),
        ('{"model_a": "m1", "winner": "tie"}', "field 'model_b' is missing"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_file_names_the_line_and_imports_nothing(tmp_path, line, problem):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(_row("m1", "m2", "model_a")) + "\n" + line + "\n")
    before = db_state()
    with pytest.raises(CommandError, match=rf"line 2: {problem}") as error:
        _import(path)
    assert error.value.returncode == 2
    assert db_state() == before


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _import(tmp_path / "absent.jsonl")


@pytest.mark.slow
def test_llmfao_import_counts_and_is_idempotent():
    path = SHARED_DATA / "llmfao" / "votes.jsonl"
    if not path.is_file():
        pytest.skip(f"shared data not found at {path}")
    _import(path)
    assert Vote.objects.count() == 15_403
    assert Competitor.objects.count() == 70
    assert Prompt.objects.count() == 19
    assert Vote.objects.filter(source="crowd").count() == 8_931
    assert Judge.objects.count() == 2
    counts = (
        Vote.objects.count(),
        Battle.objects.count(),
        Competitor.objects.count(),
        Prompt.objects.count(),
        Judge.objects.count(),
    )
    assert "0 imported, 15403 already present" in _import(path)
    assert counts == (
        Vote.objects.count(),
        Battle.objects.count(),
        Competitor.objects.count(),
        Prompt.objects.count(),
        Judge.objects.count(),
    )
