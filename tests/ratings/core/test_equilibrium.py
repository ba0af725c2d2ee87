"""NE and CCE of the prompt-versus-models game: equilibrium inequalities and their ratings."""

from __future__ import annotations

import numpy as np
import pytest

from ratings.core import WinProbabilities, equilibrium_cce, equilibrium_ne, win_probabilities
from ratings.core.equilibrium.cce import cce_joint
from tests.ratings.core.equilibrium_helpers import (
    dense_payoffs,
    deviation_gains,
    nash_conv,
    product,
    synthetic_votes,
)

TOL = 1e-6


def _game(seed: int, n_prompts: int, n_items: int, n_votes: int = 3_000) -> WinProbabilities:
    rng = np.random.default_rng(seed)
    return win_probabilities(synthetic_votes(rng, n_prompts, n_items, n_votes), alpha=1.0)


def _payoff_game(a: np.ndarray) -> WinProbabilities:
    n_p, m, _ = a.shape
    return WinProbabilities(
        names=tuple(f"m{i}" for i in range(m)),
        prompt_names=tuple(f"p{i}" for i in range(n_p)),
        payoff=a,
        alpha=0.0,
        prior="half",
        n_votes=np.ones(m),
        prompt_votes=np.ones(n_p),
    )


GAMES = [(0, 5, 8), (1, 12, 6), (2, 3, 15), (3, 20, 20)]


@pytest.mark.parametrize(("seed", "n_prompts", "n_items"), GAMES)
def test_ne_is_a_nash_equilibrium(seed: int, n_prompts: int, n_items: int) -> None:
    game = _game(seed, n_prompts, n_items)
    res = equilibrium_ne(game)
    assert res.converged
    assert res.residual < 1e-7
    # recomputed on the dense three-player game, king and rebel both playing x
    assert nash_conv(game.payoff, res.prompt_marginals, res.marginals) < 1e-7
    gains = deviation_gains(
        dense_payoffs(game.payoff), product(res.prompt_marginals, res.marginals, res.marginals)
    )
    assert np.allclose(gains[0], res.prompt_ratings, atol=1e-12)
    assert np.allclose(gains[1], res.ratings, atol=1e-12)
    assert np.allclose(gains[2], res.ratings, atol=1e-12)  # the rebel's ratings are the king's
    assert res.ratings.max() <= TOL
    assert res.prompt_ratings.max() <= TOL
    assert np.isclose(res.marginals.sum(), 1)
    assert res.marginals.min() >= 0
    assert np.allclose(res.contributions.sum(axis=0), res.ratings, atol=1e-12)


@pytest.mark.parametrize(("seed", "n_prompts", "n_items"), GAMES)
def test_cce_satisfies_the_cce_inequalities(seed: int, n_prompts: int, n_items: int) -> None:
    game = _game(seed, n_prompts, n_items)
    res = equilibrium_cce(game)
    assert res.converged
    assert res.dual is not None
    joint = cce_joint(game.payoff, res.reference, res.dual)
    gains = deviation_gains(dense_payoffs(game.payoff), joint)
    assert max(float(g.max()) for g in gains) <= TOL
    assert np.allclose(gains[0], res.prompt_ratings, atol=1e-9)
    assert np.allclose(gains[1], res.ratings, atol=1e-9)
    assert np.allclose(gains[2], res.ratings, atol=1e-9)
    assert np.allclose(joint.sum(axis=(0, 2)), res.marginals, atol=1e-9)
    assert np.allclose(joint.sum(axis=(1, 2)), res.prompt_marginals, atol=1e-9)
    assert res.residual <= TOL
    assert np.allclose(res.contributions.sum(axis=0), res.ratings, atol=1e-9)


def test_model_best_on_the_prompt_mix_ne_is_pure_and_prompts_rate_zero_but_cce_keeps_them() -> None:
    n_prompts, n_items = 6, 5
    strength = np.zeros((n_prompts, n_items))
    strength[:, 2] = 1.0  # model 2 is best on average ...
    for p in range(n_prompts):
        strength[p, [0, 1, 3, 4][p % 4]] = 1.6  # ... but each prompt has a specialist
    a = np.tanh(strength[:, :, None] - strength[:, None, :])
    assert np.all(np.delete(a.mean(axis=0)[2], 2) > 0)  # model 2 beats all on the uniform mix
    game = _payoff_game(a)
    ne = equilibrium_ne(game)
    assert ne.marginals[2] == pytest.approx(1.0)
    assert np.allclose(ne.prompt_ratings, 0.0, atol=1e-12)
    assert ne.ratings[2] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.delete(ne.ratings, 2) < -0.05)
    cce = equilibrium_cce(game)
    assert cce.prompt_ratings.min() < -1e-3  # the CCE still tells prompts apart
    assert cce.prompt_ratings.max() <= TOL


def test_contributions_split_the_rating_by_prompt() -> None:
    game = _game(5, 4, 6)
    res = equilibrium_ne(game)
    a = game.payoff
    x, z = res.marginals, res.prompt_marginals
    for p in range(game.n_prompts):
        assert np.allclose(res.contributions[p], z[p] * (a[p] @ x - x @ a[p] @ x))


def test_parameters_are_recorded() -> None:
    game = win_probabilities(
        synthetic_votes(np.random.default_rng(6), 3, 4, 200), alpha=2.5, prior="bt"
    )
    for res in (equilibrium_ne(game), equilibrium_cce(game)):
        params = dict(res.params)
        assert params["alpha"] == 2.5
        assert params["prior"] == "bt"
        assert params["reference"] == "affinity"


def test_unknown_reference_raises() -> None:
    with pytest.raises(ValueError, match="reference"):
        equilibrium_ne(_game(0, 2, 3, 50), reference="flat")  # type: ignore[arg-type]
