"""``python -m ratings simulate``: how many votes a pairing policy needs to recover a known order.

Votes are drawn from a ground truth: Bradley–Terry with prompt-dependent skill (each
competitor's skill on a prompt is its truth plus a normal deviation, centred over the prompt
pool so that the truth is its mean skill there) and a fixed share of ties. A pairing policy
(:mod:`ratings.core.pairing.policies`) picks each pair from the latest fit, refitted every
``--refit`` votes as an arena's jobs would; prints Kendall τ to the true order, top-10 accuracy and
mean interval width at checkpoints, and the votes needed to reach τ ≥ 0.9 and 0.95.

A tournament format (:mod:`ratings.core.pairing.tournaments`) instead plays whole tournaments, one
prompt after another, until ``--budget`` judge calls; the ranking is Bradley–Terry over the
matches played, reported at the checkpoints and at the budget with Spearman's ρ as well.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import kendalltau, spearmanr

from ratings.core import AUTO_L2, DisconnectedComparisonsError, bradley_terry, covariance
from ratings.core.pairing.policies import POLICIES, POLICY, PairingState, pairs_of, uniform
from ratings.core.pairing.tournaments import (
    FORMATS,
    bracket_pending,
    bracket_record_many,
    bracket_start,
)
from ratings.core.types import Comparisons, Outcome

PER_ELO = math.log(10) / 400
THRESHOLDS = (0.9, 0.95)
MIN_COMPETITORS = 2
SPREADS = ("even", "leaderboard")
#: A published leaderboard whose spread of ratings ``--spread leaderboard`` copies.
BOARD = (
    Path(__file__).resolve().parents[2]
    / "shared/data/ko_arena_hard/published_20250410/no_control.csv"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``simulate`` (``study`` shares them)."""
    parser.add_argument("--policy", choices=POLICIES + FORMATS, required=True)
    add_truth_arguments(parser)


