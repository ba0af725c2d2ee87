"""Each vote-file format read back into the shared schema: detected by content, mapped as its
authors define it, and equal to the shared-schema battles it was written from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ratings.cli import main
from ratings.engine.formats import detect_format, read_answers, read_votes
from ratings.engine.votefile import read_comparisons
from tests.formats import samples


def _core(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["model_a"], r["model_b"], r["winner"], str(r.get("question_id"))) for r in rows]


def _rate(path: Path, *args: str) -> dict[str, float]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["rate", str(path), "--json", *args]) == 0
    return {row["name"]: row["rating"] for row in json.loads(out.getvalue())["competitors"]}


@pytest.mark.parametrize("compress", [False, True])
def test_shared_jsonl_reads_as_written(tmp_path, compress):
    rows = samples.battles()
    path = samples.write_jsonl(tmp_path / "v.jsonl", rows, compress=compress)
    assert detect_format(path) == "jsonl"
    assert [r for _, r in read_votes(path)] == rows


def test_a_json_array_keeps_each_record_s_line(tmp_path):
    rows = samples.battles(3)
    path = samples.write_json(tmp_path / "v.json", rows)
    lines = [line for line, _ in read_votes(path)]
    text = path.read_text().splitlines()
    assert [text[n - 1].strip() for n in lines] == ["{"] * 3
    assert [r for _, r in read_votes(path)] == rows


def test_a_utf8_bom_is_skipped(tmp_path):
    rows = samples.battles(5)
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + samples.write_jsonl(tmp_path / "x", rows).read_bytes())
    assert [r for _, r in read_votes(path)] == rows
    assert _rate(path) == _rate(tmp_path / "x")


@pytest.mark.parametrize("shape", ["conversations", "one_hot"])
@pytest.mark.parametrize("container", ["jsonl", "json", "jsonl.gz"])
def test_lmarena_battles(tmp_path, shape, container):
    rows = samples.battles()
    if shape == "one_hot":
        rows = [r for r in rows if r["winner"] != "tie (bothbad)"]
        records = samples.lmarena_one_hot(rows)
    else:
        records = samples.lmarena_conversations(rows)
    path = tmp_path / f"battles.{container}"
    if container == "json":
        samples.write_json(path, records)
    else:
        samples.write_jsonl(path, records, compress=container.endswith("gz"))
    assert detect_format(path) == "lmarena"
    got = [r for _, r in read_votes(path)]
    assert [(r["model_a"], r["model_b"], r["winner"]) for r in got] == [
        (r["model_a"], r["model_b"], r["winner"]) for r in rows
    ]
    assert [(r["prompt"], r["answer_a"], r["answer_b"]) for r in got] == [
        (r["prompt"], r["answer_a"], r["answer_b"]) for r in rows
    ]
    if shape == "conversations":
        assert [r["judge"] for r in got] == [r["judge"] for r in rows]  # crowd:<id>
        assert {r["question_id"] for r in got} == {r["question_id"] for r in rows}
    else:  # no prompt id in the file: one per prompt text
        by_text = {r["prompt"]: r["question_id"] for r in got}
        assert len(set(by_text.values())) == len(by_text)


def test_arena_hard_games_name_the_winner_whatever_the_screen_order(tmp_path):
    judgments, expected, answers = samples.arena_hard(samples.battles(200))
    path = samples.write_jsonl(tmp_path / "judgments.jsonl", judgments)
    assert detect_format(path) == "arena-hard"
    got = [r for _, r in read_votes(path)]
    assert _core(got) == _core(expected)
    assert [r["position_swapped"] for r in got] == [False, True] * len(judgments)
    strong = [r["weight"] for r in got if r["judge_label"] == "B>>A"]
    assert strong
    assert set(strong) == {3}
    read = [a for _, a in read_answers(samples.write_jsonl(tmp_path / "ans.jsonl", answers))]
    assert {(a["model"], a["question_id"]) for a in read} == {
        (a["model"], a["uid"]) for a in answers
    }


def test_arena_hard_labels_against_a_hand_table(tmp_path):
    record = {"uid": "u", "model": "m", "baseline": "base", "judge": "j", "games": []}
    cases = {
        ("A>>B", "B>>A"): ["model_a", "model_a"],  # baseline better in both orders
        ("B>A", "A>B"): ["model_b", "model_b"],  # the model better in both
        ("A=B", "A<B"): ["tie", "model_a"],  # A<B in game 2: B (the baseline) better
        ("B<<A", "B<A"): ["model_a", "model_b"],
    }
    rows = [{**record, "games": [{"score": g1}, {"score": g2}]} for g1, g2 in cases] + [
        {**record, "games": [{"score": None}, {"score": "A>B"}]}
    ]  # dropped, as arena-hard does
    path = samples.write_jsonl(tmp_path / "j.jsonl", rows)
    got = [r["winner"] for _, r in read_votes(path)]
    assert got == [w for ws in cases.values() for w in ws]


def test_arena_hard_baseline_defaults_by_category(tmp_path):
    rows = [{"question_id": "1", "model": "m", "judge": "j", "games": [{"score": "A>B"}] * 2}]
    path = samples.write_jsonl(tmp_path / "v01.jsonl", rows)
    assert {r["model_a"] for _, r in read_votes(path)} == {"gpt-4-0314"}
    assert {r["model_a"] for _, r in read_votes(path, baseline="other")} == {"other"}


def test_alpaca_eval_preference_is_a_soft_label(tmp_path):
    rows = samples.battles()
    annotations = samples.alpaca_eval(rows)
    annotations.append({**annotations[0], "preference": None})  # failed annotation: left out
    annotations.append({**annotations[0], "preference": 0})  # the old spelling of a draw
    path = samples.write_json(tmp_path / "annotations.json", annotations)
    assert detect_format(path) == "alpaca-eval"
    got = [r for _, r in read_votes(path)]
    assert len(got) == len(rows) + 1
    expected = [a["preference"] - 1 for a in annotations[: len(rows)]] + [0.5]
    np.testing.assert_allclose([r["p_b"] for r in got], expected)
    for r in got:
        assert r["winner"] == (
            "model_b" if r["p_b"] > 0.5 else "model_a" if r["p_b"] < 0.5 else "tie"
        )
    comparisons = read_comparisons(path)
    np.testing.assert_allclose(comparisons.p_b, expected)
    outputs = [
        {"instruction": r["prompt"], "output": r["answer_b"], "generator": r["model_b"]}
        for r in rows
    ]
    read = {
        (a["model"], a["question_id"]): a["answer"]
        for _, a in read_answers(samples.write_json(tmp_path / "outputs.json", outputs))
    }
    assert all(read[(r["model_b"], v["question_id"])] for r, v in zip(rows, got, strict=False))


def test_mtbench_pair_judgments(tmp_path):
    rows = samples.battles()
    records = samples.mtbench_pairs(rows)
    records[0]["g2_winner"] = "model_2" if records[0]["g1_winner"] != "model_2" else "model_1"
    records[1]["g1_winner"] = "error"
    path = samples.write_jsonl(tmp_path / "gpt-4_pair.jsonl", records)
    assert detect_format(path) == "mtbench"
    got = [r for _, r in read_votes(path)]
    want = [{**r, "winner": "tie" if r["winner"].startswith("tie") else r["winner"]} for r in rows]
    want[0]["winner"] = "tie"  # the games disagree: a tie, as FastChat counts it
    del want[1]  # an error in a game: left out
    assert _core(got) == _core(want)
    assert {r["judge"] for r in got} == {"gpt-4"}


def test_mtbench_human_judgments_are_read_as_lmarena_battles(tmp_path):
    rows = samples.battles(10)
    records = samples.lmarena_conversations(rows)
    for record in records:
        record["judge"] = "expert_3"
        del record["anony"]
    path = samples.write_jsonl(tmp_path / "human.jsonl", records)
    got = [r for _, r in read_votes(path, "mtbench")]
    assert {r["judge"] for r in got} == {"crowd:expert_3"}
    assert _core(got) == _core(rows)


def test_rate_reads_every_format_with_the_same_numbers(tmp_path):
    rows = [r for r in samples.battles(300) if r["winner"] != "tie (bothbad)"]
    original = _rate(samples.write_jsonl(tmp_path / "v.jsonl", rows), "--method", "elo")
    files = {
        "lmarena": samples.write_json(tmp_path / "l.json", samples.lmarena_one_hot(rows)),
        "mtbench": samples.write_jsonl(tmp_path / "m.jsonl", samples.mtbench_pairs(rows)),
    }
    for fmt, path in files.items():
        assert _rate(path, "--method", "elo") == pytest.approx(original, abs=1e-9), fmt
        assert _rate(path, "--method", "elo", "--format", fmt) == pytest.approx(original)
