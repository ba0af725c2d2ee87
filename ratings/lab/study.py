"""``python -m ratings study``: pairing policies and tournament formats over many seeds.

Runs ``simulate`` for every policy and seed (a process pool, ``--jobs`` at a time), then prints,
per policy, the median and spread (quartiles, extremes) of the votes to Kendall τ ≥ 0.9 and
0.95, the ratio to uniform pairing (of the medians, and the median of the per-seed ratios: the
same seed draws the same truth and prompts for every policy), and the Spearman ρ at the budget;
optionally writes a plot of the median τ curves and of the votes to τ ≥ 0.9 per seed. A policy
that never reaches a threshold within the budget counts as needing more than the budget.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ratings.core.pairing.policies import POLICIES
from ratings.core.pairing.tournaments import FORMATS
from ratings.lab import simulate

DEFAULT_POLICIES = "uniform,information,ci-reduction"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``study``."""
    parser.add_argument(
        "--policies", default=DEFAULT_POLICIES, help=f"comma-separated (default {DEFAULT_POLICIES})"
    )
    parser.add_argument(
        "--seeds", default="0-19", help="a range A-B or a comma list (default 0-19)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--plot", type=Path, help="write the curves here (.svg or .png)")
    parser.add_argument(
        "--bound",
        action="store_true",
        help="also print what an oracle allocation of votes reaches at 1.5× and 2× fewer votes "
        "than uniform (normal approximation, ratings.lab.design_bound)",
    )
    simulate.add_truth_arguments(parser)


def parse_seeds(text: str) -> list[int]:
    """``"0-19"`` or ``"1,4,7"`` as a list of seeds."""
    if "-" in text:
        low, high = text.split("-", 1)
        return list(range(int(low), int(high) + 1))
    return [int(part) for part in text.split(",") if part]


def _run(job: tuple[str, int, dict[str, Any]]) -> dict[str, Any]:
    policy, seed, options = job
    return simulate.simulate(policy, seed=seed, **options)


def run_study(
    policies: list[str], seeds: list[int], options: dict[str, Any], jobs: int
) -> dict[str, Any]:
    """Every policy on every seed; the JSON-ready summary (runs included)."""
    work = [(policy, seed, options) for policy in policies for seed in seeds]
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            runs = pool.map(_run, work, chunksize=1)
    else:
        runs = [_run(job) for job in work]
    by_policy = {p: [r for r in runs if r["policy"] == p] for p in policies}
    budget = options["budget"]
    summary = {p: _summary(rs, budget) for p, rs in by_policy.items()}
    if "uniform" in by_policy:
        for p, rs in by_policy.items():
            summary[p]["vs_uniform"] = _ratios(by_policy["uniform"], rs, budget)
    if "baseline" in by_policy:
        for p, rs in by_policy.items():
            summary[p]["vs_baseline"] = _spearman_gain(by_policy["baseline"], rs)
    return {"options": options, "seeds": seeds, "policies": summary, "runs": runs}


def _needed(run: dict[str, Any], threshold: str, budget: int) -> float:
    value = run["votes_to_tau"][threshold]
    return float(budget + 1) if value is None else float(value)


def _spread(values: list[float]) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    q25, median, q75 = np.percentile(v, [25, 50, 75])
    return {
        "median": float(median),
        "q25": float(q25),
        "q75": float(q75),
        "min": float(v.min()),
        "max": float(v.max()),
    }