def add_truth_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that describe the simulated arena, shared with ``study``."""
    parser.add_argument("--competitors", type=int, default=100)
    parser.add_argument("--prompts", type=int, default=50)
    parser.add_argument("--budget", type=int, default=40_000, help="votes (judge calls)")
    parser.add_argument("--tie-rate", type=float, default=0.25)
    parser.add_argument("--prompt-spread", type=float, default=0.3, help="log units per prompt")
    parser.add_argument(
        "--spread",
        choices=SPREADS,
        default="even",
        help="true ratings over 700–1400 Elo: evenly, or at the quantiles of a published "
        "leaderboard (--board)",
    )
    parser.add_argument("--board", type=Path, default=BOARD, help="CSV with an elo_score column")
    parser.add_argument("--truth", type=Path, help="JSON object name → Elo rating")
    parser.add_argument("--refit", type=int, default=500, help="votes between refits")
    parser.add_argument(
        "--baseline-rank",
        type=int,
        help="format baseline: the competitor of this true rank (0 = best) is the baseline "
        "(default: the median competitor)",
    )
    parser.add_argument("--checkpoints", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def truth_ratings(
    n: int, path: Path | None, *, spread: str = "even", board: Path = BOARD
) -> tuple[tuple[str, ...], np.ndarray]:
    """Names and Elo ratings, best first: from ``path``, or ``n`` spread over 700–1400.

    ``spread="leaderboard"`` places them at ``n`` evenly spaced quantiles of the ``elo_score``
    column of ``board``, rescaled to 700–1400: the gaps and clusters of a published board.
    """
    if path is not None:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (
            not isinstance(data, dict)
            or len(data) < MIN_COMPETITORS
            or not all(isinstance(v, int | float) for v in data.values())
        ):
            raise ValueError(f"{path}: need a JSON object of at least two names → Elo ratings")
        return tuple(data), np.array(list(data.values()), dtype=float)
    names = tuple(f"m{k:03d}" for k in range(n))
    if spread == "even":
        return names, np.linspace(1400.0, 700.0, n)
    with board.open(encoding="utf-8") as handle:
        published = np.sort([float(row["elo_score"]) for row in csv.DictReader(handle)])
    if published.size < MIN_COMPETITORS or np.ptp(published) == 0:
        raise ValueError(f"{board}: need at least two distinct elo_score values")
    q = np.interp(np.linspace(0, 1, n), np.linspace(0, 1, published.size), published)
    return names, (700.0 + 700.0 * (q - q[0]) / (q[-1] - q[0]))[::-1].copy()


class Arena:
    """The simulated truth: per-prompt skills, ties, and one random generator."""

    def __init__(
        self, elo: np.ndarray, *, prompts: int, tie_rate: float, prompt_spread: float, seed: int
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.n, self.prompts, self.tie_rate = elo.size, prompts, tie_rate
        self.truth = (elo - elo.mean()) * PER_ELO
        noise = self.rng.normal(0.0, prompt_spread, (self.n, prompts))
        # Centred per competitor, so that the truth is each one's mean skill over the prompt
        # pool: the order the votes can identify, not one blurred by the pool's own sampling.
        self.skill = self.truth[:, None] + noise - noise.mean(axis=1, keepdims=True)

    def vote(self, i: int, j: int, prompt: int) -> Outcome:
        """One verdict on ``i`` (as A) against ``j`` on ``prompt``."""
        if self.rng.random() < self.tie_rate:
            return Outcome.TIE
        d = self.skill[i, prompt] - self.skill[j, prompt]
        return Outcome.A if self.rng.random() < 1.0 / (1.0 + math.exp(-d)) else Outcome.B

    def mark(self, done: int, scores: np.ndarray, cov: np.ndarray | None) -> dict[str, Any]:
        """The accuracy figures of a fit after ``done`` votes."""
        top_true = set(np.argsort(-self.truth)[:10])
        top_fit = set(np.argsort(-scores)[:10])
        out: dict[str, Any] = {
            "votes": done,
            "kendall_tau": float(kendalltau(scores, self.truth).statistic),
            "spearman": float(spearmanr(scores, self.truth).statistic),
            "top10_accuracy": len(top_true & top_fit) / min(10, self.n),
        }
        if cov is not None:
            width = 2 * 1.96 * np.sqrt(np.maximum(np.diag(cov), 0.0)) / PER_ELO
            out["mean_ci_width"] = float(width.mean())
        return out


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
    baseline_rank: int | None = None,
) -> dict[str, Any]:
    """Run one simulation; the JSON-ready result.

    ``curve`` holds ``[votes, kendall τ]`` at every refit (pairing policies) or at the end of
    every tournament (formats); ``checkpoints`` the fuller figures every ``budget/checkpoints``.
    """
    arena = Arena(elo, prompts=prompts, tie_rate=tie_rate, prompt_spread=prompt_spread, seed=seed)
    if policy in FORMATS:
        rank = arena.n // 2 if baseline_rank is None else baseline_rank
        return _simulate_format(
            policy, arena, budget=budget, checkpoints=checkpoints, seed=seed, baseline=rank
        )
    n = arena.n
    a = np.zeros(budget, dtype=np.intp)
    b = np.zeros(budget, dtype=np.intp)
    outcome = np.zeros(budget, dtype=np.int8)
    pair_votes = np.zeros((n, n))
    state = PairingState(np.zeros(n), None, pair_votes)
    # Checkpoints fall on refits, so the refit schedule (and what the policy sees) does not
    # depend on the budget.
    every = max(refit, (budget // checkpoints) // refit * refit)
    marks: list[dict[str, Any]] = []
    curve: list[list[float]] = []
    choose = POLICY[policy]
    pair_i, pair_j = pairs_of(n)
    cdf = np.cumsum(uniform(state))  # before the first fit every policy starts uniform
    names = tuple(map(str, range(n)))
    for t in range(budget):
        if policy == "fewest-votes":  # its state is the vote counts: fresh for every vote
            cdf = np.cumsum(choose(state))
        k = min(int(np.searchsorted(cdf, arena.rng.random() * cdf[-1], side="right")), cdf.size - 1)
        i, j = int(pair_i[k]), int(pair_j[k])
        a[t], b[t] = i, j
        outcome[t] = arena.vote(i, j, int(arena.rng.integers(prompts)))
        pair_votes[i, j] += 1
        pair_votes[j, i] += 1
        done = t + 1
        if done % refit == 0 or done == budget:
            c = Comparisons(names, a[:done], b[:done], outcome[:done], np.ones(done))
            try:
                fit = bradley_terry(c)
            except DisconnectedComparisonsError:  # early on, someone has no votes yet
                fit = bradley_terry(c, l2=AUTO_L2)
            cov = covariance(c, fit, kind="fisher")
            state = PairingState(fit.scores, cov, pair_votes)
            cdf = np.cumsum(choose(state))  # the policy's state, cached until the next refit
            mark = arena.mark(done, fit.scores, cov)
            curve.append([done, mark["kendall_tau"]])
            if done % every == 0 or done == budget:
                marks.append(mark)
    return _result(policy, seed, marks, curve)


def _result(
    policy: str, seed: int, marks: list[dict[str, Any]], curve: list[list[float]]
) -> dict[str, Any]:
    reached: dict[str, int | None] = {}
    for threshold in THRESHOLDS:
        first = next((int(v) for v, tau in curve if tau >= threshold), None)
        reached[str(threshold)] = first
    return {
        "policy": policy,
        "seed": seed,
        "checkpoints": marks,
        "curve": curve,
        "votes_to_tau": reached,
        "final": marks[-1] if marks else None,
    }


def _simulate_format(
    fmt: str, arena: Arena, *, budget: int, checkpoints: int, seed: int, baseline: int
) -> dict[str, Any]:
    """Whole tournaments, one prompt after another (the pool cycled), until ``budget`` calls."""
    names = tuple(f"m{k:03d}" for k in range(arena.n))
    base = names[int(np.argsort(-arena.truth)[baseline])]
    every = max(1, budget // checkpoints)
    a: list[int] = []
    b: list[int] = []
    outcome: list[int] = []
    marks: list[dict[str, Any]] = []
    curve: list[list[float]] = []
    round_no = 0
    while len(a) < budget:
        prompt = round_no % arena.prompts
        # By default the baseline is the median competitor: the kindest choice for baseline
        # judging, as its games against the rest are the least lopsided.
        state = bracket_start(fmt, names, [f"p{prompt}"], seed * 100_003 + round_no, baseline=base)
        pending = bracket_pending(state)
        while pending and len(a) < budget:
            batch: dict[str, int] = {}
            for match in pending[: budget - len(a)]:
                i, j = names.index(match.a), names.index(match.b)
                batch[match.id] = arena.vote(i, j, prompt)
                a.append(i)
                b.append(j)
                outcome.append(batch[match.id])
                if len(a) % every == 0 or len(a) == budget:
                    marks.append(arena.mark(len(a), _fit(names, a, b, outcome), None))
            state = bracket_record_many(state, batch)
            pending = bracket_pending(state)
        round_no += 1
        curve.append([len(a), arena.mark(len(a), _fit(names, a, b, outcome), None)["kendall_tau"]])
    result = _result(fmt, seed, marks, curve)
    result["tournaments"] = round_no
    return result


def _fit(names: tuple[str, ...], a: list[int], b: list[int], outcome: list[int]) -> np.ndarray:
    c = Comparisons(
        names,
        np.array(a, dtype=np.intp),
        np.array(b, dtype=np.intp),
        np.array(outcome, dtype=np.int8),
        np.ones(len(a)),
    )
    # A small ridge: early in a tournament series some competitor has lost every match.
    return bradley_terry(c, l2=1e-3).scores


def check_truth_args(args: argparse.Namespace) -> np.ndarray:
    """The true Elo ratings the options describe; ValueError for a bad option."""
    if args.budget < 1 or args.competitors < MIN_COMPETITORS or args.prompts < 1 or args.refit < 1:
        raise ValueError("need --budget ≥ 1, --competitors ≥ 2, --prompts ≥ 1, --refit ≥ 1")
    if args.baseline_rank is not None and not 0 <= args.baseline_rank < args.competitors:
        raise ValueError("need 0 ≤ --baseline-rank < --competitors")
    if not 0 <= args.tie_rate < 1:
        raise ValueError("need 0 ≤ --tie-rate < 1")
    _, elo = truth_ratings(args.competitors, args.truth, spread=args.spread, board=args.board)
    return elo


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``simulate``; status 2 for a bad option."""
    try:
        elo = check_truth_args(args)
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
            baseline_rank=args.baseline_rank,
        )
    except (ValueError, OSError) as exc:
        print(f"python -m ratings simulate: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        for mark in result["checkpoints"]:
            ci = f"  ci {mark['mean_ci_width']:.0f}" if "mean_ci_width" in mark else ""
            print(
                f"{mark['votes']:>8}  tau {mark['kendall_tau']:.3f}  "
                f"spearman {mark['spearman']:.3f}  top10 {mark['top10_accuracy']:.1f}{ci}"
            )
        print("votes to tau:", result["votes_to_tau"])
    return 0
