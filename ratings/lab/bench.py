"""Benchmark of the rating core against arena-rank, in one process, on the same synthetic votes.

``python -m ratings bench`` (or ``make bench``) draws votes (by default 1,000,000 votes among 200
competitors, 25% ties, popular competitors met far more often), then times:

- Bradley–Terry with sandwich intervals, this project and arena-rank;
- Bradley–Terry with 100 bootstrap rounds, this project and arena-rank;
- online Elo over the same votes, and Elo with 100 bootstrap rounds beside the plain loop it
  replaced (one :func:`elo` pass per round, timed on 3 rounds and multiplied by the rounds);
- one pairing decision at the same number of competitors, each policy's state cached
  (:mod:`ratings.lab.bench_pairing`; uniform pairing the baseline).

It checks this project's ratings against an exact solve by choix (``ilsr_pairwise_dense`` run
to convergence) and against arena-rank's, and prints the speed ratios: readable lines first,
then one JSON summary line. Times are wall-clock inside this process, for the computation from
the vote arrays to ratings and intervals (not interpreter start or data generation). Every timing,
this project's and arena-rank's alike, is warm: one warm-up run, then the median of ``--repeat``
runs (3 by default). The machine's load average is printed before and after, since on a shared
machine it moves every figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ratings.core import (
    ELO_PER_LOG_UNIT,
    Comparisons,
    aggregate,
    bootstrap,
    bradley_terry,
    elo,
    elo_bootstrap,
    normal_intervals,
    to_ratings,
)
from ratings.core.types import FloatArray

EXACT_TOLERANCE = 0.001  # Elo points, against choix run to convergence
ARENA_RANK_TOLERANCE = 1.0  # Elo points; arena-rank's L-BFGS stops short of the optimum
TARGETS = {
    "sandwich_speedup": 50.0,
    "bootstrap_speedup": 100.0,
    "bootstrap_seconds": 1.0,
    "elo_seconds": 1.0,
    # issue #21: Elo with 100 bootstrap rounds at 1M votes, and its lead over the plain loop
    "elo_bootstrap_seconds": 5.0,
    "elo_bootstrap_speedup": 20.0,
}


#: The commit whose equilibrium solvers the benchmark times beside the current ones: the last
#: one before the NE speed-up, so that the printed speed-up is against the code it replaced.
EQUILIBRIUM_BASELINE = "f19629a"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``bench`` subcommand."""
    parser.add_argument("--votes", type=int, default=1_000_000, help="number of votes")
    parser.add_argument("--competitors", type=int, default=200, help="number of competitors")
    parser.add_argument("--rounds", type=int, default=100, help="bootstrap rounds")
    parser.add_argument("--ties", type=float, default=0.25, help="share of ties")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic votes")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timed runs of each timing, this project's and arena-rank's, after one warm-up "
        "run; the median is reported (default: 3)",
    )
    parser.add_argument("--skip-arena-rank", action="store_true", help="time this project only")
    parser.add_argument(
        "--pairing-only",
        action="store_true",
        help="time only one pairing decision at --competitors, each policy (uniform the baseline)",
    )
    group = parser.add_argument_group("equilibrium solvers (ratings.lab.bench_equilibrium)")
    group.add_argument(
        "--equilibrium-only",
        action="store_true",
        help="time only the equilibrium solvers (NE and CCE on synthetic specialists)",
    )
    group.add_argument(
        "--equilibrium-baseline",
        default=EQUILIBRIUM_BASELINE,
        metavar="REF",
        help="git revision whose equilibrium solvers are timed beside this tree's, in the same "
        f"run and on the same games ('' for none; default: {EQUILIBRIUM_BASELINE}, the solvers "
        "before their speed-up)",
    )
    group.add_argument(
        "--equilibrium-repeat",
        type=int,
        default=1,
        metavar="N",
        help="solves per case and side; the fastest is reported (default: 1)",
    )


