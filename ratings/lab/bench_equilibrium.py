"""Timings and peak memory of the equilibrium solvers on synthetic games with specialists.

``python -m ratings bench --equilibrium-only`` (``make bench-equilibrium``; ``make bench`` runs it
after the Bradley–Terry benchmark) solves each case (method x size) in a fresh subprocess, so
the peak resident memory (``ru_maxrss``) is that solve's alone, and prints one line per case.
In the same run and on the same game file it solves each case with the solvers of a baseline
git revision (default ``main``, exported with ``git archive``), and prints both timings, the
speed-up and the largest difference between the two solutions' ratings.

The games are drawn directly as payoff tensors: each prompt belongs to a topic, each topic has
a specialist that is strong there and weak elsewhere, so no model wins on every prompt and the
equilibria are mixed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ratings.core.equilibrium.game import blocks
from ratings.core.equilibrium.winprob import WinProbabilities

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


#: Solves one case in a fresh interpreter, with whichever ``ratings`` package its working
#: directory holds, and prints its figures as JSON: the same driver times the working tree and
#: the baseline, on the same game file.
DRIVER = """
import json, resource, sys, time
import numpy as np
import ratings.core
from ratings.core.equilibrium.winprob import WinProbabilities
method, path, SUPPORT_MASS = sys.argv[1], sys.argv[2], float(sys.argv[3])
if method == "ne":
    from ratings.core.equilibrium.ne import equilibrium_ne as solve
else:
    from ratings.core.equilibrium.cce import equilibrium_cce as solve
