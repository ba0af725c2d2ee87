"""``python -m ratings simulate``: how many votes a pairing policy needs to recover a known order.

Votes are drawn from a ground truth (Bradley–Terry with prompt-dependent skill and ties); the
policy picks each pair from the latest fit, refitted every ``--refit`` votes as an arena's jobs
would. Prints Kendall τ to the true order, top-10 accuracy and mean interval width at
checkpoints, and the votes needed to reach τ ≥ 0.9 and 0.95.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import kendalltau

from ratings.core import bradley_terry, covariance
from ratings.core.pairing import POLICIES, POLICY, PairingState, pairs_of, uniform
from ratings.core.types import Comparisons, Outcome

PER_ELO = math.log(10) / 400
THRESHOLDS = (0.9, 0.95)
MIN_COMPETITORS = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", choices=POLICIES, required=True)
    parser.add_argument("--competitors", type=int, default=100)
    parser.add_argument("--prompts", type=int, default=50)
    parser.add_argument("--budget", type=int, default=40_000, help="votes to simulate")
    parser.add_argument("--tie-rate", type=float, default=0.25)
    parser.add_argument("--prompt-spread", type=float, default=0.3, help="log units per prompt")
    parser.add_argument("--truth", type=Path, help="JSON object name → Elo rating")
    parser.add_argument("--refit", type=int, default=500, help="votes between refits")
    parser.add_argument("--checkpoints", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def truth_ratings(n: int, path: Path | None) -> tuple[tuple[str, ...], np.ndarray]:
    """Names and Elo ratings: from ``path``, or ``n`` spread evenly over 700–1400."""
    if path is None:
        return tuple(f"m{k:03d}" for k in range(n)), np.linspace(1400.0, 700.0, n)
    data = json.loads(path.read_text(encoding="utf-8"))
    if (
        not isinstance(data, dict)
        or len(data) < MIN_COMPETITORS
        or not all(isinstance(v, int | float) for v in data.values())
    ):
        raise ValueError(f"{path}: need a JSON object of at least two names → Elo ratings")
    return tuple(data), np.array(list(data.values()), dtype=float)


def simulate(
    policy: str,
    *,
    elo: np.ndarray,
    prompts: int,
    budget: int,
    tie_rate: float,
    prompt_spread: float,
    refit: int,
    checkpoints: int,
    seed: int,
) -> dict[str, Any]:
    """Run one simulation; the JSON-ready result."""
    rng = np.random.default_rng(seed)
    n = elo.size
    truth = (elo - elo.mean()) * PER_ELO
    skill = truth[:, None] + rng.normal(0.0, prompt_spread, (n, prompts))
    a = np.zeros(budget, dtype=np.intp)
    b = np.zeros(budget, dtype=np.intp)
    outcome = np.zeros(budget, dtype=np.int8)
    pair_votes = np.zeros((n, n))
    state = PairingState(np.zeros(n), None, pair_votes)
    every = max(1, budget // checkpoints)
    marks: list[dict[str, Any]] = []
    reached: dict[str, int | None] = {str(t): None for t in THRESHOLDS}
    choose = POLICY[policy]
    pair_i, pair_j = pairs_of(n)
    cdf = np.cumsum(uniform(state))  # before the first fit every policy starts uniform
    for t in range(budget):
        if policy == "fewest-votes":  # its state is the vote counts: fresh for every vote
            cdf = np.cumsum(choose(state))
        k = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), cdf.size - 1)
        i, j = int(pair_i[k]), int(pair_j[k])
        prompt = int(rng.integers(prompts))
        if rng.random() < tie_rate:
            result = Outcome.TIE
        else:
            d = skill[i, prompt] - skill[j, prompt]
            result = Outcome.A if rng.random() < 1.0 / (1.0 + math.exp(-d)) else Outcome.B
        a[t], b[t], outcome[t] = i, j, result
        pair_votes[i, j] += 1
        pair_votes[j, i] += 1
        done = t + 1
        if done % refit == 0 or done % every == 0 or done == budget:
            c = Comparisons(
                names=tuple(map(str, range(n))),
                a=a[:done],
                b=b[:done],
                outcome=outcome[:done],
                weight=np.ones(done),
            )
            fit = bradley_terry(c)
            cov = covariance(c, fit, kind="fisher")
            state = PairingState(fit.scores, cov, pair_votes)
            cdf = np.cumsum(choose(state))  # the policy's state, cached until the next refit
            tau = float(kendalltau(fit.scores, truth).statistic)
            for threshold in THRESHOLDS:
                if reached[str(threshold)] is None and tau >= threshold:
                    reached[str(threshold)] = done
            if done % every == 0 or done == budget:
                top_true = set(np.argsort(-truth)[:10])
                top_fit = set(np.argsort(-fit.scores)[:10])
                width = 2 * 1.96 * np.sqrt(np.maximum(np.diag(cov), 0.0)) / PER_ELO
                marks.append(
                    {
                        "votes": done,
                        "kendall_tau": tau,
                        "top10_accuracy": len(top_true & top_fit) / min(10, n),
                        "mean_ci_width": float(width.mean()),
                    }
                )
    return {"policy": policy, "seed": seed, "checkpoints": marks, "votes_to_tau": reached}


def run_from_args(args: argparse.Namespace) -> int:
    try:
        if (
            args.budget < 1
            or args.competitors < MIN_COMPETITORS
            or args.prompts < 1
            or args.refit < 1
        ):
            raise ValueError("need --budget ≥ 1, --competitors ≥ 2, --prompts ≥ 1, --refit ≥ 1")
        if not 0 <= args.tie_rate < 1:
            raise ValueError("need 0 ≤ --tie-rate < 1")
        _, elo = truth_ratings(args.competitors, args.truth)
        result = simulate(
            args.policy,
            elo=elo,
            prompts=args.prompts,
            budget=args.budget,
            tie_rate=args.tie_rate,
            prompt_spread=args.prompt_spread,
            refit=args.refit,
            checkpoints=args.checkpoints,
            seed=args.seed,
        )
    except (ValueError, OSError) as exc:
        print(f"python -m ratings simulate: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        for mark in result["checkpoints"]:
            print(
                f"{mark['votes']:>8}  tau {mark['kendall_tau']:.3f}  "
                f"top10 {mark['top10_accuracy']:.1f}  ci {mark['mean_ci_width']:.0f}"
            )
        print("votes to tau:", result["votes_to_tau"])
    return 0
