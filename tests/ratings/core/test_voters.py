"""Suspicious-voter statistics and bursts: independent computations and calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ratings.core import Comparisons, Outcome, surprise_terms, vote_bursts, voter_surprise

TRUE_SCORES = np.linspace(-1.5, 1.5, 8)


def _simulate(rng, n_voters, per_voter, scores=TRUE_SCORES, tie_rate=0.1):
    n = n_voters * per_voter
    a = rng.integers(0, scores.size, n)
    b = (a + rng.integers(1, scores.size, n)) % scores.size
    p_a = 1.0 / (1.0 + np.exp(scores[b] - scores[a]))
    outcome = np.where(rng.random(n) < p_a, Outcome.A, Outcome.B).astype(np.int8)
    outcome[rng.random(n) < tie_rate] = Outcome.TIE
    voter = np.repeat(np.arange(n_voters), per_voter)
    return a.astype(np.intp), b.astype(np.intp), outcome, voter.astype(np.intp)


def _comparisons(a, b, outcome):
    names = tuple(f"m{i}" for i in range(TRUE_SCORES.size))
    return Comparisons(names=names, a=a, b=b, outcome=outcome, weight=np.ones(a.size))


def test_surprise_terms_match_a_direct_computation():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=5)
    a, b = rng.integers(0, 5, 50), rng.integers(0, 5, 50)
    a_won = rng.random(50) < 0.5
    observed, mean, variance = surprise_terms(scores, a, b, a_won)
    for t in range(50):
        q = 1.0 / (1.0 + math.exp(scores[b[t]] - scores[a[t]]))
        assert observed[t] == pytest.approx(math.log(q if a_won[t] else 1 - q))
        e = q * math.log(q) + (1 - q) * math.log(1 - q)
        assert mean[t] == pytest.approx(e)
        second = q * math.log(q) ** 2 + (1 - q) * math.log(1 - q) ** 2
        assert variance[t] == pytest.approx(second - e * e)


def test_normal_approximation_agrees_with_simulated_null():
    """p-values from the normal approximation against a Monte Carlo null of the same statistic."""
    rng = np.random.default_rng(7)
    a, b, outcome, voter = _simulate(rng, 40, 60)
    comparisons = _comparisons(a, b, outcome)
    result = voter_surprise(comparisons, voter, alpha=0.05, rounds=1)
    from ratings.core import bradley_terry

    for v in (0, 1, 2):
        fit = bradley_terry(comparisons.subset(voter != v), l2=1e-3)
        rows = (voter == v) & (outcome != Outcome.TIE)
        q = 1.0 / (1.0 + np.exp(fit.scores[b[rows]] - fit.scores[a[rows]]))
        draws = rng.random((20000, q.size)) < q
        ll = np.where(draws, np.log(q), np.log1p(-q)).sum(axis=1)
        simulated_p = float(np.mean(ll <= result.log_likelihood[v]))
        assert result.p_value[v] == pytest.approx(simulated_p, abs=0.03)


def test_honest_voters_are_flagged_at_about_the_false_positive_rate():
    rng = np.random.default_rng(3)
    a, b, outcome, voter = _simulate(rng, 300, 40)
    result = voter_surprise(_comparisons(a, b, outcome), voter, alpha=0.05)
    rate = result.flagged.mean()
    # 300 honest voters at 5%: a binomial standard deviation of 1.3 points.
    assert 0.01 <= rate <= 0.09


def test_rigger_and_random_voter_are_flagged():
    rng = np.random.default_rng(5)
    a, b, outcome, voter = _simulate(rng, 50, 40)
    target = 2
    # The rigger: 200 battles featuring the target, always for it.
    ra = np.full(200, target, dtype=np.intp)
    rb = (target + rng.integers(1, 8, 200)) % 8
    rigged = np.full(200, Outcome.A, dtype=np.int8)
    # The random voter: 200 battles, A or B by a coin.
    xa = rng.integers(0, 8, 200)
    xb = (xa + rng.integers(1, 8, 200)) % 8
    coin = np.where(rng.random(200) < 0.5, Outcome.A, Outcome.B).astype(np.int8)
    comparisons = _comparisons(
        np.concatenate([a, ra, xa]).astype(np.intp),
        np.concatenate([b, rb, xb]).astype(np.intp),
        np.concatenate([outcome, rigged, coin]).astype(np.int8),
    )
    voter = np.concatenate([voter, np.full(200, 50), np.full(200, 51)]).astype(np.intp)
    result = voter_surprise(comparisons, voter, alpha=0.01)
    assert result.flagged[50]
    assert result.flagged[51]
    assert result.flagged[:50].sum() <= 2


def test_voters_below_the_minimum_are_not_tested():
    rng = np.random.default_rng(2)
    a, b, outcome, voter = _simulate(rng, 10, 5)
    result = voter_surprise(_comparisons(a, b, outcome), voter, min_votes=20)
    assert not result.flagged.any()
    assert np.isnan(result.z).all()


def test_bad_inputs_are_refused():
    rng = np.random.default_rng(2)
    a, b, outcome, voter = _simulate(rng, 3, 5)
    with pytest.raises(ValueError, match="one voter per comparison"):
        voter_surprise(_comparisons(a, b, outcome), voter[:-1])
    with pytest.raises(ValueError, match="alpha"):
        voter_surprise(_comparisons(a, b, outcome), voter, alpha=0.0)


def test_bursts_find_many_votes_for_one_competitor_within_the_window():
    # Group 0: 12 votes for competitor 3 in 10 minutes, then spread votes; group 1: spread out.
    t = np.concatenate([np.arange(12) * 50.0, 10_000 + np.arange(12) * 4000.0])
    group = np.concatenate([np.zeros(12), np.ones(12)]).astype(np.intp)
    favoured = np.concatenate([np.full(12, 3), np.full(12, 3)]).astype(np.intp)
    bursts = vote_bursts(group, favoured, t, window=3600, min_votes=10)
    assert [(b.group, b.favoured, b.count) for b in bursts] == [(0, 3, 12)]
    assert bursts[0].end - bursts[0].start == pytest.approx(550.0)
    # Ties choose no one and never make a burst.
    none = vote_bursts(group, np.full(24, -1, dtype=np.intp), t, window=3600, min_votes=1)
    assert none == []


def test_bursts_agree_with_a_brute_force_count():
    rng = np.random.default_rng(11)
    n = 400
    group = rng.integers(0, 5, n).astype(np.intp)
    favoured = rng.integers(-1, 4, n).astype(np.intp)
    t = np.sort(rng.uniform(0, 20_000, n))
    window, min_votes = 1800.0, 6
    found = {
        (b.group, b.favoured): b.count
        for b in vote_bursts(group, favoured, t, window=window, min_votes=min_votes)
    }
    expected = {}
    for g in range(5):
        for f in range(4):
            times = t[(group == g) & (favoured == f)]
            best = max(
                (int(np.sum((times >= s) & (times <= s + window))) for s in times), default=0
            )
            if best >= min_votes:
                expected[(g, f)] = best
    assert found == expected
