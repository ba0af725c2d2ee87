"""Copy invariance: duplicating a prompt or a model leaves every other rating where it was.

For NE and CCE, on synthetic specialists and on real vote sets; Bradley–Terry on the same data
moves (the amounts are printed with ``pytest -s``); the uniform reference moves on the
degenerate example of the method notes (a ~ b > d).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ratings.core import (
    ELO_PER_LOG_UNIT,
    Comparisons,
    EquilibriumResult,
    WinProbabilities,
    equilibrium_cce,
    equilibrium_ne,
    win_probabilities,
)
from ratings.core.equilibrium.winprob import _bradley_terry_scores
from ratings.engine.votefile import read_comparisons
from tests.ratings.core.equilibrium_helpers import (
    duplicate_model,
    duplicate_prompt,
    restrict,
    synthetic_votes,
)

TOL = 1e-6
#: Where the equilibrium set is not a point (Ko-Arena with the 1/2 prior: most pairs never met)
#: the copy group's mass agrees to about 1e-6 while every rating agrees to 1e-12.
MASS_TOL = 1e-5
COPIES = 3
Solver = Callable[..., EquilibriumResult]
SOLVERS: dict[str, tuple[Solver, dict[str, Any]]] = {
    "ne": (equilibrium_ne, {}),
    "cce": (equilibrium_cce, {"tol": 1e-8}),
}


@pytest.fixture(scope="module")
def llmfao(shared_data: Path) -> Comparisons:
    """The llmfao crowd votes: 59 models on 13 prompts."""
    return read_comparisons(shared_data / "llmfao" / "votes.jsonl", where={"judge_type": "human"})


@pytest.fixture(scope="module")
def ko_arena(shared_data: Path) -> Comparisons:
    """Ko-Arena-Hard, prompt axis = category (250 clusters), 12 models and the baseline."""
    c = read_comparisons(
        shared_data / "ko_arena_hard" / "votes.jsonl.gz",
        prompt_field="category",
        weight_field="weight",
    )
    return restrict(c, set(sorted(c.names)[:12]) | {"claude-3.7-sonnet"})


def _check_model_copies(c: Comparisons, solver: Solver, kw: dict[str, Any]) -> float:
    base = solver(win_probabilities(c), **kw)
    m = c.n_items
    worst = 0.0
    for item in {int(np.argmax(base.marginals)), int(np.argmin(base.ratings))}:
        dup = solver(win_probabilities(duplicate_model(c, item, COPIES)), **kw)
        assert base.converged
        assert dup.converged
        assert np.allclose(dup.ratings[:m], base.ratings, atol=TOL, rtol=0)
        assert np.allclose(dup.ratings[m:], base.ratings[item], atol=TOL, rtol=0)
        assert np.allclose(dup.prompt_ratings, base.prompt_ratings, atol=TOL, rtol=0)
        group_mass = dup.marginals[item] + dup.marginals[m:].sum()
        assert group_mass == pytest.approx(base.marginals[item], abs=MASS_TOL)
        assert set(dup.reference.models.groups[m:]) == {dup.reference.models.groups[item]}
        worst = max(worst, float(np.abs(dup.ratings[:m] - base.ratings).max()))
    return worst


def _check_prompt_copies(c: Comparisons, solver: Solver, kw: dict[str, Any]) -> float:
    base = solver(win_probabilities(c), **kw)
    n_p = len(base.prompt_names)
    worst = 0.0
    for prompt in {int(np.argmax(base.prompt_marginals)), int(np.argmin(base.prompt_ratings))}:
        dup = solver(win_probabilities(duplicate_prompt(c, prompt, COPIES)), **kw)
        assert base.converged
        assert dup.converged
        assert np.allclose(dup.ratings, base.ratings, atol=TOL, rtol=0)
        assert np.allclose(dup.prompt_ratings[:n_p], base.prompt_ratings, atol=TOL, rtol=0)
        assert np.allclose(dup.prompt_ratings[n_p:], base.prompt_ratings[prompt], atol=TOL, rtol=0)
        mass = dup.prompt_marginals[prompt] + dup.prompt_marginals[n_p:].sum()
        assert mass == pytest.approx(base.prompt_marginals[prompt], abs=MASS_TOL)
        worst = max(worst, float(np.abs(dup.ratings - base.ratings).max()))
    return worst


def _bt_movement(c: Comparisons, copied: Comparisons) -> float:
    """Largest move of an original model's Bradley–Terry score, in Elo points."""
    before = _bradley_terry_scores(c)
    after = _bradley_terry_scores(copied)[: c.n_items]
    return float(np.abs((after - after.mean()) - before).max() * ELO_PER_LOG_UNIT)


