"""The game-theoretic methods: ``nash``, ``equilibrium-ne`` and ``equilibrium-cce``.

:func:`rate_equilibrium` and :func:`rate_nash` return the shared output object of
:mod:`ratings.engine.report` plus ``"prompts"`` (name, rating, mass), ``"residual"``,
``"converged"`` and the copy groups the reference found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ratings.core.equilibrium.cce import equilibrium_cce
from ratings.core.equilibrium.game import EquilibriumResult
from ratings.core.equilibrium.nash import nash_average
from ratings.core.equilibrium.ne import equilibrium_ne
from ratings.core.equilibrium.winprob import logit_win_matrix, win_probabilities
from ratings.core.types import Comparisons, FloatArray, IntArray
from ratings.engine.options import EquilibriumOptions, NashOptions
from ratings.engine.report import competitor_rows, rating_report, votes_per_competitor

EQUILIBRIUM_METHODS = ("equilibrium-ne", "equilibrium-cce")
_NASH_ZERO = 1e-9


def rate_equilibrium(
    method: str, comparisons: Comparisons, options: EquilibriumOptions
) -> dict[str, Any]:
    """Solve the prompt-versus-models game of ``comparisons`` and report it.

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`EQUILIBRIUM_METHODS`.
    """
    if method not in EQUILIBRIUM_METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {EQUILIBRIUM_METHODS}")
    n_votes = votes_per_competitor(
        comparisons.n_items, comparisons.a, comparisons.b, comparisons.total_weight
    )
    game = win_probabilities(comparisons, alpha=options.alpha, prior=options.prior)
    solve = equilibrium_ne if method == "equilibrium-ne" else equilibrium_cce
    result = solve(game)
    snap = float(str(dict(result.params)["tol"]))
    params = {
        "prompt_axis": options.prompt_axis,
        "n_prompts": game.n_prompts,
        **dict(result.params),
        "units": "expected win-rate margin 2W - 1 against the equilibrium",
        "zero_within": snap,
    }
    return rating_report(
        method,
        params,
        comparisons.n_verdicts,
        _rows(result.names, _snap(result.ratings, snap), result.marginals, n_votes),
        prompts=_prompt_rows(result, snap),
        residual=result.residual,
        converged=result.converged,
        copy_groups={
            "models": _groups(result.names, result.reference.models.groups),
            "prompts": _groups(result.prompt_names, result.reference.prompts.groups),
        },
    )


def rate_nash(comparisons: Comparisons, options: NashOptions) -> dict[str, Any]:
    """Nash averaging of ``comparisons``' logit win matrix, reported as the other methods are."""
    n_votes = votes_per_competitor(
        comparisons.n_items, comparisons.a, comparisons.b, comparisons.total_weight
    )
    logits = logit_win_matrix(comparisons, alpha=options.alpha, prior=options.prior)
    result = nash_average(logits, comparisons.names, selection=options.selection)
    params = {
        "alpha": options.alpha,
        "prior": options.prior,
        "selection": result.selection,
        "units": "natural-log odds against the equilibrium",
        "zero_within": _NASH_ZERO,
    }
    return rating_report(
        "nash",
        params,
        comparisons.n_verdicts,
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
    return [[names[int(i)] for i in np.flatnonzero(labels == g)] for g in np.flatnonzero(sizes > 1)]
