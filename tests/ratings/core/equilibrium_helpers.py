"""Independent building blocks for the equilibrium tests: votes, copies, dense game checks.

The checks here work on the full dense three-player payoff tensor with generic einsums, not
on the symmetric reductions the solvers use, so they test the solvers rather than repeat them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ratings.core.types import Comparisons, Outcome

FloatArray = NDArray[np.float64]


def synthetic_votes(
    rng: np.random.Generator, n_prompts: int, n_items: int, n_votes: int, n_topics: int = 3
) -> Comparisons:
    """Votes from specialists: each model's strength depends on the prompt's topic."""
    topic = np.arange(n_prompts) % n_topics
    strength = rng.normal(scale=0.5, size=(n_topics, n_items))
    # one specialist a topic, strong there and weak elsewhere: no model wins everywhere
    special = np.arange(n_topics) % n_items
    strength[:, special] -= 1.0
    strength[np.arange(n_topics), special] += 3.5
    prompt = rng.integers(0, n_prompts, size=n_votes)
    a = rng.integers(0, n_items, size=n_votes)
    b = (a + rng.integers(1, n_items, size=n_votes)) % n_items
    diff = strength[topic[prompt], a] - strength[topic[prompt], b]
    u = rng.random(n_votes)
    p_a = 1.0 / (1.0 + np.exp(-diff))
    outcome = np.where(u < 0.9 * p_a, Outcome.A, np.where(u < 0.9, Outcome.B, Outcome.TIE))
    return Comparisons(
        names=tuple(f"model-{i}" for i in range(n_items)),
        a=a.astype(np.intp),
        b=b.astype(np.intp),
        outcome=outcome.astype(np.int8),
        weight=np.ones(n_votes),
        prompt=prompt.astype(np.intp),
        prompt_names=tuple(f"prompt-{p}" for p in range(n_prompts)),
    )


def duplicate_model(c: Comparisons, item: int, times: int) -> Comparisons:
    """Add ``times`` copies of model ``item``: its votes repeated under new names."""
    names = list(c.names)
    a, b, o, w, p = [c.a], [c.b], [c.outcome], [c.weight], [c.prompt]
    rows = (c.a == item) | (c.b == item)
    for t in range(times):
        new = len(names)
        names.append(f"{c.names[item]} (copy {t + 1})")
        a.append(np.where(c.a[rows] == item, new, c.a[rows]))
        b.append(np.where(c.b[rows] == item, new, c.b[rows]))
        o.append(c.outcome[rows])
        w.append(c.weight[rows])
        p.append(c.prompt[rows])  # type: ignore[index]
    return Comparisons(
        names=tuple(names),
        a=np.concatenate(a),
        b=np.concatenate(b),
        outcome=np.concatenate(o),
        weight=np.concatenate(w),
        prompt=np.concatenate(p),
        prompt_names=c.prompt_names,
    )


def duplicate_prompt(c: Comparisons, prompt: int, times: int) -> Comparisons:
    """Add ``times`` copies of prompt group ``prompt``: its votes repeated under new ids."""
    assert c.prompt is not None
    rows = c.prompt == prompt
    prompt_names = list(c.prompt_names)
    a, b, o, w, p = [c.a], [c.b], [c.outcome], [c.weight], [c.prompt]
    for t in range(times):
        new = len(prompt_names)
        prompt_names.append(f"{c.prompt_names[prompt]} (copy {t + 1})")
        a.append(c.a[rows])
        b.append(c.b[rows])
        o.append(c.outcome[rows])
        w.append(c.weight[rows])
        p.append(np.full(int(rows.sum()), new, dtype=np.intp))
    return Comparisons(
        names=c.names,
        a=np.concatenate(a),
        b=np.concatenate(b),
        outcome=np.concatenate(o),
        weight=np.concatenate(w),
        prompt=np.concatenate(p),
        prompt_names=tuple(prompt_names),
    )


def dense_payoffs(payoff: NDArray[np.floating]) -> FloatArray:
    """``u[i, p, k, r]`` for the prompt (|A|), king (A) and rebel (-A) players."""
    a = np.asarray(payoff, dtype=np.float64)
    return np.stack([np.abs(a), a, -a])


def product(*marginals: FloatArray) -> FloatArray:
    """The product distribution of three marginals."""
    x, y, z = marginals
    return np.asarray(np.einsum("p,k,r->pkr", x, y, z), dtype=np.float64)


def deviation_gains(u: FloatArray, joint: FloatArray) -> list[FloatArray]:
    """For each player and each of its actions ``a'``: ``E_sigma[u_i(a', a_-i) - u_i(a)]``.

    At a product distribution these are the Nash ratings; at a joint one the CCE ratings.
    """
    gains = []
    for i, spec in enumerate(("qkr,pkr->q", "pqr,pkr->q", "pkq,pkr->q")):
        deviate = np.einsum(spec, u[i], joint)
        gains.append(deviate - float(np.sum(u[i] * joint)))
    return gains


def nash_conv(payoff: NDArray[np.floating], z: FloatArray, x: FloatArray) -> float:
    """Sum over the three players of the best deviation gain at ``(z, x, x)``."""
    gains = deviation_gains(dense_payoffs(payoff), product(z, x, x))
    return float(sum(g.max() for g in gains))


def restrict(c: Comparisons, keep: set[str]) -> Comparisons:
    """The votes among the models in ``keep``, re-indexed over just those models."""
    index = {name: i for i, name in enumerate(n for n in c.names if n in keep)}
    old_to_new = np.array([index.get(n, -1) for n in c.names])
    rows = (old_to_new[c.a] >= 0) & (old_to_new[c.b] >= 0)
    return Comparisons(
        names=tuple(index),
        a=old_to_new[c.a[rows]],
        b=old_to_new[c.b[rows]],
        outcome=c.outcome[rows],
        weight=c.weight[rows],
        prompt=None if c.prompt is None else c.prompt[rows],
        prompt_names=c.prompt_names,
    )
