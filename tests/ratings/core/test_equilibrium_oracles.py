"""The solvers against independent ones on small games (<= 6 prompts x 30 models, and reverse).

- CCE: the dense, unsymmetrised dual (one multiplier per player and deviation, king and rebel
  apart) solved by SLSQP, plus the weak-duality certificate KL(sigma || rho) = -log Z(mu).
- CE: the inequalities checked pair by pair, and polarix's ``ce_maxent`` with our reference
  as target (it stops at a CE gap near 1e-5 with a small L1 pull on its duals, hence 5e-4).
- NE: polarix (the method authors' JAX library, dev-only extra): its fixed-temperature logit
  equilibrium (with our reference as target logits) must be the point our continuation passes
  through, and its exploitability of our NE must vanish.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

from ratings.core import (
    WinProbabilities,
    equilibrium_cce,
    equilibrium_ce,
    equilibrium_ne,
    win_probabilities,
)
from ratings.core.equilibrium.cce import cce_joint
from ratings.core.equilibrium.ce import ce_joint
from ratings.core.equilibrium.ne import logit_equilibrium
from tests.ratings.core.equilibrium_helpers import (
    dense_payoffs,
    deviation_gains,
    product,
    synthetic_votes,
)

SHAPES = [(6, 30), (30, 6), (4, 8)]


def _game(n_prompts: int, n_items: int, seed: int = 0) -> WinProbabilities:
    c = synthetic_votes(np.random.default_rng(seed), n_prompts, n_items, 40 * n_prompts * n_items)
    return win_probabilities(c, alpha=1.0)


def _gain_matrix(payoff: np.ndarray) -> np.ndarray:
    """Rows: (player, deviation a'); columns: pure profiles a; entries u_i(a) - u_i(a', a_-i)."""
    u = dense_payoffs(payoff)
    n_p, m, _ = payoff.shape
    prompt = np.stack([u[0] - u[0][q][None] for q in range(n_p)])
    king = np.stack([u[1] - u[1][:, k][:, None, :] for k in range(m)])
    rebel = np.stack([u[2] - u[2][:, :, r][:, :, None] for r in range(m)])
    return np.concatenate([prompt, king, rebel]).reshape(n_p + 2 * m, -1)


@pytest.mark.parametrize(("n_prompts", "n_items"), SHAPES)
def test_cce_matches_an_independent_dense_dual_solve(n_prompts: int, n_items: int) -> None:
    game = _game(n_prompts, n_items)
    ours = equilibrium_cce(game, tol=1e-9)
    assert ours.dual is not None
    gains = _gain_matrix(game.payoff)
    tau_p, tau_m = ours.reference.prompts.marginals, ours.reference.models.marginals
    log_rho = np.log(product(tau_p, tau_m, tau_m)).ravel()

    def dual(mu: np.ndarray) -> tuple[float, np.ndarray]:
        logits = log_rho + mu @ gains
        log_z = float(logsumexp(logits))
        return log_z, gains @ np.exp(logits - log_z)

    res = minimize(
        dual,
        np.zeros(gains.shape[0]),
        jac=True,
        method="SLSQP",
        bounds=[(0, None)] * gains.shape[0],
        options={"ftol": 1e-15, "maxiter": 2_000},
    )
    assert res.success, res.message
    theirs = np.exp(log_rho + res.x @ gains - logsumexp(log_rho + res.x @ gains))
    theirs = theirs.reshape(game.payoff.shape)
    mine = cce_joint(game.payoff, ours.reference, ours.dual)
    their_gains = deviation_gains(dense_payoffs(game.payoff), theirs)
    assert np.allclose(their_gains[1], ours.ratings, atol=1e-5)
    assert np.allclose(their_gains[0], ours.prompt_ratings, atol=1e-5)
    # weak duality: KL(sigma || rho) >= -log Z(mu) for every CCE sigma and mu >= 0, with
    # equality only at the optimum; ours is a CCE (to 1e-9) whose KL meets the bound
    kl = float(np.sum(mine * (np.log(mine).ravel() - log_rho).reshape(mine.shape)))
    assert max(float(g.max()) for g in deviation_gains(dense_payoffs(game.payoff), mine)) < 1e-8
    assert kl == pytest.approx(-res.fun, abs=1e-7)
    assert kl == pytest.approx(dict(ours.params)["kl_to_reference"], abs=1e-9)


def _polarix_game(payoff: np.ndarray):  # type: ignore[no-untyped-def]
    plx = pytest.importorskip(
        "polarix",
        reason="polarix (dev-only 'oracles' extra) is not installed: pip install -e '.[oracles]'",
    )
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    n_p, m, _ = payoff.shape
    return plx, plx.Game(
        payoffs=jnp.asarray(dense_payoffs(payoff)),
        actions=(np.arange(n_p), np.arange(m), np.arange(m)),
        players=("prompt", "king", "rebel"),
    )


@pytest.mark.parametrize(("n_prompts", "n_items"), SHAPES[:2])
def test_logit_equilibrium_matches_polarix_at_fixed_temperature(
    n_prompts: int, n_items: int
) -> None:
    game = _game(n_prompts, n_items, seed=1)
    temperature = 0.2
    ours = logit_equilibrium(game, 1.0 / temperature)
    assert ours.converged
    plx, pgame = _polarix_game(game.payoff)
    import jax.numpy as jnp
    import optax

    targets = [
        jnp.log(ours.reference.prompts.marginals),
        jnp.log(ours.reference.models.marginals),
        jnp.log(ours.reference.models.marginals),
    ]
    solver = functools.partial(
        plx.lle,
        target_logits=targets,
        init_temperature=temperature,
        min_temperature=temperature,
        anneal_rate=1.0,
        optim=optax.adam(5e-2),
    )
    theirs = plx.solve(pgame, solver, max_num_iterations=6_000, disable_progress_bar=True)
    assert np.allclose(np.asarray(theirs.marginals[1]), ours.marginals, atol=2e-4)
    assert np.allclose(np.asarray(theirs.marginals[2]), ours.marginals, atol=2e-4)
    assert np.allclose(np.asarray(theirs.marginals[0]), ours.prompt_marginals, atol=2e-4)


@pytest.mark.parametrize(("n_prompts", "n_items"), SHAPES)
def test_polarix_finds_no_profitable_deviation_from_our_ne(n_prompts: int, n_items: int) -> None:
    game = _game(n_prompts, n_items, seed=2)
    ours = equilibrium_ne(game)
    plx, pgame = _polarix_game(game.payoff)
    import jax.numpy as jnp

    logits = [
        jnp.log(jnp.asarray(m)) for m in (ours.prompt_marginals, ours.marginals, ours.marginals)
    ]
    ratings = [np.asarray(plx.marginal_payoffs(i, pgame.payoffs, logits)) for i in range(3)]
    values = [
        float(r @ m)
        for r, m in zip(
            ratings, (ours.prompt_marginals, ours.marginals, ours.marginals), strict=True
        )
    ]
    exploitability = sum(float(r.max()) - v for r, v in zip(ratings, values, strict=True))
    assert exploitability < 1e-7
    assert np.allclose(ratings[1] - values[1], ours.ratings, atol=1e-6)
    assert np.allclose(ratings[0] - values[0], ours.prompt_ratings, atol=1e-6)


@pytest.mark.parametrize(("n_prompts", "n_items"), SHAPES[:2])
def test_ce_matches_polarix(n_prompts: int, n_items: int) -> None:
    game = _game(n_prompts, n_items, seed=0)
    ours = equilibrium_ce(game)
    assert ours.converged
    plx, pgame = _polarix_game(game.payoff)
    import jax.numpy as jnp

    ref = ours.reference
    rho = np.einsum("p,k,r->pkr", ref.prompts.marginals, ref.models.marginals, ref.models.marginals)
    solver = functools.partial(plx.ce_maxent, target_logit=jnp.log(jnp.asarray(rho)))
    theirs = plx.solve(pgame, solver, max_num_iterations=20_000, disable_progress_bar=True)
    assert theirs.is_terminal()
    assert np.allclose(np.asarray(theirs.ratings[1]), ours.ratings, atol=5e-4)
    assert np.allclose(np.asarray(theirs.ratings[2]), ours.ratings, atol=5e-4)
    assert np.allclose(np.asarray(theirs.ratings[0]), ours.prompt_ratings, atol=5e-4)


def test_ce_inequalities_hold_pair_by_pair() -> None:
    game = _game(4, 5, seed=4)
    res = equilibrium_ce(game)
    assert res.converged
    assert res.dual is not None
    sigma = ce_joint(game.payoff, res.reference, res.dual)
    u = dense_payoffs(game.payoff)
    for i in range(3):
        ui, si = np.moveaxis(u[i], i, 0), np.moveaxis(sigma, i, 0)
        for a in range(ui.shape[0]):
            for b in range(ui.shape[0]):
                assert float(np.sum(si[a] * (ui[b] - ui[a]))) <= 1e-7
    gains = deviation_gains(u, sigma)
    assert np.allclose(gains[1], res.ratings, atol=1e-12)
    assert np.allclose(gains[0], res.prompt_ratings, atol=1e-12)
