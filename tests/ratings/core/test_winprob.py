"""The win-probability tensor: posterior means toward the prior, prompt axis, symmetry."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from ratings.core import Comparisons, Outcome, logit_win_matrix, win_probabilities
from ratings.core.equilibrium.winprob import _bradley_terry_scores, prior_payoff
from tests.ratings.core.equilibrium_helpers import synthetic_votes


def _votes() -> Comparisons:
    """Prompt q0: m0 beats m1 twice and ties m2; q1: m2 beats m0 (weight 3), m1-m2 both bad."""
    return Comparisons(
        names=("m0", "m1", "m2"),
        a=np.array([0, 1, 0, 2, 1]),
        b=np.array([1, 0, 2, 0, 2]),
        outcome=np.array(
            [Outcome.A, Outcome.B, Outcome.TIE, Outcome.A, Outcome.BOTH_BAD], dtype=np.int8
        ),
        weight=np.array([1.0, 1.0, 1.0, 3.0, 1.0]),
        prompt=np.array([0, 0, 0, 1, 1]),
        prompt_names=("q0", "q1"),
    )


def test_posterior_mean_matches_hand_count() -> None:
    game = win_probabilities(_votes(), alpha=2.0, prior="half")
    w = game.win
    # W = (wins plus alpha halves) over (games plus alpha)
    assert w[0, 0, 1] == pytest.approx((2 + 1) / (2 + 2))
    assert w[0, 0, 2] == pytest.approx((0.5 + 1) / (1 + 2))
    assert w[0, 1, 2] == pytest.approx(0.5)  # no votes: the prior
    assert w[1, 2, 0] == pytest.approx((3 + 1) / (3 + 2))
    assert w[1, 1, 2] == pytest.approx((0.5 + 1) / (1 + 2))
    assert game.prompt_names == ("q0", "q1")
    assert game.alpha == 2.0
    assert game.prior == "half"


def test_tensor_is_a_win_probability() -> None:
    c = synthetic_votes(np.random.default_rng(0), 7, 9, 800)
    game = win_probabilities(c, alpha=0.5, prior="bt")
    a = game.payoff
    assert np.array_equal(a, -a.transpose(0, 2, 1))  # exactly antisymmetric
    assert np.all(np.abs(a) <= 1.0)
    w = game.win
    assert np.allclose(w + w.transpose(0, 2, 1), 1.0)
    assert np.allclose(np.diagonal(w, axis1=1, axis2=2), 0.5)


def test_empty_cells_take_the_prior_when_alpha_is_zero() -> None:
    c = _votes()
    game = win_probabilities(c, alpha=0.0, prior="bt")
    theta = _bradley_terry_scores(c)
    assert game.win[0, 1, 2] == pytest.approx(expit(theta[1] - theta[2]))
    assert game.win[0, 0, 1] == pytest.approx(1.0)  # observed cells are the raw frequency


def test_bradley_terry_prior_solves_the_score_equations() -> None:
    c = synthetic_votes(np.random.default_rng(1), 3, 6, 600)
    theta = _bradley_terry_scores(c, l2=1e-4)
    s = c.score_a()
    wins = np.zeros((6, 6))
    np.add.at(wins, (c.a, c.b), s)
    np.add.at(wins, (c.b, c.a), 1 - s)
    games = wins + wins.T
    expected = (games * expit(theta[:, None] - theta[None, :])).sum(axis=1)
    assert np.allclose(wins.sum(axis=1), expected + 1e-4 * theta, atol=1e-6)
    prior = prior_payoff(c, "bt")
    assert np.allclose(prior, 2 * expit(theta[:, None] - theta[None, :]) - 1)


def test_without_prompt_axis_votes_pool_into_one_group() -> None:
    game = win_probabilities(_votes(), alpha=1.0, prompt_axis=False)
    assert game.prompt_names == ("all",)
    assert game.win[0, 2, 0] == pytest.approx((3 + 0.5 + 0.5) / (4 + 1))


def test_logit_matrix_is_logit_of_pooled_win_probability() -> None:
    c = _votes()
    logits = logit_win_matrix(c, alpha=1.0)
    w = win_probabilities(c, alpha=1.0, prompt_axis=False).win[0]
    off = ~np.eye(3, dtype=bool)
    assert np.allclose(logits[off], np.log(w / (1 - w))[off])
    assert np.array_equal(logits, -logits.T)


def test_float32_storage() -> None:
    game = win_probabilities(_votes(), dtype=np.float32)
    assert game.payoff.dtype == np.float32


@pytest.mark.parametrize(("alpha", "prior"), [(-1.0, "half"), (1.0, "uniform")])
def test_bad_parameters_raise(alpha: float, prior: str) -> None:
    with pytest.raises(ValueError, match=r"alpha|prior"):
        win_probabilities(_votes(), alpha=alpha, prior=prior)  # type: ignore[arg-type]
