"""Timings and peak memory of the equilibrium solvers on synthetic games with specialists.

``python -m ratings.bench_equilibrium`` runs each case (method x size) in a fresh subprocess,
so the peak resident memory (``ru_maxrss``) is that case's alone, and prints one line per
case. The games are drawn directly as payoff tensors: each prompt belongs to a topic, each
topic has a specialist that is strong there and weak elsewhere, so no model wins on every
prompt and the equilibria are mixed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

from ratings.core.equilibrium import blocks
from ratings.core.equilibrium_cce import equilibrium_cce
from ratings.core.equilibrium_ne import equilibrium_ne
from ratings.core.winprob import WinProbabilities

#: (generator, models, prompts)
CASES: tuple[tuple[str, int, int], ...] = (
    ("topics", 20, 500),
    ("topics", 100, 2_000),
    ("circle", 20, 500),
)
METHODS: tuple[str, ...] = ("ne", "cce")
TARGETS = {("ne", 100, 2_000): 10.0, ("cce", 100, 2_000): 30.0}  # seconds, on 2 cores
TIMEOUT = 600.0  # seconds a case may take before it is reported as timed out
N_TOPICS = 8
SUPPORT_MASS = 1e-6  # marginal mass above which an action counts as played


def synthetic_game(
    n_items: int, n_prompts: int, *, kind: str = "topics", seed: int = 0
) -> WinProbabilities:
    """A payoff tensor of topic specialists with noise, built block by block.

    ``"topics"``: each prompt has one of five topics, each model a general skill plus a large
    per-topic skill, so a few specialists share the equilibrium. ``"circle"``: models and
    topics sit on a circle and a model's strength on a prompt falls with its distance from the
    prompt's topic; averaged over topics nobody wins, the equilibria are wide and the logit
    branch folds many times (a stress case for the NE continuation).
    """
    rng = np.random.default_rng(seed)
    if kind == "topics":
        topic = rng.integers(0, 5, size=n_prompts)
        skill = 0.3 * rng.normal(size=n_items) + 3.0 * rng.normal(size=(5, n_items))
    else:
        angle = 2 * np.pi * (np.arange(n_items) / n_items + rng.normal(scale=0.02, size=n_items))
        topic = rng.integers(0, N_TOPICS, size=n_prompts)
        skill = 2.0 * np.cos(angle[None, :] - 2 * np.pi * np.arange(N_TOPICS)[:, None] / N_TOPICS)
    payoff = np.empty((n_prompts, n_items, n_items))
    for s in blocks(n_prompts, n_items):
        n = s.stop - s.start
        strength = skill[topic[s]]
        if kind != "topics":
            strength = strength + rng.normal(scale=0.3, size=(n, n_items))
        noise = rng.normal(scale=0.3, size=(n, n_items, n_items))
        noise = (noise - noise.transpose(0, 2, 1)) / 2
        payoff[s] = np.tanh((strength[:, :, None] - strength[:, None, :] + noise) / 2.0)
    return WinProbabilities(
        names=tuple(f"model-{i}" for i in range(n_items)),
        prompt_names=tuple(f"prompt-{p}" for p in range(n_prompts)),
        payoff=payoff,
        alpha=0.0,
        prior="half",
        n_votes=np.zeros(n_items),
        prompt_votes=np.zeros(n_prompts),
    )


def run_case(method: str, kind: str, n_items: int, n_prompts: int) -> dict[str, Any]:
    """Solve one case in this process and return its figures."""
    game = synthetic_game(n_items, n_prompts, kind=kind)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    solve = equilibrium_ne if method == "ne" else equilibrium_cce
    wall, cpu = time.perf_counter(), time.process_time()
    result = solve(game)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "method": method,
        "game": kind,
        "n_items": n_items,
        "n_prompts": n_prompts,
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_memory_mb": round(peak / 1024, 1),
        "memory_before_solve_mb": round(before / 1024, 1),
        "residual": result.residual,
        "converged": result.converged,
        "n_iter": result.n_iter,
        "model_support": int(np.sum(result.marginals > SUPPORT_MASS)),
        "prompt_support": int(np.sum(result.prompt_marginals > SUPPORT_MASS)),
    }


def run() -> dict[str, Any]:
    """Run every case in its own subprocess, print one line each, and return the figures."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    figures = []
    for kind, n_items, n_prompts in CASES:
        for method in METHODS:
            row = _run_subprocess(env, method, kind, n_items, n_prompts)
            figures.append(row)
            print(_line(row), flush=True)  # noqa: T201 - a benchmark prints
    return {"cases": figures, "blas_threads": 1}


def _run_subprocess(
    env: dict[str, str], method: str, kind: str, n_items: int, n_prompts: int
) -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "ratings.bench_equilibrium",
        "--case",
        method,
        kind,
        str(n_items),
        str(n_prompts),
    ]
    try:
        out = subprocess.run(  # noqa: S603 - our own module, fixed arguments
            argv, capture_output=True, text=True, check=True, env=env, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return {
            "method": method,
            "game": kind,
            "n_items": n_items,
            "n_prompts": n_prompts,
            "timed_out": TIMEOUT,
        }
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def _line(row: dict[str, Any]) -> str:
    head = (
        f"equilibrium-{row['method']:<3} {row['game']:<6} {row['n_items']:>4} models x "
        f"{row['n_prompts']:>5} prompts: "
    )
    if "timed_out" in row:
        return head + f"did not finish within {row['timed_out']:.0f} s"
    target = TARGETS.get((row["method"], row["n_items"], row["n_prompts"]))
    return head + (
        f"{row['seconds']:7.2f} s wall, {row['cpu_seconds']:7.2f} s CPU, "
        f"peak {row['peak_memory_mb']:7.1f} MB, residual {row['residual']:.1e}, "
        f"support {row['model_support']} models / {row['prompt_support']} prompts, "
        f"converged {row['converged']}" + (f" (target {target:.0f} s)" if target else "")
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``--case METHOD GAME N_ITEMS N_PROMPTS`` runs one case and prints JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", nargs=4, metavar=("METHOD", "GAME", "N_ITEMS", "N_PROMPTS"))
    args = parser.parse_args(argv)
    if args.case:
        method, kind, n_items, n_prompts = args.case
        print(json.dumps(run_case(method, kind, int(n_items), int(n_prompts))))  # noqa: T201
    else:
        run()


if __name__ == "__main__":
    main()
