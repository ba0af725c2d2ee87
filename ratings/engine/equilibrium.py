"""Command-line glue for the game-theoretic methods: ``nash``, ``equilibrium-ne``, ``-cce``.

``ratings/cli.py`` adds these options with :func:`add_arguments`, reads the votes with
``prompt_field=args.prompt_axis`` and calls :func:`rate`, which returns the shared output
object of :mod:`ratings.engine.report` plus ``"prompts"`` (name, rating, mass), ``"residual"``,
``"converged"`` and the copy groups the reference found.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np

from ratings.core.equilibrium.cce import equilibrium_cce
from ratings.core.equilibrium.game import EquilibriumResult
from ratings.core.equilibrium.nash import SELECTIONS, Selection, nash_average
from ratings.core.equilibrium.ne import equilibrium_ne
from ratings.core.equilibrium.winprob import PRIORS, Prior, logit_win_matrix, win_probabilities
from ratings.core.types import Comparisons, FloatArray, IntArray
from ratings.engine.report import competitor_rows, rating_report, votes_per_competitor

METHODS = ("nash", "equilibrium-ne", "equilibrium-cce")
DEFAULT_ALPHA = 1.0
_NASH_ZERO = 1e-9


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--prompt-axis``, ``--alpha``, ``--prior`` and ``--selection`` to a parser."""
    group = parser.add_argument_group("equilibrium and Nash-averaging options")
    group.add_argument(
        "--prompt-axis",
        default="question_id",
        metavar="FIELD",
        help="vote field that groups votes into the prompt player's actions: a prompt id, a "
        "category or a cluster (default: question_id)",
    )
    group.add_argument(
        "--alpha",
        type=float,
        default=DEFAULT_ALPHA,
        metavar="A",
        help="pseudo-count toward the prior win probability (default: 1)",
    )
    group.add_argument(
        "--prior",
        choices=PRIORS,
        default="half",
        help="prior win probability: 1/2 (keeps copy invariance exact) or the prompt-agnostic "
        "Bradley-Terry prediction (default: half)",
    )
    group.add_argument(
        "--selection",
        choices=SELECTIONS,
        default="affinity",
        help="nash only: maximum affinity entropy (copy-proof) or maximum Shannon entropy",
    )


def rate(method: str, comparisons: Comparisons, args: argparse.Namespace) -> dict[str, Any]:
    """Run one of :data:`METHODS` and return the whole output object.

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`METHODS`.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    alpha = float(getattr(args, "alpha", DEFAULT_ALPHA))
    prior: Prior = "bt" if getattr(args, "prior", "half") == "bt" else "half"
    n_votes = votes_per_competitor(
        comparisons.n_items, comparisons.a, comparisons.b, comparisons.weight
    )
    if method == "nash":
        return _nash(comparisons, alpha, prior, getattr(args, "selection", "affinity"), n_votes)
    game = win_probabilities(comparisons, alpha=alpha, prior=prior)
    solve = equilibrium_ne if method == "equilibrium-ne" else equilibrium_cce
    result = solve(game)
    snap = float(str(dict(result.params)["tol"]))
    params = {
        "prompt_axis": getattr(args, "prompt_axis", "question_id"),
        "n_prompts": game.n_prompts,
        **dict(result.params),
        "units": "expected win-rate margin 2W - 1 against the equilibrium",
        "zero_within": snap,
    }
    return rating_report(
        method,
        params,
        comparisons.n_comparisons,
        _rows(result.names, _snap(result.ratings, snap), result.marginals, n_votes),
        prompts=_prompt_rows(result, snap),
        residual=result.residual,
        converged=result.converged,
        copy_groups={
            "models": _groups(result.names, result.reference.models.groups),
            "prompts": _groups(result.prompt_names, result.reference.prompts.groups),
        },
    )


def _nash(
    comparisons: Comparisons, alpha: float, prior: Prior, selection: str, n_votes: FloatArray
) -> dict[str, Any]:
    logits = logit_win_matrix(comparisons, alpha=alpha, prior=prior)
    chosen: Selection = "shannon" if selection == "shannon" else "affinity"
    result = nash_average(logits, comparisons.names, selection=chosen)
    params = {
        "alpha": alpha,
        "prior": prior,
        "selection": result.selection,
        "units": "natural-log odds against the equilibrium",
        "zero_within": _NASH_ZERO,
    }
    return rating_report(
        "nash",
        params,
        comparisons.n_comparisons,
        _rows(result.names, _snap(result.ratings, _NASH_ZERO), result.marginals, n_votes),
        prompts=[],
        residual=result.residual,
        converged=result.converged,
        copy_groups={"models": _groups(result.names, result.groups), "prompts": []},
    )


def _rows(
    names: Sequence[str], ratings: FloatArray, mass: FloatArray, n_votes: FloatArray
) -> list[dict[str, Any]]:
    rows = competitor_rows(names, ratings, n_votes=n_votes, tiebreak=mass)
    index = {name: i for i, name in enumerate(names)}
    for row in rows:
        row["mass"] = float(mass[index[row["name"]]])
    return rows


def _snap(ratings: FloatArray, zero_within: float) -> FloatArray:
    """Ratings within the solver tolerance of 0 are 0, so ties are broken by mass, not noise."""
    return np.where(np.abs(ratings) <= zero_within, 0.0, ratings)


def _prompt_rows(result: EquilibriumResult, zero_within: float) -> list[dict[str, Any]]:
    ratings = _snap(result.prompt_ratings, zero_within)
    order = sorted(
        range(len(result.prompt_names)),
        key=lambda p: (-ratings[p], -result.prompt_marginals[p], result.prompt_names[p]),
    )
    return [
        {
            "name": result.prompt_names[p],
            "rating": float(ratings[p]),
            "mass": float(result.prompt_marginals[p]),
        }
        for p in order
    ]


def _groups(names: Sequence[str], labels: IntArray) -> list[list[str]]:
    """The copy groups with more than one member, as lists of names."""
    sizes = np.bincount(labels) if labels.size else np.zeros(0, dtype=np.intp)
    return [[names[i] for i in np.flatnonzero(labels == g)] for g in np.flatnonzero(sizes > 1)]
