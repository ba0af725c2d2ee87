"""``python -m ratings rate``: the output shape, the filters and the errors.

A few tests start a real subprocess (``python -m ratings``); the rest call the same ``main`` in
process, which is much faster.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ratings import engine
from ratings.cli import main
from ratings.core import bradley_terry, elo, to_ratings
from ratings.engine.votefile import read_comparisons

ROOT = Path(__file__).resolve().parents[2]
ROW_KEYS = {
    "name",
    "rating",
    "ci_low",
    "ci_high",
    "rank",
    "rank_upper",
    "n_votes",
    "tie_rate",
    "both_bad_rate",
}
#: Bradley–Terry adds the simultaneous rank interval.
BT_ROW_KEYS = ROW_KEYS | {"rank_best", "rank_worst"}


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def run_subprocess(*args: str | Path) -> Done:
    done = subprocess.run(
        [sys.executable, "-m", "ratings", "rate", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    return Done(done.returncode, done.stdout, done.stderr)


class Cli:
    """Runs ``main(["rate", ...])`` in this process, capturing its exit status and output."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def run(self, *args: str | Path) -> Done:
        self.capsys.readouterr()
        try:
            code = main(["rate", *map(str, args)])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return Done(code, out, err)

    def rate(self, *args: str | Path, subprocess: bool = False) -> dict[str, Any]:
        done = (run_subprocess if subprocess else self.run)(*args, "--json")
        assert done.returncode == 0, done.stderr
        result: dict[str, Any] = json.loads(done.stdout)
        return result


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


def vote(a: str, b: str, winner: str, **extra: Any) -> dict[str, Any]:
    return {"question_id": "q1", "model_a": a, "model_b": b, "winner": winner, **extra}


@pytest.fixture
def votes(tmp_path: Path) -> Path:
    rows = [
        vote("x", "y", "model_a", judge_type="human", tokens_a=10, tokens_b=200),
        vote("y", "z", "model_a", judge_type="llm"),
        vote("z", "x", "model_a", judge_type="human"),
        vote("x", "z", "model_a", judge_type="human"),
        vote("y", "x", "tie", judge_type="llm"),
        vote("z", "y", "tie (bothbad)", judge_type="human"),
        vote("x", "x", "model_a", judge_type="human"),
        vote("y", "x", "model_b", judge_type="human", weight=3),
    ]
    path = tmp_path / "votes.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_output_shape_sorted_by_rating_with_self_battles_dropped(cli: Cli, votes: Path) -> None:
    out = cli.rate(votes, "--method", "bt", subprocess=True)
    assert set(out) == {
        "method",
        "params",
        "n_votes",
        "competitors",
        "leader_group",
        "separation",
        "win_probability_intervals",
    }
    assert out["method"] == "bt"
    assert out["n_votes"] == 7
    rows = out["competitors"]
    assert all(set(row) == BT_ROW_KEYS for row in rows)
    # x: 5 votes, one tie (with y); z: 4 votes, one both-bad; y: 5 votes, a tie and a both-bad.
    assert {r["name"]: r["tie_rate"] for r in rows} == {"x": 1 / 5, "y": 1 / 5, "z": 0.0}
    assert {r["name"]: r["both_bad_rate"] for r in rows} == {"x": 0.0, "y": 1 / 5, "z": 1 / 4}
    assert all(r["rank_best"] <= r["rank"] <= r["rank_worst"] for r in rows)
    assert rows[0]["name"] in out["leader_group"]
    assert [(p["a"], p["b"]) for p in out["separation"]] == [
        (rows[0]["name"], rows[1]["name"]),
        (rows[1]["name"], rows[2]["name"]),
    ]
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert [row["rating"] for row in rows] == sorted((r["rating"] for r in rows), reverse=True)
    assert {row["name"]: row["n_votes"] for row in rows} == {"x": 5, "y": 5, "z": 4}
    assert all(row["ci_low"] <= row["rating"] <= row["ci_high"] for row in rows)


def test_bt_ratings_equal_the_library_fit(cli: Cli, votes: Path) -> None:
    c = read_comparisons(votes)
    expected = dict(zip(c.names, to_ratings(bradley_terry(c).scores), strict=True))
    for row in cli.rate(votes, "--method", "bt")["competitors"]:
        assert row["rating"] == pytest.approx(expected[row["name"]])


