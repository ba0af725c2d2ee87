"""Benchmark of one pairing decision at 200 competitors, the policy state cached.

A decision is what a battle request does once per battle: draw a pair from the cached
probabilities of the latest refit (:func:`ratings.core.pairing.policies.pair_draw_cached`). Uniform
pairing is the baseline in the same run. Also timed, for each policy: rebuilding the cache
after a refit (the policy over all pairs, then the cumulative sums), which the rating job does,
not the request.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ratings.core import bradley_terry, covariance
from ratings.core.pairing.policies import (
    POLICY,
    PairingState,
    pair_draw_cached,
    pairing_cache,
    pairs_of,
)
from ratings.core.types import Comparisons

TARGET_P99_MS = 2.0
TIE_RATE = 0.25


def pairing_state(n: int, n_votes: int, rng: np.random.Generator) -> PairingState:
    """A realistic state: a fit and its covariance after ``n_votes`` uniform votes."""
    strength = rng.normal(0.0, 1.0, n)
    i, j = pairs_of(n)
    k = rng.integers(i.size, size=n_votes)
    a, b = i[k], j[k]
    wins = rng.random(n_votes) < 1.0 / (1.0 + np.exp(strength[b] - strength[a]))
    outcome = np.where(rng.random(n_votes) < TIE_RATE, 3, np.where(wins, 1, 2)).astype(np.int8)
    votes = Comparisons(tuple(map(str, range(n))), a, b, outcome, np.ones(n_votes))
    fit = bradley_terry(votes)
    pair_votes = np.zeros((n, n))
    np.add.at(pair_votes, (a, b), 1.0)
    return PairingState(
        fit.scores, covariance(votes, fit, kind="fisher"), pair_votes + pair_votes.T
    )


def run(n: int = 200, decisions: int = 20_000, seed: int = 0) -> dict[str, Any]:
    """Time every policy; print the lines and return the JSON-ready figures."""
    rng = np.random.default_rng(seed)
    state = pairing_state(n, 40 * n, rng)
    out: dict[str, Any] = {"n_competitors": n, "decisions": decisions, "policies": {}}
    print(f"pairing decisions: {n} competitors ({n * (n - 1) // 2} pairs), {decisions} draws each")
    for name, policy in POLICY.items():
        start = time.perf_counter()
        cache = pairing_cache(policy(state), n)
        rebuild_ms = 1e3 * (time.perf_counter() - start)
        times = np.empty(decisions)
        for t in range(decisions):
            start = time.perf_counter_ns()
            pair_draw_cached(cache, rng)
            times[t] = time.perf_counter_ns() - start
        p50, p99 = np.percentile(times, [50, 99]) / 1e6
        out["policies"][name] = {
            "p50_ms": float(p50),
            "p99_ms": float(p99),
            "rebuild_ms": rebuild_ms,
        }
        print(
            f"  {name:>13}: decision p50 {1e3 * p50:6.1f} µs, p99 {1e3 * p99:6.1f} µs; "
            f"cache rebuilt per refit in {rebuild_ms:7.1f} ms"
        )
    worst = max(v["p99_ms"] for v in out["policies"].values())
    base = out["policies"]["uniform"]["p99_ms"]
    out["target_p99_ms"] = TARGET_P99_MS
    out["met"] = bool(worst < TARGET_P99_MS)
    print(
        f"  slowest policy p99 {1e3 * worst:.1f} µs, uniform (the baseline) {1e3 * base:.1f} µs; "
        f"target {TARGET_P99_MS:g} ms: {'met' if out['met'] else 'NOT met'}"
    )
    return out