def synthetic_votes(
    n_votes: int, n_competitors: int, *, ties: float, rng: np.random.Generator
) -> tuple[Comparisons, FloatArray]:
    """Votes from a Bradley–Terry model with skewed pairing; also returns the true strengths.

    Competitor ``k`` (0-based) is drawn for each side with probability proportional to
    ``1 / (k + 1) ** 0.8``, so the most popular pairs meet hundreds of times more often than the
    least; a pair of the same competitor is redrawn. A share ``ties`` of the votes are ties;
    the rest follow Bradley–Terry with strengths drawn from a standard normal.
    """
    strength = rng.normal(0.0, 1.0, n_competitors)
    popularity = 1.0 / np.arange(1, n_competitors + 1) ** 0.8
    popularity /= popularity.sum()
    a = np.empty(0, dtype=np.intp)
    b = np.empty(0, dtype=np.intp)
    while a.shape[0] < n_votes:
        draw_a = rng.choice(n_competitors, n_votes, p=popularity)
        draw_b = rng.choice(n_competitors, n_votes, p=popularity)
        keep = draw_a != draw_b
        a, b = np.concatenate([a, draw_a[keep]]), np.concatenate([b, draw_b[keep]])
    a, b = a[:n_votes], b[:n_votes]
    a_wins = rng.random(n_votes) < 1.0 / (1.0 + np.exp(strength[b] - strength[a]))
    outcome = np.where(rng.random(n_votes) < ties, 3, np.where(a_wins, 1, 2)).astype(np.int8)
    names = tuple(f"model-{k:03d}" for k in range(n_competitors))
    votes = Comparisons(names=names, a=a, b=b, outcome=outcome, weight=np.ones(n_votes))
    return votes, strength


def _timed(function: Callable[[], Any], repeat: int = 1, label: str = "") -> tuple[Any, float]:
    """The result and the median time of ``repeat`` runs after one untimed warm-up run.

    The warm-up pays for imports, JIT compilation (arena-rank's JAX) and cold caches, which a
    single cold run would charge to the method. With a ``label``, every run's time is printed
    as it ends, so a long comparison shows its progress and its spread.
    """
    start = time.perf_counter()
    result = function()
    times = [time.perf_counter() - start]
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    if label:
        runs = ", ".join(f"{t:.3g}" for t in times[1:])
        print(f"  {label}: warm-up {times[0]:.3g} s, then {runs} s", flush=True)
    return result, statistics.median(times[1:])


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as printed beside the figures."""
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def exact_ratings(votes: Comparisons) -> FloatArray:
    """Centred Elo-scale ratings from choix's ILSR on the dense win matrix, run to convergence."""
    import choix

    n = votes.n_items
    wins = np.zeros((n, n))
    share = votes.score_a() * votes.weight
    np.add.at(wins, (votes.a, votes.b), share)
    np.add.at(wins, (votes.b, votes.a), votes.weight - share)
    params = choix.ilsr_pairwise_dense(wins, max_iter=10_000, tol=1e-13)
    return to_ratings(params)


def _ours(votes: Comparisons, rounds: int, repeat: int) -> dict[str, Any]:
    def sandwich() -> tuple[FloatArray, FloatArray]:
        table = aggregate(votes)
        fit = bradley_terry(table)
        return fit.scores, normal_intervals(table, fit).high - fit.scores

    def boot() -> tuple[FloatArray, FloatArray]:
        table = aggregate(votes)
        fit = bradley_terry(table)
        ci = bootstrap(table, n_resamples=rounds, rng=1, point=fit)
        return ci.low, ci.high

    (scores, half), t_sandwich = _timed(sandwich, repeat)
    (low, high), t_boot = _timed(boot, repeat)
    _, t_elo = _timed(lambda: elo(votes), repeat)
    _, t_elo_boot = _timed(
        lambda: elo_bootstrap(votes, n_resamples=rounds, rng=1), repeat, "Elo bootstrap"
    )
    # the plain loop it replaced: one elo() pass per round, over that round's resample
    gen = np.random.default_rng(1)
    m = votes.n_comparisons
    _, t_elo_round = _timed(lambda: elo(votes, order=gen.integers(0, m, m)), repeat)
    return {
        "ratings": to_ratings(scores),
        "half_width": ELO_PER_LOG_UNIT * half,
        "boot_width": ELO_PER_LOG_UNIT * (high - low),
        "sandwich_s": t_sandwich,
        "bootstrap_s": t_boot,
        "elo_s": t_elo,
        "elo_bootstrap_s": t_elo_boot,
        "elo_bootstrap_plain_loop_s": t_elo_round * rounds,
    }