def test_elo_options_are_passed_through(cli: Cli, votes: Path) -> None:
    c = read_comparisons(votes)
    ratings = elo(c, k=32.0, initial=1500.0, base=2.0, scale=100.0).ratings
    out = cli.rate(
        votes, "--method", "elo", "--k", "32", "--init", "1500", "--base", "2", "--scale", "100"
    )
    assert out["params"]["k"] == 32.0
    for row in out["competitors"]:
        assert row["rating"] == pytest.approx(ratings[c.names.index(row["name"])])
        assert row["ci_low"] is None


def test_where_keeps_only_matching_votes(cli: Cli, votes: Path) -> None:
    out = cli.rate(votes, "--where", "judge_type=human")
    assert out["n_votes"] == 5
    assert out["params"]["where"] == {"judge_type": "human"}


def test_competitors_file_keeps_only_their_games(cli: Cli, votes: Path, tmp_path: Path) -> None:
    listed = tmp_path / "keep.txt"
    listed.write_text("x\nz\n", encoding="utf-8")
    out = cli.rate(votes, "--competitors", listed)
    assert {row["name"] for row in out["competitors"]} == {"x", "z"}
    assert out["n_votes"] == 2


def test_unknown_competitor_in_file_exits_2(cli: Cli, votes: Path, tmp_path: Path) -> None:
    listed = tmp_path / "keep.txt"
    listed.write_text("x\nnobody\n", encoding="utf-8")
    done = cli.run(votes, "--competitors", listed)
    assert done.returncode == 2
    assert "nobody" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_win_rate_vs_is_the_predicted_percentage(cli: Cli, votes: Path) -> None:
    rows = cli.rate(votes, "--win-rate-vs", "y")["competitors"]
    base = next(row["rating"] for row in rows if row["name"] == "y")
    for row in rows:
        expected = 100.0 / (1.0 + 10.0 ** ((base - row["rating"]) / 400.0))
        assert row["win_rate_vs"] == pytest.approx(expected)
    assert next(row["win_rate_vs"] for row in rows if row["name"] == "y") == pytest.approx(50.0)


def test_anchor_pins_the_named_competitor(cli: Cli, votes: Path) -> None:
    rows = cli.rate(votes, "--anchor", "z", "--anchor-rating", "1200")["competitors"]
    assert next(row["rating"] for row in rows if row["name"] == "z") == pytest.approx(1200.0)


@pytest.mark.parametrize("option", ["--anchor", "--win-rate-vs"])
def test_unknown_name_for_an_option_exits_2(cli: Cli, votes: Path, option: str) -> None:
    done = cli.run(votes, option, "nobody")
    assert done.returncode == 2
    assert "nobody" in done.stderr


def test_bootstrap_with_a_seed_is_reproducible(cli: Cli, votes: Path) -> None:
    first = cli.rate(votes, "--bootstrap", "20", "--seed", "3")
    second = cli.rate(votes, "--bootstrap", "20", "--seed", "3")
    assert first == second
    assert first["params"]["ci"] == "bootstrap"


def test_weight_field_repeats_votes(cli: Cli, votes: Path, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in votes.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row.setdefault("weight", 1)
    weighted = tmp_path / "weighted.jsonl"
    weighted.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    repeated = tmp_path / "repeated.jsonl"
    repeated.write_text(
        "".join(json.dumps(r) + "\n" for r in rows for _ in range(r["weight"])), encoding="utf-8"
    )
    by_weight = cli.rate(weighted, "--weight-field", "weight")["competitors"]
    by_rows = cli.rate(repeated)["competitors"]
    for one, other in zip(by_weight, by_rows, strict=True):
        assert one["name"] == other["name"]
        assert one["rating"] == pytest.approx(other["rating"])


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"model_a": "x", "model_b": "y", "winner": "both"}', "winner"),
    ],
)
def test_bad_line_exits_2_naming_the_line(votes: Path, line: str, problem: str) -> None:
    lines = votes.read_text(encoding="utf-8").splitlines()
    lines.insert(2, line)
    votes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run_subprocess(votes)
    assert done.returncode == 2
    assert "line 3" in done.stderr
    assert problem in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args", [["--method", "magic"], ["--bootstrap", "-1"], ["--where", "judge_type"]]
)
def test_bad_option_exits_2_with_one_line(cli: Cli, votes: Path, args: list[str]) -> None:
    done = cli.run(votes, *args)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1