def _summary(runs: list[dict[str, Any]], budget: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for threshold in map(str, simulate.THRESHOLDS):
        values = [_needed(r, threshold, budget) for r in runs]
        out[f"votes_to_tau_{threshold}"] = _spread(values) | {
            "reached": sum(v <= budget for v in values)
        }
    out["final_spearman"] = _spread([r["final"]["spearman"] for r in runs])
    out["final_kendall_tau"] = _spread([r["final"]["kendall_tau"] for r in runs])
    return out


def _ratios(base: list[dict[str, Any]], runs: list[dict[str, Any]], budget: int) -> dict[str, Any]:
    """How many times fewer votes than uniform: ratio of medians and per-seed ratios."""
    out: dict[str, Any] = {}
    by_seed = {r["seed"]: r for r in base}
    for threshold in map(str, simulate.THRESHOLDS):
        ours = [_needed(r, threshold, budget) for r in runs]
        theirs = [_needed(by_seed[r["seed"]], threshold, budget) for r in runs]
        per_seed = [t / o for t, o in zip(theirs, ours, strict=True)]
        out[threshold] = {
            "ratio_of_medians": float(np.median(theirs) / np.median(ours)),
            "per_seed": _spread(per_seed),
            # A median past the budget is only a bound, and so is the ratio.
            "censored": bool(max(np.median(theirs), np.median(ours)) > budget),
        }
    return out


def _spearman_gain(base: list[dict[str, Any]], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Spearman ρ at the budget minus baseline judging's, seed by seed (equal judge calls)."""
    by_seed = {r["seed"]: r["final"]["spearman"] for r in base}
    gain = [r["final"]["spearman"] - by_seed[r["seed"]] for r in runs]
    return {"spearman_gain": _spread(gain), "seeds_better": sum(g > 0 for g in gain)}


def _fmt(spread: dict[str, float], budget: int) -> str:
    def one(v: float) -> str:
        return f">{budget}" if v > budget else f"{v:.0f}"

    return (
        f"{one(spread['median'])} [{one(spread['q25'])}–{one(spread['q75'])}; "
        f"{one(spread['min'])}–{one(spread['max'])}]"
    )


def print_summary(study: dict[str, Any]) -> None:
    """The readable table: medians, [quartiles; extremes], ratios to uniform."""
    budget = study["options"]["budget"]
    print(
        f"{len(study['seeds'])} seeds, {study['options']['elo'].size} competitors, budget "
        f"{budget}; votes: median [quartiles; extremes]"
    )
    for policy, s in study["policies"].items():
        line = f"{policy:>18}"
        for threshold in map(str, simulate.THRESHOLDS):
            got = s[f"votes_to_tau_{threshold}"]
            line += f"  τ≥{threshold}: {_fmt(got, budget)}"
        rho = s["final_spearman"]
        line += f"  ρ at budget {rho['median']:.3f} [{rho['q25']:.3f}–{rho['q75']:.3f}]"
        print(line)
        if "vs_baseline" in s and policy != "baseline":
            g = s["vs_baseline"]["spearman_gain"]
            print(
                f"{'':>18}  ρ − baseline's ρ, per seed: median {g['median']:+.3f} "
                f"[{g['q25']:+.3f}–{g['q75']:+.3f}]; higher on {s['vs_baseline']['seeds_better']} "
                f"of {len(study['seeds'])} seeds"
            )
        if "vs_uniform" in s and policy not in ("uniform", *FORMATS):
            for threshold, r in s["vs_uniform"].items():
                ps = r["per_seed"]
                bound = " (a bound: a median is past the budget)" if r["censored"] else ""
                ratio = r["ratio_of_medians"]
                print(
                    f"{'':>18}  τ≥{threshold}: uniform/{policy} = {ratio:.2f}{bound} "
                    f"(medians); per seed median {ps['median']:.2f} "
                    f"[{ps['q25']:.2f}–{ps['q75']:.2f}; {ps['min']:.2f}–{ps['max']:.2f}]"
                )


def write_plot(study: dict[str, Any], path: Path) -> None:
    """Median τ against votes (quartile band) and the votes to τ ≥ 0.9 per seed."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    mpl.rcParams["svg.fonttype"] = "none"  # text as text: a much smaller SVG
    budget = study["options"]["budget"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), width_ratios=(3, 2))
    policies = list(study["policies"])
    for policy in policies:
        runs = [r for r in study["runs"] if r["policy"] == policy]
        grid = np.array(runs[0]["curve"])[:, 0]
        taus = np.array([np.interp(grid, *np.array(r["curve"]).T) for r in runs])
        q25, med, q75 = np.percentile(taus, [25, 50, 75], axis=0)
        (line,) = left.plot(grid, med, lw=1.4, label=policy)
        left.fill_between(grid, q25, q75, color=line.get_color(), alpha=0.2, lw=0)
    left.axhline(0.9, color="grey", lw=0.6, ls=":")
    left.set(xlabel="votes", ylabel="Kendall τ to the truth", ylim=(0.6, 1.0))
    left.legend(frameon=False, fontsize=8)
    needed = [
        [min(_needed(r, "0.9", budget), budget * 1.05) for r in study["runs"] if r["policy"] == p]
        for p in policies
    ]
    right.boxplot(needed, orientation="horizontal", tick_labels=policies, widths=0.5)
    right.set(xlabel="votes to τ ≥ 0.9 (per seed)")
    right.tick_params(axis="y", labelsize=8)
    fig.suptitle(_title(study), fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(fig)


def _title(study: dict[str, Any]) -> str:
    o = study["options"]
    return (
        f"{o['elo'].size} competitors ({study['spread']} spread, 700–1400 Elo), "
        f"{o['tie_rate']:.0%} ties, refit every {o['refit']} votes, "
        f"{len(study['seeds'])} seeds: median and quartiles"
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``study``; status 2 for a bad option."""
    try:
        policies = [p for p in args.policies.split(",") if p]
        unknown = [p for p in policies if p not in POLICIES + FORMATS]
        if unknown or not policies:
            raise ValueError(f"unknown policy {unknown[0] if unknown else ''!r}")
        seeds = parse_seeds(args.seeds)
        elo = simulate.check_truth_args(args)
    except (ValueError, OSError) as exc:
        print(f"python -m ratings study: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    options = {
        "elo": elo,
        "prompts": args.prompts,
        "budget": args.budget,
        "tie_rate": args.tie_rate,
        "prompt_spread": args.prompt_spread,
        "refit": args.refit,
        "checkpoints": args.checkpoints,
        "baseline_rank": args.baseline_rank,
    }
    study = run_study(policies, seeds, options, max(1, args.jobs))
    study["spread"] = "file" if args.truth else args.spread
    if args.plot:
        write_plot(study, args.plot)
    if args.bound:
        from ratings.lab.design_bound import bound

        study["bound"] = bound(elo, args.tie_rate)
    if args.bound and not args.json:
        b = study["bound"]
        print(
            f"bound (normal approximation, no prompt noise): uniform needs "
            f"{b['uniform_votes']:.0f} votes to τ {b['target']}; an oracle allocation reaches τ "
            f"{b['oracle_tau']['1.5']:.3f} with 1.5× fewer and {b['oracle_tau']['2.0']:.3f} "
            "with 2× fewer"
        )
    if args.json:
        out = {k: v for k, v in study.items() if k != "runs"}
        out["options"] = {k: v for k, v in options.items() if k != "elo"} | {
            "competitors": int(elo.size)
        }
        print(json.dumps(out))
    else:
        print_summary(study)
    return 0
