"""Pairing policies: valid distributions, the published rules by hand, and the simulator."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ratings.cli import main
from ratings.core.pairing.policies import (
    POLICY,
    PairingState,
    ci_reduction,
    fewest_votes,
    information,
    pair_draw,
    pair_draw_cached,
    pairing_cache,
    pairs_of,
    ucb,
)


def state(scores, variances, votes) -> PairingState:
    n = len(scores)
    pair_votes = np.zeros((n, n))
    for (i, j), v in votes.items():
        pair_votes[i, j] = pair_votes[j, i] = v
    return PairingState(
        np.asarray(scores, float), np.diag(np.asarray(variances, float)), pair_votes
    )


EXAMPLE = state([1.0, 0.9, 0.0, -2.0], [0.04, 0.09, 0.01, 0.01], {(0, 1): 3, (0, 2): 10, (1, 2): 1})


@pytest.mark.parametrize("name", sorted(POLICY))
def test_every_policy_is_a_distribution_over_all_pairs(name):
    p = POLICY[name](EXAMPLE)
    assert p.shape == (6,)
    assert p.sum() == pytest.approx(1.0)
    assert np.all(p >= 0)
    if name not in ("fewest-votes",):
        assert np.all(p > 0)  # no pair starves: every adaptive policy keeps a floor


def test_fewest_votes_is_uniform_over_the_least_voted_pairs():
    p = fewest_votes(EXAMPLE)
    i, j = pairs_of(4)
    never = [(a, b) for a, b in zip(i, j, strict=True) if (a, b) not in {(0, 1), (0, 2), (1, 2)}]
    assert {(int(a), int(b)) for a, b, q in zip(i, j, p, strict=True) if q > 0} == set(never)


def test_ci_reduction_follows_the_published_rule():
    p = ci_reduction(EXAMPLE)
    i, _j = pairs_of(4)
    var = np.array([0.04 + 0.09, 0.04 + 0.01, 0.04 + 0.01, 0.09 + 0.01, 0.09 + 0.01, 0.02])
    n_a = np.maximum(np.array([3, 10, 0, 1, 0, 0], dtype=float), 1.0)
    sigma = var * n_a
    expected = np.sqrt(sigma / n_a) - np.sqrt(sigma / (n_a + 1))
    expected = 0.95 * expected / expected.sum() + 0.05 / 6
    np.testing.assert_allclose(p, expected)
    assert i.size == 6


def test_information_prefers_a_close_uncertain_pair_to_a_settled_one():
    p = information(EXAMPLE)
    i, j = pairs_of(4)
    close = int(np.flatnonzero((i == 0) & (j == 1))[0])  # 0.1 apart, uncertain
    settled = int(np.flatnonzero((i == 2) & (j == 3))[0])  # 2 apart, certain
    assert p[close] > 10 * p[settled]


def test_ucb_pivots_on_the_least_certain_competitor():
    p = ucb(EXAMPLE)
    i, j = pairs_of(4)
    best = int(np.argmax(p))
    assert 1 in (i[best], j[best])  # competitor 1 has the largest variance


def test_a_draw_returns_the_pair_and_its_probability():
    p = information(EXAMPLE)
    rng = np.random.default_rng(0)
    draws = [pair_draw(p, 4, rng) for _ in range(2000)]
    for a, b, q in draws[:20]:
        k = int(np.flatnonzero((pairs_of(4)[0] == a) & (pairs_of(4)[1] == b))[0])
        assert q == p[k]
    top = max({d[:2] for d in draws}, key=lambda ab: sum(d[:2] == ab for d in draws))
    k = int(np.argmax(p))
    assert top == (int(pairs_of(4)[0][k]), int(pairs_of(4)[1][k]))


def test_simulate_prints_checkpoints_and_votes_to_tau(capsys):
    args = ["simulate", "--policy", "information", "--competitors", "12", "--budget", "3000"]
    assert main([*args, "--refit", "300", "--checkpoints", "5", "--seed", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["policy"] == "information"
    assert [c["votes"] for c in out["checkpoints"]] == [600, 1200, 1800, 2400, 3000]
    assert set(out["votes_to_tau"]) == {"0.9", "0.95"}
    taus = [c["kendall_tau"] for c in out["checkpoints"]]
    assert taus[-1] > 0.8  # 3,000 votes on 12 competitors recover the order
    widths = [c["mean_ci_width"] for c in out["checkpoints"]]
    assert widths[-1] < widths[0]


def test_simulate_refuses_bad_options(capsys, tmp_path):
    assert main(["simulate", "--policy", "uniform", "--tie-rate", "1.5"]) == 2
    assert "tie-rate" in capsys.readouterr().err
    bad = tmp_path / "truth.json"
    bad.write_text('{"only": 1000}', encoding="utf-8")
    assert main(["simulate", "--policy", "uniform", "--truth", str(bad)]) == 2


def test_cached_draws_follow_the_policy_probabilities():
    p = information(EXAMPLE)
    cache = pairing_cache(p, 4)
    rng = np.random.default_rng(1)
    i, j = pairs_of(4)
    counts = np.zeros(6)
    for _ in range(20_000):
        a, b, q = pair_draw_cached(cache, rng)
        k = int(np.flatnonzero((i == a) & (j == b))[0])
        assert q == p[k]
        counts[k] += 1
    # within 4 standard errors of the binomial count, pair by pair
    sd = np.sqrt(20_000 * p * (1 - p))
    assert np.all(np.abs(counts - 20_000 * p) < 4 * sd + 1)
    with pytest.raises(ValueError, match="pair probabilities"):
        pairing_cache(p[:5], 4)


def test_information_focuses_on_uncertain_neighbours_and_keeps_a_two_percent_floor():
    p = information(EXAMPLE)
    assert p.min() == pytest.approx(0.02 / 6, rel=0.05)  # the settled pairs get just the floor
    first = information(PairingState(np.zeros(4), None, np.zeros((4, 4))))
    np.testing.assert_allclose(first, 1 / 6)  # before any fit: uniform


def test_study_prints_medians_ratios_and_writes_a_plot(tmp_path, capsys):
    plot = tmp_path / "study.svg"
    args = ["study", "--policies", "uniform,information", "--seeds", "0-1", "--jobs", "1"]
    small = ["--competitors", "12", "--budget", "1500", "--refit", "250", "--plot", str(plot)]
    assert main([*args, *small, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    info = out["policies"]["information"]
    assert set(info["votes_to_tau_0.9"]) >= {"median", "q25", "q75", "min", "max", "reached"}
    assert info["vs_uniform"]["0.9"]["ratio_of_medians"] > 0
    assert plot.stat().st_size < 100_000
    assert "<svg" in plot.read_text(encoding="utf-8")[:500]


def test_simulate_plays_tournament_formats_at_the_budget(capsys):
    args = ["simulate", "--policy", "single-elimination", "--competitors", "16", "--budget", "150"]
    assert main([*args, "--checkpoints", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["final"]["votes"] == 150
    assert out["tournaments"] >= 150 // 20  # 15 matches each, plus replays of ties
    assert out["final"]["spearman"] > 0.5


def test_pairing_bench_times_every_policy_against_the_target():
    from ratings.lab import bench_pairing

    out = bench_pairing.run(20, decisions=200)
    assert set(out["policies"]) == set(POLICY)
    for figures in out["policies"].values():
        assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    assert out["met"] == (max(f["p99_ms"] for f in out["policies"].values()) < 2.0)