def test_missing_file_exits_2(cli: Cli, tmp_path: Path) -> None:
    done = cli.run(tmp_path / "absent.jsonl")
    assert done.returncode == 2
    assert "absent.jsonl" in done.stderr


def test_style_bt_reports_coefficients_on_ko_arena(cli: Cli, shared_data: Path) -> None:
    out = cli.rate(
        shared_data / "ko_arena_hard" / "votes.jsonl.gz",
        "--method",
        "style-bt",
        "--weight-field",
        "weight",
        "--anchor",
        "claude-3.7-sonnet",
    )
    assert set(out["style_coefficients"]) == {"tokens", "header_count", "list_count", "bold_count"}
    assert out["style_coefficients"]["tokens"] > 0
    for row in out["competitors"]:
        assert row["ci_low"] <= row["rating"] <= row["ci_high"]
        if row["name"] == "claude-3.7-sonnet":
            assert row["rating"] == pytest.approx(1000.0)
            assert row["ci_high"] - row["ci_low"] == pytest.approx(0.0, abs=1e-6)


def test_ko_arena_board_from_the_command_line(cli: Cli, shared_data: Path, tmp_path: Path) -> None:
    board_path = shared_data / "ko_arena_hard" / "published_20250410" / "no_control.csv"
    with board_path.open(encoding="utf-8") as handle:
        board = {row["model"]: row for row in csv.DictReader(handle)}
    listed = tmp_path / "board.txt"
    listed.write_text("\n".join([*board, "claude-3.7-sonnet"]) + "\n", encoding="utf-8")
    out = cli.rate(
        shared_data / "ko_arena_hard" / "votes.jsonl.gz",
        "--method",
        "bt",
        "--weight-field",
        "weight",
        "--competitors",
        listed,
        "--anchor",
        "claude-3.7-sonnet",
        "--win-rate-vs",
        "claude-3.7-sonnet",
        subprocess=True,
    )
    assert len(out["competitors"]) == 63
    for row in out["competitors"]:
        published = board[row["name"]]
        assert row["rating"] == pytest.approx(float(published["elo_score"]), abs=0.5)
        assert row["win_rate_vs"] == pytest.approx(float(published["score"]), abs=0.05)
        assert row["ci_low"] <= row["rating"] <= row["ci_high"]
        assert 1 <= row["rank_upper"] <= row["rank"]


def test_llmfao_crowd_elo_from_the_command_line(cli: Cli, shared_data: Path) -> None:
    golden_path = shared_data / "llmfao" / "llmfao-golden.csv"
    with golden_path.open(encoding="utf-8") as handle:
        golden = {
            r["item"]: float(r["score"]) for r in csv.DictReader(handle) if r["algorithm"] == "elo"
        }
    out = cli.rate(
        shared_data / "llmfao" / "votes.jsonl", "--method", "elo", "--where", "judge_type=human"
    )
    assert out["n_votes"] == 8931
    got = {row["name"]: row["rating"] for row in out["competitors"]}
    np.testing.assert_allclose([got[k] for k in golden], list(golden.values()), rtol=1e-6)
    assert math.isclose(sum(got.values()), 1000.0 * len(got), rel_tol=1e-9)


def test_rate_prints_the_engines_report_for_the_parsed_options(cli: Cli, votes: Path) -> None:
    """The command line only parses: its report is the engine's on the same votes and options."""
    out = cli.rate(votes, "--method", "bt", "--ci", "fisher", "--anchor-rating", "1200")
    comparisons = read_comparisons(votes)
    options = engine.BradleyTerryOptions(ci="fisher", anchor_rating=1200.0)
    assert out == json.loads(json.dumps(engine.rate(comparisons, "bt", options)))


def _sorted_by_pair(tmp_path: Path) -> tuple[Path, list[tuple[int, int, float]]]:
    """60 votes among four models, written sorted by pair: one pass is an artefact of that."""
    rng = np.random.default_rng(4)
    names = ["m0", "m1", "m2", "m3"]
    games = []
    for i in range(4):
        for j in range(i + 1, 4):
            for _ in range(10):
                games.append((i, j, float(rng.choice([1.0, 0.0, 0.5], p=[0.5, 0.3, 0.2]))))
    winner = {1.0: "model_a", 0.0: "model_b", 0.5: "tie"}
    path = tmp_path / "sorted.jsonl"
    path.write_text(
        "".join(json.dumps(vote(names[i], names[j], winner[s])) + "\n" for i, j, s in games),
        encoding="utf-8",
    )
    return path, games


