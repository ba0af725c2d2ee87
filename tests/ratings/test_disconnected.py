"""Votes that fall into groups that never met: every method rates them, group by group, and says
so (issue #18: two uploaded models that answer only their own prompt froze the boards)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ratings import engine
from ratings.core import Comparisons
from ratings.engine.votefile import STYLE_FEATURES
from tests.ratings.test_cli import Cli, cli  # noqa: F401 (the fixture)

MAIN = ("alpha", "beta", "gamma", "delta")
SIDE = ("own-1", "own-2")  # two uploaded models that answer only their own prompt


def _split(seed: int = 0, *, n_main: int = 300, n_side: int = 25) -> Comparisons:
    rng = np.random.default_rng(seed)
    strength = {"alpha": 1.0, "beta": 0.4, "gamma": 0.0, "delta": -0.6, "own-1": 0.3, "own-2": 0}
    a_names: list[str] = []
    b_names: list[str] = []
    outcomes: list[int] = []
    for members, n in ((MAIN, n_main), (SIDE, n_side)):
        for _ in range(n):
            a, b = rng.choice(members, 2, replace=False)
            p = 1 / (1 + np.exp(strength[b] - strength[a]))
            u = rng.random()
            a_names.append(str(a))
            b_names.append(str(b))
            outcomes.append(3 if u < 0.15 else 1 if u < 0.15 + 0.85 * p else 2)
    n = len(outcomes)
    return Comparisons.from_labels(
        a_names,
        b_names,
        outcomes,
        features_a=rng.integers(1, 900, (n, 4)).astype(float),
        features_b=rng.integers(1, 900, (n, 4)).astype(float),
        feature_names=STYLE_FEATURES,
    )


def _only(c: Comparisons, names: tuple[str, ...]) -> Comparisons:
    keep = np.isin(np.array(c.names)[c.a], names)
    part = c.subset(keep)
    return Comparisons.from_labels(
        [c.names[k] for k in part.a],
        [c.names[k] for k in part.b],
        part.outcome,
        features_a=part.features_a,
        features_b=part.features_b,
        feature_names=part.feature_names,
    )


@pytest.mark.parametrize("method", ["bt", "style-bt", "bt-davidson", "elo"])
def test_every_method_rates_disconnected_votes_and_names_the_separate_group(method: str) -> None:
    report = engine.rate(_split(), method)
    rows = report["competitors"]
    assert {row["name"] for row in rows if row["group"] == 0} == set(MAIN)
    assert {row["name"] for row in rows if row["group"] == 1} == set(SIDE)
    assert [row["group"] for row in rows] == [0, 0, 0, 0, 1, 1]  # main group first
    assert [row["rank"] for row in rows] == [1, 2, 3, 4, 1, 2]  # ranked within the group
    assert report["separate_groups"] == [{"group": 1, "competitors": list(SIDE), "n_votes": 25}]
    warning = engine.separate_groups_warning(report)
    assert warning is not None
    assert "own-1, own-2" in warning
    assert "cannot be compared" in warning


def test_bt_by_groups_equals_rating_each_group_alone() -> None:
    """The likelihood separates by group: each group's rows are that group's own board."""
    c = _split()
    together = {row["name"]: row for row in engine.rate(c, "bt")["competitors"]}
    for names in (MAIN, SIDE):
        alone = engine.rate(_only(c, names), "bt")
        assert "separate_groups" not in alone
        for row in alone["competitors"]:
            mine = together[row["name"]]
            for key in ("rating", "ci_low", "ci_high", "rank", "rank_upper", "n_votes"):
                assert mine[key] == pytest.approx(row[key], abs=1e-6), key


def test_bt_by_groups_keeps_the_leader_group_and_neighbours_within_groups() -> None:
    report = engine.rate(_split(), "bt")
    assert set(report["leader_group"]) <= set(MAIN)
    for pair in report["separation"]:
        assert ({pair["a"], pair["b"]} <= set(MAIN)) or ({pair["a"], pair["b"]} <= set(SIDE))
    wins = report["win_probability_intervals"]
    at = {name: k for k, name in enumerate(wins["names"])}
    assert wins["low"][at["alpha"]][at["own-1"]] is None
    assert wins["high"][at["own-1"]][at["own-2"]] is not None
    side = [row for row in report["competitors"] if row["group"] == 1]
    assert {(row["rank_best"], row["rank_worst"]) for row in side} <= {(1, 1), (1, 2), (2, 2)}


def test_an_anchor_in_the_small_group_makes_it_the_main_group() -> None:
    report = engine.rate(_split(), "bt", engine.BradleyTerryOptions(anchor="own-2"))
    rows = report["competitors"]
    assert {row["name"] for row in rows if row["group"] == 0} == set(SIDE)
    assert next(row["rating"] for row in rows if row["name"] == "own-2") == pytest.approx(1000.0)
    assert report["separate_groups"][0]["competitors"] == sorted(MAIN)


def test_a_connected_board_has_no_groups() -> None:
    report = engine.rate(_only(_split(), MAIN), "bt")
    assert "separate_groups" not in report
    assert all("group" not in row for row in report["competitors"])


def test_the_command_line_rates_a_disconnected_file_with_a_warning_line(
    cli: Cli,  # noqa: F811
    tmp_path: Path,
) -> None:
    lines = [
        {"model_a": "a", "model_b": "b", "winner": "model_a"},
        {"model_a": "b", "model_b": "c", "winner": "tie"},
        {"model_a": "c", "model_b": "a", "winner": "model_b"},
        {"model_a": "a", "model_b": "c", "winner": "model_a"},
        {"model_a": "x", "model_b": "y", "winner": "model_a"},
        {"model_a": "y", "model_b": "x", "winner": "tie"},
    ]
    path = tmp_path / "votes.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    for method in ("bt", "elo"):
        done = cli.run(path, "--method", method, "--json")
        assert done.returncode == 0, done.stderr
        warnings = [line for line in done.stderr.splitlines() if "warning:" in line]
        assert len(warnings) == 1
        assert "(x, y)" in warnings[0]
        report = json.loads(done.stdout)
        assert report["separate_groups"][0]["competitors"] == ["x", "y"]
    table = cli.run(path)
    assert table.returncode == 0
    assert "separate group 1 (not comparable with the main group):" in table.stdout
