"""Malformed vote files: each gives one line naming the file, the line and what to do, exit
status 2 and no traceback, from ``rate``, ``judges`` and ``import_votes`` alike; the import
then changes nothing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ratings.cli import main
from tests.conftest import db_state


def _vote(i: int = 0, **extra: object) -> dict[str, object]:
    return {
        "question_id": f"q{i}",
        "model_a": "m1",
        "model_b": "m2",
        "winner": "model_a",
        "judge": "crowd:1",
        **extra,
    }


def _lines(*records: object) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


GOOD = _lines(*(_vote(i) for i in range(3)))
CSV_HEAD = b"question_id,model_a,model_b,winner,judge\n"

#: name -> (file name, bytes, what the error must mention)
MALFORMED: dict[str, tuple[str, bytes, str]] = {
    "utf16": ("v.jsonl", GOOD.decode().encode("utf-16"), "UTF-16"),
    "latin1-byte": (
        "v.jsonl",
        GOOD + json.dumps(_vote(9, judge="café")).encode().replace(b"\\u00e9", b"\xe9") + b"\n",
        "line 4: byte 0xe9",
    ),
    "truncated-gzip": ("v.jsonl.gz", gzip.compress(GOOD * 200)[:-40], "gzip"),
    "corrupt-gzip": ("v.jsonl.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"garbage!" * 8, "gzip"),
    "empty": ("v.jsonl", b"", "empty"),
    "blank-lines": ("v.jsonl", b"\n  \n\n", "empty"),
    "bad-json": ("v.jsonl", GOOD[:40] + b"\n" + GOOD, "line 1: not valid JSON"),
    "truncated-array": ("v.json", b"[\n" + json.dumps(_vote()).encode() + b",\n{", "line 3"),
    "not-an-object": ("v.jsonl", _lines(_vote(), [1, 2]), "line 2"),
    "missing-model": (
        "v.jsonl",
        _lines({k: v for k, v in _vote().items() if k != "model_b"}),
        "model_b",
    ),
    "number-model": ("v.jsonl", _lines(_vote(), _vote(model_a=7)), "line 2: field 'model_a'"),
    "unknown-winner": ("v.jsonl", _lines(_vote(winner="A")), "winner 'A'"),
    "p_b-range": ("v.jsonl", _lines(_vote(p_b=1.5)), "p_b 1.5"),
    "p_b-type": ("v.jsonl", _lines(_vote(p_b="high")), "p_b 'high'"),
    "tstamp-type": ("v.jsonl", _lines(_vote(tstamp="yesterday")), "tstamp"),
    "csv-no-winner": ("v.csv", b"question_id,model_a,model_b\nq,m1,m2\n", "lacks winner"),
    "csv-bad-winner": ("v.csv", CSV_HEAD + b"q1,m1,m2,model_a,j\nq2,m1,m2,A wins,j\n", "line 3"),
    "csv-extra-field": ("v.csv", CSV_HEAD + b"q1,m1,m2,model_a,j,extra\n", "line 2"),
    "all-self-battles": (
        "v.jsonl",
        _lines(*(_vote(i, model_b="m1") for i in range(4))),
        "self-battles",
    ),
    "no-prompt-ids": (
        "v.jsonl",
        _lines(*({k: v for k, v in _vote(i).items() if k != "question_id"} for i in range(3))),
        "question_id",
    ),
    "arena-hard-label": (
        "j.jsonl",
        _lines({"uid": "u", "model": "m", "baseline": "b", "games": [{"score": "A>>>B"}] * 2}),
        "score 'A>>>B'",
    ),
    "alpaca-preference": (
        "annotations.json",
        json.dumps(
            [
                {
                    "instruction": "i",
                    "generator_1": "a",
                    "generator_2": "b",
                    "output_1": "x",
                    "output_2": "y",
                    "preference": 3,
                }
            ]
        ).encode(),
        "preference 3",
    ),
    "lmarena-one-hot": (
        "b.jsonl",
        _lines(
            {
                "model_a": "a",
                "model_b": "b",
                "winner_model_a": 0,
                "winner_model_b": 0,
                "winner_tie": 0,
                "prompt": "p",
            }
        ),
        "exactly one",
    ),
    "mtbench-verdict": (
        "p.jsonl",
        _lines(
            {
                "question_id": 1,
                "model_1": "a",
                "model_2": "b",
                "g1_winner": "maybe",
                "g2_winner": "tie",
                "judge": ["gpt-4", "pair-v2"],
            }
        ),
        "'maybe'",
    ),
    "unknown-json": ("v.jsonl", _lines({"foo": 1, "bar": 2}), "--format"),
    "plain-text": ("v.txt", b"these are not votes\n", "neither JSON nor a CSV"),
}


@pytest.fixture(params=sorted(MALFORMED))
def malformed(request, tmp_path) -> tuple[Path, str]:
    name, content, mention = MALFORMED[request.param]
    path = tmp_path / request.param / name
    path.parent.mkdir()
    path.write_bytes(content)
    return path, mention


def test_there_are_at_least_twenty():
    assert len(MALFORMED) >= 20


def _check_one_line(message: str, path: Path, mention: str) -> None:
    assert "Traceback" not in message
    assert message.count("\n") == 0, message
    assert str(path) in message
    assert "line" in message
    assert mention in message


@pytest.mark.parametrize("command", ["rate", "judges"])
def test_cli_refuses_with_one_line(malformed, command, capsys):
    path, mention = malformed
    extra = ["--method", "equilibrium-ne"] if command == "rate" else []
    assert main([command, str(path), *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    _check_one_line(captured.err.rstrip("\n"), path, mention)


@pytest.mark.django_db
def test_import_refuses_with_one_line_and_changes_nothing(malformed):
    path, mention = malformed
    before = db_state()
    with pytest.raises(CommandError) as error:
        call_command("import_votes", str(path), "--no-progress")
    assert error.value.returncode == 2
    _check_one_line(str(error.value), path, mention)
    assert db_state() == before