def test_elo_over_1000_orderings_equals_a_plain_loop_with_the_same_seed(
    cli: Cli, tmp_path: Path
) -> None:
    path, games = _sorted_by_pair(tmp_path)
    out = cli.rate(path, "--method", "elo", "--orderings", "1000", "--seed", "9")
    gen = np.random.default_rng(9)
    runs = []
    for _ in range(1000):
        ratings = [1000.0] * 4
        for t in gen.permutation(len(games)).tolist():
            i, j, s = games[t]
            delta = 4.0 * (s - 1.0 / (1.0 + 10.0 ** ((ratings[j] - ratings[i]) / 400.0)))
            ratings[i] += delta
            ratings[j] -= delta
        runs.append(ratings)
    mean = np.mean(runs, axis=0)
    low, high = np.percentile(runs, [2.5, 97.5], axis=0)
    assert out["params"]["orderings"] == 1000
    assert out["params"]["ci"] == "orderings"
    for row in out["competitors"]:
        k = int(row["name"][1])
        assert row["rating"] == pytest.approx(mean[k], abs=1e-9)
        assert row["ci_low"] == pytest.approx(low[k], abs=1e-9)
        assert row["ci_high"] == pytest.approx(high[k], abs=1e-9)


def test_elo_default_is_still_one_pass_in_file_order(cli: Cli, tmp_path: Path) -> None:
    path, _ = _sorted_by_pair(tmp_path)
    out = cli.rate(path, "--method", "elo")
    one_pass = elo(read_comparisons(path))
    ratings = dict(zip(one_pass.names, one_pass.ratings, strict=True))
    assert out["params"]["orderings"] == 1
    for row in out["competitors"]:
        assert row["rating"] == pytest.approx(ratings[row["name"]], abs=1e-9)
        assert row["ci_low"] is None


def _styled(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    rows = []
    for _ in range(300):
        a, b = rng.choice(["p", "q", "r"], 2, replace=False)
        feats = {
            f"{name}_{side}": int(rng.integers(0, 50))
            for name in ("tokens", "header_count", "list_count", "bold_count")
            for side in "ab"
        }
        rows.append(vote(str(a), str(b), str(rng.choice(["model_a", "model_b", "tie"])), **feats))
    path = tmp_path / "styled.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("asked", "held_equal"),
    [
        ("length", ["tokens"]),
        ("markdown", ["header_count", "list_count", "bold_count"]),
        ("bold,tokens", ["tokens", "bold_count"]),
    ],
)
def test_style_features_choose_the_controls(
    cli: Cli, tmp_path: Path, asked: str, held_equal: list[str]
) -> None:
    out = cli.rate(_styled(tmp_path), "--method", "style-bt", "--style-features", asked)
    assert list(out["style_coefficients"]) == held_equal
    assert out["params"]["l2"] == 0.0


def test_l2_shrinks_the_style_fit(cli: Cli, tmp_path: Path) -> None:
    path = _styled(tmp_path)
    plain = cli.rate(path, "--method", "style-bt")
    ridge = cli.rate(path, "--method", "style-bt", "--l2", "50")
    assert ridge["params"]["l2"] == 50.0

    def spread(out: dict[str, Any]) -> float:
        ratings = [row["rating"] for row in out["competitors"]]
        return max(ratings) - min(ratings)

    assert spread(ridge) < spread(plain)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--method", "style-bt", "--style-features", "emoji"), "style feature must be one of"),
        (("--method", "style-bt", "--style-features", ","), "at least one style feature"),
        (("--method", "style-bt", "--l2", "-1"), "l2 must be"),
        (("--method", "elo", "--orderings", "0"), "orderings must be at least 1"),
        (("--method", "elo", "--orderings", "5", "--bootstrap", "10"), "do not go together"),
    ],
)
def test_bad_style_and_ordering_options_exit_2_with_one_line(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = cli.run(_styled(tmp_path), *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