@pytest.mark.parametrize("method", SOLVERS)
@pytest.mark.parametrize("seed", [0, 2])
def test_synthetic_copies_leave_other_ratings_unchanged(method: str, seed: int) -> None:
    c = synthetic_votes(np.random.default_rng(seed), 8, 10, 4_000)
    solver, kw = SOLVERS[method]
    dev_m = _check_model_copies(c, solver, kw)
    dev_p = _check_prompt_copies(c, solver, kw)
    print(f"synthetic seed {seed} {method}: deviation {dev_m:.1e} (models), {dev_p:.1e} (prompts)")


@pytest.mark.parametrize("method", SOLVERS)
def test_llmfao_crowd_copies_leave_other_ratings_unchanged(
    llmfao: Comparisons, method: str
) -> None:
    solver, kw = SOLVERS[method]
    dev_m = _check_model_copies(llmfao, solver, kw)
    dev_p = _check_prompt_copies(llmfao, solver, kw)
    print(f"llmfao {method}: deviation {dev_m:.1e} (models), {dev_p:.1e} (prompts)")


@pytest.mark.parametrize("method", SOLVERS)
def test_ko_arena_category_copies_leave_other_ratings_unchanged(
    ko_arena: Comparisons, method: str
) -> None:
    solver, kw = SOLVERS[method]
    dev_m = _check_model_copies(ko_arena, solver, kw)
    dev_p = _check_prompt_copies(ko_arena, solver, kw)
    print(f"ko-arena {method}: deviation {dev_m:.1e} (models), {dev_p:.1e} (prompts)")


def test_bradley_terry_moves_on_the_same_copies(llmfao: Comparisons, ko_arena: Comparisons) -> None:
    synthetic = synthetic_votes(np.random.default_rng(0), 8, 10, 4_000)
    moves = {
        "synthetic, model copies": _bt_movement(synthetic, duplicate_model(synthetic, 0, COPIES)),
        "synthetic, prompt copies": _bt_movement(synthetic, duplicate_prompt(synthetic, 0, COPIES)),
        "llmfao, model copies": _bt_movement(llmfao, duplicate_model(llmfao, 0, COPIES)),
        "llmfao, prompt copies": _bt_movement(llmfao, duplicate_prompt(llmfao, 0, COPIES)),
        # every Ko-Arena model meets only the baseline, so model copies cannot move BT there
        "ko-arena, prompt copies": _bt_movement(ko_arena, duplicate_prompt(ko_arena, 0, COPIES)),
    }
    print(
        "Bradley–Terry movement (Elo points):", ", ".join(f"{k} {v:.1f}" for k, v in moves.items())
    )
    assert all(v > 1.0 for v in moves.values())


def _degenerate(copies: int) -> WinProbabilities:
    """a ~ b > d on two prompts, with ``copies`` copies of a (the notes' example)."""
    m = copies + 2
    a = np.zeros((2, m, m))
    a[:, :copies, -1] = [[0.3], [0.2]]
    a[:, copies, -1] = [0.7, 0.8]
    a = a - a.transpose(0, 2, 1)
    return WinProbabilities(
        names=tuple([f"a{i}" for i in range(copies)] + ["b", "d"]),
        prompt_names=("p", "q"),
        payoff=a,
        alpha=0.0,
        prior="half",
        n_votes=np.ones(m),
        prompt_votes=np.ones(2),
    )


@pytest.mark.parametrize("method", SOLVERS)
def test_uniform_reference_is_not_copy_proof_on_the_degenerate_example(method: str) -> None:
    solver, kw = SOLVERS[method]
    moved = {}
    for reference in ("affinity", "uniform"):
        one = solver(_degenerate(1), reference=reference, **kw)
        three = solver(_degenerate(COPIES), reference=reference, **kw)
        assert one.converged
        assert three.converged
        moved[reference] = abs(float(three.ratings[-1] - one.ratings[-1]))
    print(
        f"{method}: rating of d moves by {moved['uniform']:.3f} with the uniform reference, "
        f"{moved['affinity']:.1e} with the affinity reference"
    )
    assert moved["affinity"] < TOL
    assert moved["uniform"] > 1e-2