def _arena_rank(votes: Comparisons, rounds: int, repeat: int) -> dict[str, Any] | None:
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
        from arena_rank.models.bradley_terry import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            BradleyTerry,
        )
        from arena_rank.utils.data_utils import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            PairDataset,
        )
    except ImportError as exc:
        print(
            f"arena-rank not installed ({exc}); skipping the comparison. "
            "Install it with: pip install -e '.[oracles]'"
        )
        return None
    winner = np.array(["", "model_a", "model_b", "tie", "both_bad"])[votes.outcome]
    names = np.array(votes.names)
    frame = pd.DataFrame({"model_a": names[votes.a], "model_b": names[votes.b], "winner": winner})

    def run(ci_method: str) -> dict[str, Any]:
        dataset = PairDataset.from_pandas(frame)
        model = BradleyTerry(n_competitors=len(dataset.competitors))
        out = model.compute_ratings_and_cis(dataset, ci_method=ci_method, num_bootstrap=rounds)
        order = [dataset.competitors.index(name) for name in votes.names]
        return {
            key: np.asarray(out[key])[order] for key in ("ratings", "rating_lower", "rating_upper")
        }

    # arena-rank's bootstrap forks a process pool after JAX has started its threads, which can
    # deadlock (JAX warns of it); fresh interpreters avoid that. Only this benchmark does this.
    multiprocessing.set_start_method("spawn", force=True)
    sandwich, t_sandwich = _timed(lambda: run("sandwich"), repeat, "arena-rank sandwich")
    print(f"arena-rank  Bradley–Terry + sandwich intervals: {t_sandwich:8.2f} s")
    boot, t_boot = _timed(lambda: run("bootstrap"), repeat, "arena-rank bootstrap")
    print(f"arena-rank  Bradley–Terry + {rounds} bootstrap rounds: {t_boot:8.2f} s")
    return {
        "sandwich": sandwich,
        "bootstrap": boot,
        "sandwich_s": t_sandwich,
        "bootstrap_s": t_boot,
    }


def run_from_args(args: argparse.Namespace) -> int:
    """Run the benchmark; status 1 when an accuracy check fails."""
    if args.equilibrium_only:
        _run_equilibrium_bench(args)
        return 0
    from ratings.lab import bench_pairing

    if args.pairing_only:
        pairing = bench_pairing.run(args.competitors, seed=args.seed)
        print(json.dumps({"pairing": pairing}))
        return 0 if pairing["met"] else 1
    rng = np.random.default_rng(args.seed)
    votes, _ = synthetic_votes(args.votes, args.competitors, ties=args.ties, rng=rng)
    print(
        f"synthetic votes: {args.votes:,} votes, {args.competitors} competitors, "
        f"{args.ties:.0%} ties, skewed pairing (seed {args.seed})"
    )
    load_before = load_average()
    print(f"{load_before} (before); every time is the median of {args.repeat} after a warm-up")
    ours = _ours(votes, args.rounds, args.repeat)
    print(f"this project Bradley–Terry + sandwich intervals: {ours['sandwich_s']:8.3f} s")
    print(
        f"this project Bradley–Terry + {args.rounds} bootstrap rounds: {ours['bootstrap_s']:8.3f} s"
    )
    print(
        f"this project online Elo over {args.votes:,} votes: {ours['elo_s']:8.3f} s "
        "(the plain loop: numpy cannot beat it on one pass, see docs/benchmarks.md)"
    )
    elo_boot_speedup = ours["elo_bootstrap_plain_loop_s"] / ours["elo_bootstrap_s"]
    print(
        f"this project Elo + {args.rounds} bootstrap rounds: {ours['elo_bootstrap_s']:8.3f} s, "
        f"plain loop {ours['elo_bootstrap_plain_loop_s']:8.3f} s "
        f"(one round timed, times {args.rounds}): {elo_boot_speedup:.1f}x"
    )
    exact_diff = float(np.max(np.abs(ours["ratings"] - exact_ratings(votes))))
    print(
        f"max |this project - choix exact| = {exact_diff:.2e} Elo points "
        f"(must be < {EXACT_TOLERANCE})"
    )
    summary: dict[str, Any] = {
        "n_votes": args.votes,
        "n_competitors": args.competitors,
        "rounds": args.rounds,
        "ours": {
            k: ours[k]
            for k in (
                "sandwich_s",
                "bootstrap_s",
                "elo_s",
                "elo_bootstrap_s",
                "elo_bootstrap_plain_loop_s",
            )
        },
        "elo_bootstrap_speedup": elo_boot_speedup,
        "repeat": args.repeat,
        "load_before": load_before,
        "max_diff_vs_exact": exact_diff,
        "ok": exact_diff < EXACT_TOLERANCE,
    }
    theirs = None if args.skip_arena_rank else _arena_rank(votes, args.rounds, args.repeat)
    if theirs is not None:
        summary.update(_compare(ours, theirs))
        summary["ok"] = summary["ok"] and summary["max_diff_vs_arena_rank"] < ARENA_RANK_TOLERANCE
    summary["pairing"] = bench_pairing.run(args.competitors, seed=args.seed)
    summary["ok"] = summary["ok"] and summary["pairing"]["met"]
    summary["load_after"] = load_average()
    print(f"{summary['load_after']} (after)")
    summary["targets"] = _targets(summary)
    print(json.dumps(summary))
    _run_equilibrium_bench(args)
    return 0 if summary["ok"] else 1


