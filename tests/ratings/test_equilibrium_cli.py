"""The engine's game-theoretic methods, end to end on a real vote file (no subprocess)."""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ratings import engine
from ratings.cli import build_parser, options_of
from ratings.engine.votefile import read_comparisons


def _args(*argv: str, method: str = "equilibrium-ne") -> argparse.Namespace:
    return build_parser().parse_args(["rate", "-", "--method", method, *argv])


def _rate(method: str, comparisons: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The engine called with the options the command line parses, as ``rate`` does."""
    args.method = method
    return engine.rate(comparisons, method, options_of(args))


def test_defaults() -> None:
    args = _args()
    assert args.prompt_axis == "question_id"
    assert args.alpha == 1.0
    assert args.prior == "half"
    assert args.selection == "affinity"
    assert [m for m in engine.METHODS if m in ("nash", "equilibrium-ne", "equilibrium-cce")] == [
        "nash",
        "equilibrium-ne",
        "equilibrium-cce",
    ]


@pytest.mark.parametrize("method", ["equilibrium-ne", "equilibrium-cce"])
@pytest.mark.parametrize("prior", ["half", "bt"])
def test_equilibrium_output_shape_on_llmfao(shared_data: Path, method: str, prior: str) -> None:
    args = _args("--prior", prior, "--alpha", "2")
    c = read_comparisons(
        shared_data / "llmfao" / "votes.jsonl",
        where={"judge_type": "human"},
        prompt_field=args.prompt_axis,
    )
    out = _rate(method, c, args)
    json.dumps(out)  # serialisable
    assert out["method"] == method
    assert out["n_votes"] == c.n_comparisons
    assert out["params"]["alpha"] == 2.0
    assert out["params"]["prior"] == prior
    assert out["params"]["prompt_axis"] == "question_id"
    assert out["converged"] is True
    assert out["residual"] <= 1e-6
    rows = out["competitors"]
    assert sorted(r["name"] for r in rows) == sorted(c.names)
    ratings = [r["rating"] for r in rows]
    assert ratings == sorted(ratings, reverse=True)
    assert max(ratings) <= 1e-6
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["ci_low"] is None and r["ci_high"] is None for r in rows)
    assert sum(r["mass"] for r in rows) == pytest.approx(1.0)
    for first, second in itertools.pairwise(rows):
        if first["rating"] == second["rating"]:
            assert first["mass"] >= second["mass"]
    prompts = out["prompts"]
    assert {p["name"] for p in prompts} == set(c.prompt_names)
    assert sum(p["mass"] for p in prompts) == pytest.approx(1.0)
    assert max(p["rating"] for p in prompts) <= 1e-6
    assert set(prompts[0]) == {"name", "rating", "mass"}


def test_prompt_axis_category_on_ko_arena(shared_data: Path) -> None:
    args = _args("--prompt-axis", "category")
    c = read_comparisons(
        shared_data / "ko_arena_hard" / "votes.jsonl.gz",
        prompt_field=args.prompt_axis,
        weight_field="weight",
        competitors={
            "claude-3.7-sonnet",
            "gpt-4o-2024-11-20",
            "gemini-2.0-flash-001",
            "deepseek-r1",
            "o3-mini-high",
        },
    )
    out = _rate("equilibrium-cce", c, args)
    assert out["params"]["prompt_axis"] == "category"
    assert len(out["prompts"]) == len({c.prompt_names[p] for p in np.unique(c.prompt)})
    assert out["converged"] is True


@pytest.mark.parametrize("selection", ["affinity", "shannon"])
def test_nash_output(shared_data: Path, selection: str) -> None:
    args = _args("--selection", selection)
    c = read_comparisons(shared_data / "llmfao" / "votes.jsonl", where={"judge_type": "human"})
    out = _rate("nash", c, args)
    assert out["method"] == "nash"
    assert out["params"]["selection"] == selection
    assert out["prompts"] == []
    assert max(r["rating"] for r in out["competitors"]) <= 1e-6


def test_unknown_method_raises() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        engine.rate(None, "elo-2", None)  # type: ignore[arg-type]


def test_options_of_another_method_are_refused(shared_data: Path) -> None:
    c = read_comparisons(shared_data / "llmfao" / "votes.jsonl", where={"judge_type": "human"})
    with pytest.raises(engine.OptionsError, match="takes NashOptions"):
        engine.rate(c, "nash", engine.EquilibriumOptions())
