"""Nash equilibrium of the prompt-versus-models game: the limiting logit equilibrium from ``tau``.

The logit (quantal-response) equilibria with prior ``tau`` solve
``x = softmax(log tau_M + t * Abar(z) x)`` and ``z = softmax(log tau_P + t * c(x))`` with
``t = 1 / lambda``, ``Abar(z) = sum_p z_p A_p`` and ``c_p(x) = x' |A_p| x`` (king = rebel by
symmetry, so the unknowns are the model logits ``v`` and the prompt logits ``w``). At ``t = 0``
the solution is ``tau``; the principal branch leads, as ``t -> inf``, to one Nash equilibrium:
the limiting logit equilibrium. Plain annealing of ``t`` stalls or jumps branches at folds, so
the branch is followed by pseudo-arclength continuation in ``(v, w, t)``: a tangent predictor,
a Newton corrector on the hyperplane orthogonal to the tangent, and a limit on how far the
tangent may turn per step. The prompt block of the Jacobian is the identity, so a Schur
complement leaves an ``(M + 1) x (M + 1)`` bordered system per Newton step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ratings.core.equilibrium.affinity import DEFAULT_SIGMA2
from ratings.core.equilibrium.game import (
    EquilibriumResult,
    GameReference,
    Reference,
    game_reference,
)
from ratings.core.equilibrium.ne_branch import (
    Passes,
    Point,
    Triple,
    correct,
    cosine,
    distance,
    tangent_at,
)
from ratings.core.equilibrium.ne_polish import polish
from ratings.core.equilibrium.winprob import WinProbabilities
from ratings.core.types import FloatArray

_MIN_STEP = 1e-10
_CONVERGED = 1e-11  # corrector: largest change of a probability counted as converged
_ROUGH = 1e-6  # ... between anchors, where only the path's shape matters
_MAX_NEWTON = 8
_EASY_NEWTON = 3
_DRIFT = 0.5  # largest corrector move, relative to the step, before a step is refused


@dataclass(frozen=True, slots=True)
class _Options:
    tol: float
    max_steps: int
    max_turn: float
    polish_below: float
    limit_tol: float = 3e-7
    stop_at: float | None = None  # return the branch point at this t instead of the limit


#: Inverse temperatures at which the branch is pinned and polishing is tried: a fixed grid, so
#: that a game and its copy-extended version are polished from the same branch points.
_FIRST_ANCHOR = 4.0
_ANCHOR_RATIO = 4.0
#: The last anchor: beyond it, the rounding of ``t * u`` in the logits (``t * eps``) reaches
#: the accuracy the limit is wanted to.
_LAST_ANCHOR = 4.0**18


def _trace(passes: Passes, ref: GameReference, opts: _Options) -> tuple[Point, int]:
    """Follow the branch from ``tau`` to its limit, polishing at the anchor points.

    A polished point (Newton on the Nash conditions over the supports the branch has reached)
    is *a* Nash equilibrium near the branch, not necessarily its limit: where the equilibria
    form a continuum, Newton's minimum-norm step stays near a branch point that is still
    ``O(1 / t)`` from the limit. So the polished points of successive anchors are compared;
    they approach the limit like the branch, ``1 / t``, so their gap shrinks fourfold per anchor
    and the limit lies within a third of the last gap. The branch is followed until that gap
    is below ``limit_tol``; the last polished point, extrapolated by that third and polished
    again, is the limit.
    """
    logs = (np.log(ref.models.marginals), np.log(ref.prompts.marginals))
    pt = passes.evaluate(logs[0].copy(), logs[1].copy(), 0.0)
    zeros = (np.zeros_like(pt.v), np.zeros_like(pt.w))
    tangent = tangent_at(pt, (*zeros, 1.0))
    h, steps, anchor = 0.5, 0, opts.stop_at or _FIRST_ANCHOR
    previous: Point | None = None
    while pt.nash_conv > 0.0 and steps < opts.max_steps and h >= _MIN_STEP:
        steps += 1
        crosses = tangent[2] > 0 and pt.t + h * tangent[2] > anchor
        step = (anchor - pt.t) / tangent[2] if crosses else h
        base = (pt.v + step * tangent[0], pt.w + step * tangent[1], pt.t + step * tangent[2])
        # Across an anchor, the corrector pins t at the anchor instead of the arclength.
        constraint = (*zeros, 1.0) if crosses else tangent
        found = correct(
            passes,
            passes.evaluate(*base),
            constraint,
            base=base,
            logs=logs,
            max_newton=_MAX_NEWTON,
            accuracy=_CONVERGED if crosses else _ROUGH,
        )
        drifted = found is not None and not crosses and _drift(found[0], base) > _DRIFT * step
        if found is not None and (found[0].t < 0.0 or drifted):
            found = None  # jumped off the branch: past lambda = inf, or far from the predictor
        new_tangent = None if found is None else tangent_at(found[0], tangent)
        if (
            found is None
            or new_tangent is None
            or cosine(tangent, new_tangent) < np.cos(opts.max_turn)
        ):
            h *= 0.25
            continue
        pt, tangent = found[0], new_tangent
        if not crosses:
            h *= 3.0 if found[1] <= _EASY_NEWTON - 1 else 2.0 if found[1] <= _EASY_NEWTON else 1.0
            continue
        if opts.stop_at is not None:
            return pt, steps
        if pt.nash_conv < opts.polish_below:
            polished = polish(passes, pt, ref, tangent)
            if polished is None or polished.nash_conv >= opts.tol:
                previous = None
            elif previous is not None and _gap(polished, previous) <= opts.limit_tol:
                return _limit(passes, polished, previous, ref, opts.tol), steps
            else:
                previous = polished
        if anchor >= _LAST_ANCHOR:
            break
        anchor *= _ANCHOR_RATIO
    if previous is not None and previous.nash_conv < pt.nash_conv:
        return previous, steps  # the limit was not pinned down; the last equilibrium found
    return pt, steps


def _gap(a: Point, b: Point) -> float:
    """Largest difference of a probability between two profiles."""
    return max(float(np.abs(a.x - b.x).max()), float(np.abs(a.z - b.z).max()))


def _limit(passes: Passes, last: Point, before: Point, ref: GameReference, tol: float) -> Point:
    """The limit from the polished points of the last two anchors (Richardson extrapolation).

    With ``p(t) = p* + c / t + O(1 / t^2)`` and anchors ``t`` and ``4 t``, ``p* = p(4t) +
    (p(4t) - p(t)) / 3``; that point is polished again (its Nash conditions hold only to
    ``O(1 / t^2)``). Kept only if it stays an equilibrium, else the last polished point.
    """
    x = last.x + (last.x - before.x) / 3.0
    z = last.z + (last.z - before.z) / 3.0
    if x.min() < 0.0 or z.min() < 0.0:
        return last
    start = passes.point((last.v, last.w, last.t), x, z, keep=np.flatnonzero(x > 0.0))
    still: Triple = (np.zeros_like(last.v), np.zeros_like(last.w), 1.0)  # no further drift
    polished = polish(passes, start, ref, still)
    if polished is None or polished.nash_conv >= tol or _gap(polished, last) > _gap(last, before):
        return last
    return polished


def _drift(pt: Point, base: tuple[FloatArray, FloatArray, float]) -> float:
    return distance((pt.v, pt.w, pt.t), base)


def equilibrium_ne(
    game: WinProbabilities,
    *,
    reference: Reference = "affinity",
    sigma2: float = DEFAULT_SIGMA2,
    tol: float = 1e-7,
    max_steps: int = 5_000,
    max_turn: float = 0.15,
    polish_below: float = 1e-2,
) -> EquilibriumResult:
    """Nash-equilibrium ratings: the limiting logit equilibrium traced from the reference.

    Parameters
    ----------
    game : WinProbabilities
        The payoff tensor ``A`` of the prompt-versus-models game.
    reference : {"affinity", "uniform"}, default "affinity"
        Where the branch starts (``lambda = inf``): the max-affinity-entropy marginals
        (copy-proof) or the uniform ones.
    sigma2 : float, default 1e-6
        Affinity kernel variance.
    tol : float, default 1e-7
        Stop when NashConv (sum over the three players of the best deviation gain) is below.
    max_steps : int, default 5000
        Cap on accepted plus rejected continuation steps.
    max_turn : float, default 0.15
        Largest angle (radians) the tangent may turn in one accepted step.
    polish_below : float, default 1e-2
        Once NashConv on the branch is below this, try Newton on the Nash conditions over the
        supports the branch has reached (again each time ``t`` has grown fourfold); the result
        is kept only if its NashConv is below ``tol``.

    Returns
    -------
    EquilibriumResult
        Model and prompt ratings (``<= 0``), marginals, per-prompt contributions, NashConv.

    Raises
    ------
    ValueError
        If ``reference`` is unknown.

    References
    ----------
    McKelvey, Palfrey, "Quantal response equilibria for normal form games", Games Econ. Behav.
    10 (1995), doi:10.1006/game.1995.1023. Liu et al., "Re-evaluating Open-ended Evaluation of
    Large Language Models", ICLR 2025, arXiv:2502.20170. Allgower, Georg, "Introduction to
    Numerical Continuation Methods", SIAM 2003, doi:10.1137/1.9780898719154.
    """
    payoff = game.payoff
    ref = game_reference(payoff, reference, sigma2)
    pt, steps = _trace(Passes(payoff), ref, _Options(tol, max_steps, max_turn, polish_below))
    return _result(pt, ref, game, steps=steps, tol=tol, max_turn=max_turn)


def _result(
    pt: Point,
    ref: GameReference,
    game: WinProbabilities,
    *,
    steps: int,
    tol: float,
    max_turn: float,
) -> EquilibriumResult:
    residual = pt.nash_conv
    ratings = pt.u - pt.x @ pt.u
    contributions = pt.z[:, None] * (pt.b - (pt.b @ pt.x)[:, None])
    return EquilibriumResult(
        method="ne",
        names=game.names,
        prompt_names=game.prompt_names,
        ratings=ratings,
        marginals=pt.x,
        prompt_ratings=pt.cost - pt.z @ pt.cost,
        prompt_marginals=pt.z,
        contributions=contributions,
        residual=residual,
        reference=ref,
        converged=residual < tol,
        n_iter=steps,
        params=(
            ("alpha", game.alpha),
            ("prior", game.prior),
            ("reference", ref.kind),
            ("sigma2", ref.sigma2),
            ("tol", tol),
            ("max_turn", max_turn),
            ("inverse_temperature", pt.t),
        ),
    )


def logit_equilibrium(
    game: WinProbabilities,
    inverse_temperature: float,
    *,
    reference: Reference = "affinity",
    sigma2: float = DEFAULT_SIGMA2,
    max_steps: int = 5_000,
) -> EquilibriumResult:
    """The logit (quantal-response) equilibrium at ``t = 1 / lambda`` on the principal branch.

    The point the continuation of :func:`equilibrium_ne` passes through at this inverse
    temperature: ``x = softmax(log tau_M + t Abar(z) x)``, ``z = softmax(log tau_P + t c(x))``.
    Its ratings are the (unregularised) payoff gains against that profile; ``residual`` is its
    NashConv, which shrinks like ``1 / t``.

    Parameters
    ----------
    game : WinProbabilities
        The payoff tensor.
    inverse_temperature : float
        ``t > 0``.
    reference : {"affinity", "uniform"}, default "affinity"
        The branch's start and the logit prior.
    sigma2 : float, default 1e-6
        Affinity kernel variance.
    max_steps : int, default 5000
        Cap on continuation steps.

    Returns
    -------
    EquilibriumResult
        ``converged`` says whether the branch reached ``t``.

    Raises
    ------
    ValueError
        If ``inverse_temperature`` is not positive or ``reference`` unknown.

    References
    ----------
    McKelvey, Palfrey, "Quantal response equilibria for normal form games", Games Econ. Behav.
    10 (1995), doi:10.1006/game.1995.1023.
    """
    if not inverse_temperature > 0:
        raise ValueError(f"inverse_temperature must be positive, got {inverse_temperature}")
    ref = game_reference(game.payoff, reference, sigma2)
    opts = _Options(0.0, max_steps, 0.15, 0.0, stop_at=float(inverse_temperature))
    pt, steps = _trace(Passes(game.payoff), ref, opts)
    res = _result(pt, ref, game, steps=steps, tol=np.inf, max_turn=opts.max_turn)
    reached = abs(pt.t - inverse_temperature) <= 1e-9 * inverse_temperature
    return replace(res, method="logit", converged=reached)