def _compare(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    diff = float(np.max(np.abs(ours["ratings"] - theirs["sandwich"]["ratings"])))
    their_half = theirs["sandwich"]["rating_upper"] - theirs["sandwich"]["ratings"]
    their_boot = theirs["bootstrap"]["rating_upper"] - theirs["bootstrap"]["rating_lower"]
    out = {
        "arena_rank": {"sandwich_s": theirs["sandwich_s"], "bootstrap_s": theirs["bootstrap_s"]},
        "max_diff_vs_arena_rank": diff,
        "sandwich_half_width_ratio_median": float(np.median(ours["half_width"] / their_half)),
        "bootstrap_width_ratio_median": float(np.median(ours["boot_width"] / their_boot)),
        "sandwich_speedup": theirs["sandwich_s"] / ours["sandwich_s"],
        "bootstrap_speedup": theirs["bootstrap_s"] / ours["bootstrap_s"],
    }
    print(
        f"max |this project - arena-rank| = {diff:.3f} Elo points "
        f"(must be < {ARENA_RANK_TOLERANCE})"
    )
    print(
        f"interval widths, this project / arena-rank (median): sandwich "
        f"{out['sandwich_half_width_ratio_median']:.3f}, bootstrap "
        f"{out['bootstrap_width_ratio_median']:.3f}"
    )
    print(
        f"speed-up over arena-rank: sandwich {out['sandwich_speedup']:.0f}x, "
        f"bootstrap {out['bootstrap_speedup']:.0f}x"
    )
    return out


def _targets(summary: dict[str, Any]) -> dict[str, bool]:
    met = {
        "bootstrap_seconds": summary["ours"]["bootstrap_s"] < TARGETS["bootstrap_seconds"],
        "elo_seconds": summary["ours"]["elo_s"] < TARGETS["elo_seconds"],
        "elo_bootstrap_seconds": (
            summary["ours"]["elo_bootstrap_s"] <= TARGETS["elo_bootstrap_seconds"]
        ),
    }
    for key in ("sandwich_speedup", "bootstrap_speedup", "elo_bootstrap_speedup"):
        if key in summary:
            met[key] = summary[key] >= TARGETS[key]
    for key, ok in met.items():
        print(f"target {key} ({TARGETS[key]:g}): {'met' if ok else 'NOT met'}")
    return met


def _run_equilibrium_bench(args: argparse.Namespace) -> None:
    from ratings.lab import bench_equilibrium

    bench_equilibrium.run(args.equilibrium_baseline or None, args.equilibrium_repeat)