payoff = np.load(path)
m, n_p = payoff.shape[1], payoff.shape[0]
game = WinProbabilities(
    names=tuple(f"model-{i}" for i in range(m)),
    prompt_names=tuple(f"prompt-{p}" for p in range(n_p)),
    payoff=payoff, alpha=0.0, prior="half", n_votes=np.zeros(m), prompt_votes=np.zeros(n_p),
)
def peak_kb():
    # VmHWM belongs to this program's own address space; ru_maxrss can carry the peak of the
    # process that started this one
    try:
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
before = peak_kb()
wall, cpu = time.perf_counter(), time.process_time()
result = solve(game)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
peak = peak_kb()
print(json.dumps({
    "core": ratings.core.__file__,
    "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
    "peak_memory_mb": round(peak / 1024, 1), "memory_before_solve_mb": round(before / 1024, 1),
    "residual": result.residual, "converged": bool(result.converged), "n_iter": result.n_iter,
    "model_support": int(np.sum(result.marginals > SUPPORT_MASS)),
    "prompt_support": int(np.sum(result.prompt_marginals > SUPPORT_MASS)),
    "ratings": result.ratings.tolist(), "prompt_ratings": result.prompt_ratings.tolist(),
}))
"""


def export_baseline(ref: str, into: Path) -> Path | None:
    """Write the ``ratings`` core of git revision ``ref`` under ``into``; None if not possible."""
    root = Path(__file__).resolve().parent.parent
    try:
        archive = subprocess.run(  # noqa: S603 - fixed git arguments, ref checked by git
            [  # noqa: S607 - git from PATH, as a developer runs it
                "git",
                "-C",
                str(root),
                "archive",
                "--format=tar",
                ref,
                "ratings/__init__.py",
                "ratings/core",
            ],
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def solve_in_subprocess(method: str, game_file: Path, root: Path) -> dict[str, Any]:
    """Run :data:`DRIVER` on ``game_file`` with the ``ratings`` package under ``root``."""
    env = dict(
        os.environ,
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONPATH=str(root),
    )
    argv = [sys.executable, "-c", DRIVER, method, str(game_file), repr(SUPPORT_MASS)]
    try:
        out = subprocess.run(  # noqa: S603 - our own driver, fixed arguments
            argv, capture_output=True, text=True, check=True, env=env, timeout=TIMEOUT, cwd=root
        )
    except subprocess.TimeoutExpired:
        return {"timed_out": TIMEOUT}
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def run(baseline: str | None = "main", repeat: int = 1) -> dict[str, Any]:
    """Time every case, with the working tree and with git revision ``baseline`` alternately.

    Each solve runs in a fresh subprocess (so the peak resident memory is that solve's alone)
    on the same game file; with ``repeat > 1`` the best wall time of each side is kept. The
    load average is printed with each case, since the machine may be shared.
    """
    figures = []
    current = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="bench-equilibrium-") as tmp:
        base_root = None
        if baseline:
            base_root = export_baseline(baseline, Path(tmp) / "baseline")
            if base_root is None:
                print(f"baseline {baseline!r} not found by git; timing this tree only")
        for kind, n_items, n_prompts in CASES:
            game_file = Path(tmp) / f"{kind}-{n_items}-{n_prompts}.npy"
            np.save(game_file, synthetic_game(n_items, n_prompts, kind=kind).payoff)
            for method in METHODS:
                row = _timed_case(method, game_file, current, base_root, repeat)
                row.update(method=method, game=kind, n_items=n_items, n_prompts=n_prompts)
                figures.append(row)
                print(_line(row, baseline), flush=True)
            game_file.unlink()
    return {"cases": figures, "blas_threads": 1, "baseline": baseline}


def _timed_case(
    method: str, game_file: Path, current: Path, base_root: Path | None, repeat: int
) -> dict[str, Any]:
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    load = os.getloadavg()[0]
    for _ in range(max(1, repeat)):
        if base_root is not None:
            theirs.append(solve_in_subprocess(method, game_file, base_root))
        ours.append(solve_in_subprocess(method, game_file, current))
    row = _best(ours)
    row["load_average"] = round(load, 2)
    if theirs:
        base = _best(theirs)
        row["baseline"] = {k: v for k, v in base.items() if k not in ("ratings", "prompt_ratings")}
        if "timed_out" not in row and "timed_out" not in base:
            row["max_rating_difference"] = max(
                float(np.max(np.abs(np.subtract(row[k], base[k]))))
                for k in ("ratings", "prompt_ratings")
            )
    row.pop("ratings", None)
    row.pop("prompt_ratings", None)
    return row


def _best(rows: list[dict[str, Any]]) -> dict[str, Any]:
    done = [r for r in rows if "timed_out" not in r]
    return dict(min(done, key=lambda r: r["seconds"])) if done else dict(rows[0])


def _line(row: dict[str, Any], baseline: str | None) -> str:
    head = (
        f"equilibrium-{row['method']:<3} {row['game']:<6} {row['n_items']:>4} models x "
        f"{row['n_prompts']:>5} prompts: "
    )
    if "timed_out" in row:
        return head + f"did not finish within {row['timed_out']:.0f} s"
    target = TARGETS.get((row["method"], row["n_items"], row["n_prompts"]))
    line = head + (
        f"{row['seconds']:7.2f} s wall, {row['cpu_seconds']:7.2f} s CPU, "
        f"peak {row['peak_memory_mb']:7.1f} MB, residual {row['residual']:.1e}, "
        f"support {row['model_support']} models / {row['prompt_support']} prompts, "
        f"converged {row['converged']}, load {row['load_average']:.1f}"
    )
    if target:
        line += f" (target {target:.0f} s: {'met' if row['seconds'] <= target else 'NOT met'})"
    base = row.get("baseline")
    if base is not None and "timed_out" in base:
        line += f"\n    baseline {baseline}: did not finish within {base['timed_out']:.0f} s"
    elif base is not None:
        line += (
            f"\n    baseline {baseline}: {base['seconds']:7.2f} s wall, "
            f"{base['cpu_seconds']:7.2f} s CPU, peak {base['peak_memory_mb']:7.1f} MB; "
            f"speed-up {base['seconds'] / max(row['seconds'], 1e-9):.1f}x wall, "
            f"{base['cpu_seconds'] / max(row['cpu_seconds'], 1e-9):.1f}x CPU; "
            f"ratings differ by at most {row.get('max_rating_difference', float('nan')):.1e}"
        )
    return line


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``[--baseline REF] [--repeat N]``; prints one line per case."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--baseline",
        default="main",
        help="git revision to time beside the working tree, in the same run ('' for none)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="solves per side; best kept")
    args = parser.parse_args(argv)
    run(args.baseline or None, args.repeat)


if __name__ == "__main__":
    main()
