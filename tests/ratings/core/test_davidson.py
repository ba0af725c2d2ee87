"""The Davidson tie model against its closed form, an independent scipy fit and a simulation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from ratings.cli import main
from ratings.core import ConvergenceError, davidson, davidson_intervals
from ratings.core.types import Comparisons, Outcome
from ratings.engine.votefile import read_comparisons


def comparisons(a, b, outcome, n: int) -> Comparisons:
    a, b = np.asarray(a, dtype=np.intp), np.asarray(b, dtype=np.intp)
    return Comparisons(
        names=tuple(f"m{k}" for k in range(n)),
        a=a,
        b=b,
        outcome=np.asarray(outcome, dtype=np.int8),
        weight=np.ones(a.size),
    )


def simulate(strength: np.ndarray, nu: float, m: int, seed: int) -> Comparisons:
    rng = np.random.default_rng(seed)
    n = strength.size
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    pa, pb = np.exp(strength[a]), np.exp(strength[b])
    pt = nu * np.sqrt(pa * pb)
    u = rng.random(m) * (pa + pb + pt)
    outcome = np.where(u < pa, Outcome.A, np.where(u < pa + pb, Outcome.B, Outcome.TIE))
    return comparisons(a, b, outcome, n)


def independent_fit(c: Comparisons) -> tuple[np.ndarray, float]:
    """Maximise the per-vote likelihood in the textbook form, first strength pinned at 0."""
    a, b, o = c.a, c.b, c.outcome
    tie = (o == Outcome.TIE) | (o == Outcome.BOTH_BAD)

    def negative_log_likelihood(x: np.ndarray) -> tuple[float, np.ndarray]:
        s = np.concatenate([[0.0], x[:-1]])
        nu = np.exp(x[-1])
        pa, pb = np.exp(s[a]), np.exp(s[b])
        pt = nu * np.sqrt(pa * pb)
        d = pa + pb + pt
        p = np.where(tie, pt, np.where(o == Outcome.A, pa, pb)) / d
        # d log P / d s_a, d s_b, d log(nu), straight from the textbook form.
        won_a, won_b = (o == Outcome.A) & ~tie, (o == Outcome.B) & ~tie
        da = won_a + 0.5 * tie - (pa + pt / 2) / d
        db = won_b + 0.5 * tie - (pb + pt / 2) / d
        grad = np.zeros(c.n_items + 1)
        np.add.at(grad, a, da)
        np.add.at(grad, b, db)
        grad[-1] = np.sum(tie - pt / d)
        return float(-np.log(p).sum()), -np.concatenate([grad[1:-1], grad[-1:]])

    found = minimize(
        negative_log_likelihood,
        np.zeros(c.n_items),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-10, "maxiter": 10_000},
    )
    s = np.concatenate([[0.0], found.x[:-1]])
    return s - s.mean(), float(np.exp(found.x[-1]))


def test_two_competitors_match_the_closed_form():
    # MLE: s1 − s2 = log(w1 / w2) and nu = t / sqrt(w1 w2).
    w1, w2, t = 30, 12, 9
    outcome = [Outcome.A] * w1 + [Outcome.B] * w2 + [Outcome.TIE] * t
    fit = davidson(comparisons([0] * 51, [1] * 51, outcome, 2))
    assert fit.scores[0] - fit.scores[1] == pytest.approx(np.log(w1 / w2), abs=1e-10)
    assert fit.nu == pytest.approx(t / np.sqrt(w1 * w2), abs=1e-10)


def test_matches_an_independent_maximisation_on_simulated_votes():
    truth = np.array([0.8, 0.3, 0.0, -0.2, -0.9, 1.4])
    c = simulate(truth, nu=0.7, m=4000, seed=11)
    fit = davidson(c)
    scores, nu = independent_fit(c)
    assert np.max(np.abs(fit.scores - scores)) < 1e-6
    assert fit.nu == pytest.approx(nu, abs=1e-6)


def test_matches_an_independent_maximisation_on_llmfao_crowd_votes(shared_data: Path):
    c = read_comparisons(shared_data / "llmfao" / "votes.jsonl", where={"judge_type": "human"})
    fit = davidson(c)
    scores, nu = independent_fit(c)
    print(f"llmfao crowd: nu {fit.nu:.4f}; max |Δscore| {np.max(np.abs(fit.scores - scores)):.2e}")
    assert np.max(np.abs(fit.scores - scores)) < 1e-6
    assert fit.nu == pytest.approx(nu, abs=1e-6)


def test_recovers_the_simulated_tie_parameter_within_its_interval():
    truth = np.linspace(-1.0, 1.0, 8)
    fit = davidson(simulate(truth, nu=1.2, m=20000, seed=5))
    assert fit.nu == pytest.approx(1.2, rel=0.05)
    low, high = davidson_intervals(simulate(truth, nu=1.2, m=20000, seed=5), fit)
    centred = truth - truth.mean()
    assert np.mean((low <= centred) & (centred <= high)) >= 0.75


def test_both_bad_counts_as_a_tie_or_is_dropped():
    outcome = [Outcome.A] * 6 + [Outcome.B] * 3 + [Outcome.TIE] * 2 + [Outcome.BOTH_BAD] * 4
    c = comparisons([0] * 15, [1] * 15, outcome, 2)
    assert davidson(c).nu == pytest.approx(6 / np.sqrt(18), abs=1e-10)
    assert davidson(c, both_bad="drop").nu == pytest.approx(2 / np.sqrt(18), abs=1e-10)


def test_without_ties_the_fit_refuses():
    c = comparisons([0, 0, 1], [1, 1, 0], [Outcome.A, Outcome.B, Outcome.A], 2)
    with pytest.raises(ConvergenceError, match="ties"):
        davidson(c)


def test_command_line_reports_the_tie_parameter(tmp_path: Path, capsys):
    truth = np.array([0.5, 0.0, -0.5])
    c = simulate(truth, nu=0.9, m=600, seed=2)
    winner = {Outcome.A: "model_a", Outcome.B: "model_b", Outcome.TIE: "tie"}
    lines = [
        json.dumps({"model_a": c.names[x], "model_b": c.names[y], "winner": winner[Outcome(o)]})
        for x, y, o in zip(c.a, c.b, c.outcome, strict=True)
    ]
    path = tmp_path / "votes.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["rate", str(path), "--method", "bt-davidson", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    fit = davidson(c)
    assert out["tie_parameter"] == pytest.approx(fit.nu)
    assert out["tie_probability_between_equals"] == pytest.approx(fit.nu / (2 + fit.nu))
    rows = {r["name"]: r for r in out["competitors"]}
    per_unit = 400 / np.log(10)
    for k, name in enumerate(c.names):
        assert rows[name]["rating"] == pytest.approx(1000 + per_unit * fit.scores[k])
        assert rows[name]["ci_low"] < rows[name]["rating"] < rows[name]["ci_high"]
