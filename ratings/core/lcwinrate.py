"""AlpacaEval 2's length-controlled win rate against a baseline.

For each competitor ``m`` a logistic model (no intercept) is fitted to its games against the
baseline: ``P(m better on prompt q) = σ(w_len · tanh(δ) + w_diff · d_q + w_model)``, where ``δ``
is the baseline's answer length minus ``m``'s (characters), divided by its sample standard
deviation over ``m``'s games, and ``d_q`` the prompt's difficulty (left out without
difficulties). The labels are probabilities (the soft label, or 1, ½, 0 for a win, a tie, a
loss), fitted by cross-entropy. The fit is L1-penalised, ``‖w‖₁ + C Σ_r s_r CE(p_r, σ(x_r·w))``;
``C`` is chosen from ``logspace(-4, 4, 10)`` by ``n_splits``-fold cross-validation of the
weighted cross-entropy (fold of training row ``g`` of ``n``: ``(n − 1 − g) mod n_splits``, the
first best ``C``), then refitted on all rows. Optional *gamed-baseline* rows (the baseline made
verbose or terse, judged against itself) enter the training with weight ``λ / 2`` and feature
``model = 0``, which pulls the length and difficulty weights toward the baseline's own. The
length-controlled win rate is the mean over ``m``'s games of the prediction at ``δ = 0``:
``100 · mean_q σ(w_diff · d_q + w_model)``. This is the definition of ``alpaca_eval``'s
``get_length_controlled_winrate`` (its ``length_controlled_v1`` GLM with difficulties and gamed
rows, ``length_controlled_minimal`` without), solved here with scipy to full precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize
from scipy.special import expit, log_expit

from ratings.core.errors import ConvergenceError
from ratings.core.types import Comparisons, FloatArray, IntArray

#: The grid of inverse penalties searched (scikit-learn's ``LogisticRegressionCV(Cs=10)``).
C_GRID = np.logspace(-4, 4, 10)
#: Names of the fitted weights, in the order of :attr:`LengthControlledWinRates.coefficients`.
LC_FEATURES = ("length", "difficulty", "model")
_CLIP = 1e-15
_ZERO = 1e-9  # a weight smaller than this after L-BFGS-B is taken to be an exact 0


@dataclass(frozen=True, slots=True)
class GamedBaselines:
    """Regularisation rows: the baseline's gamed variants judged against it.

    ``p`` is the probability that the gamed answer is better (AlpacaEval's preference − 1;
    NaN rows are dropped), ``std_delta_len`` the standardised length difference, ``difficulty``
    the prompt's difficulty; ``weight`` is λ (each row counts ``λ / 2``).
    """

    p: FloatArray
    std_delta_len: FloatArray
    difficulty: FloatArray
    weight: float = 0.2


@dataclass(frozen=True, slots=True)
class LengthControlledWinRates:
    """Win rates against ``baseline`` in percent, raw and length-controlled, per competitor.

    Competitors without games against the baseline have NaN; the baseline has 50.
    ``coefficients[k]`` holds the fitted weights named by :data:`LC_FEATURES` and ``c`` the
    chosen inverse penalty.
    """

    names: tuple[str, ...]
    baseline: str
    win_rate: FloatArray
    lc_win_rate: FloatArray
    n_games: FloatArray
    coefficients: FloatArray
    c: FloatArray


def length_controlled_win_rates(
    comparisons: Comparisons,
    baseline: int | str,
    *,
    difficulty: FloatArray | None = None,
    gamed: GamedBaselines | None = None,
    n_splits: int = 5,
) -> LengthControlledWinRates:
    """AlpacaEval 2's length-controlled win rate of every competitor against ``baseline``.

    Parameters
    ----------
    comparisons : Comparisons
        The verdicts, with ``length_a``/``length_b`` (answer lengths in characters); only games
        against the baseline count, in their order (the folds depend on it), each scored by
        :meth:`Comparisons.score_a` (a soft label where present). Weights are not used.
    baseline : int or str
        The baseline competitor.
    difficulty : array of float, optional
        Each prompt's difficulty, indexed like ``comparisons.prompt_names``.
    gamed : GamedBaselines, optional
        Regularisation rows (AlpacaEval's gamed baselines); they need ``difficulty``.
    n_splits : int, default 5
        Cross-validation folds.

    Returns
    -------
    LengthControlledWinRates
        Raw and length-controlled win rates in percent.

    Raises
    ------
    ValueError
        Without answer lengths, or with ``gamed`` rows but no difficulties.
    ConvergenceError
        If a penalised fit does not converge.

    References
    ----------
    Y. Dubois, B. Galambosi, P. Liang and T. B. Hashimoto, "Length-controlled AlpacaEval: a
    simple way to debias automatic evaluators", 2024, arXiv:2404.04475.
    """
    lengths = comparisons.length_a, comparisons.length_b
    if lengths[0] is None or lengths[1] is None:
        raise ValueError("the length-controlled win rate needs each answer's length")
    if gamed is not None and difficulty is None:
        raise ValueError("gamed-baseline rows need the prompts' difficulties")
    base = comparisons.names.index(baseline) if isinstance(baseline, str) else baseline
    n = comparisons.n_items
    win, lc, games = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n)
    coefficients, chosen = np.full((n, len(LC_FEATURES)), np.nan), np.full(n, np.nan)
    win[base], lc[base] = 50.0, 50.0
    for m in range(n):
        rows = _games(comparisons, (lengths[0], lengths[1]), m, base)
        if m == base or rows is None:
            continue
        p, delta, prompt = rows
        games[m] = p.size
        diff = None if difficulty is None else np.asarray(difficulty, dtype=np.float64)[prompt]
        fit = _fit_model(p, delta, diff, gamed, n_splits)
        win[m] = 100.0 * float(np.nanmean(p))
        lc[m], coefficients[m], chosen[m] = fit
    return LengthControlledWinRates(
        names=comparisons.names,
        baseline=comparisons.names[base],
        win_rate=win,
        lc_win_rate=lc,
        n_games=games,
        coefficients=coefficients,
        c=chosen,
    )


def _games(
    c: Comparisons, lengths: tuple[FloatArray, FloatArray], m: int, base: int
) -> tuple[FloatArray, FloatArray, IntArray] | None:
    """``m``'s games against the baseline: P(m better), baseline length − m's, prompt index."""
    as_a = (c.a == m) & (c.b == base)
    rows = as_a | ((c.b == m) & (c.a == base))
    if not rows.any():
        return None
    score_a = c.score_a()[rows]
    mine = as_a[rows]
    p = np.where(mine, score_a, 1.0 - score_a)
    len_a, len_b = lengths[0][rows], lengths[1][rows]
    delta = np.where(mine, len_b - len_a, len_a - len_b)
    prompt = np.zeros(p.size, dtype=np.intp) if c.prompt is None else c.prompt[rows]
    return p, delta, prompt


def _fit_model(
    p: FloatArray,
    delta: FloatArray,
    difficulty: FloatArray | None,
    gamed: GamedBaselines | None,
    n_splits: int,
) -> tuple[float, FloatArray, float]:
    """One competitor's GLM: (length-controlled win rate, weights by LC_FEATURES, chosen C)."""
    spread = float(np.std(delta, ddof=1)) if delta.size > 1 else 0.0
    std_delta = delta / spread if spread > 0 else np.zeros_like(delta)
    columns = [np.tanh(std_delta)] + ([] if difficulty is None else [difficulty])
    x = np.column_stack([*columns, np.ones(p.size)])
    test = np.column_stack([np.zeros(p.size), *columns[1:], np.ones(p.size)])
    y, s = p, np.ones(p.size)
    if gamed is not None:
        keep = ~np.isnan(gamed.p)
        extra = np.column_stack(
            [np.tanh(gamed.std_delta_len[keep]), gamed.difficulty[keep], np.zeros(keep.sum())]
        )
        x, y = np.vstack([extra, x]), np.concatenate([gamed.p[keep], p])
        s = np.concatenate([np.full(int(keep.sum()), gamed.weight / 2.0), s])
    known = ~np.isnan(y)
    x, y, s = x[known], y[known], s[known]
    c = _cross_validate(x, y, s, n_splits)
    w = l1_logistic(x, y, s, c=c)
    weights = np.full(len(LC_FEATURES), np.nan)
    weights[[0, 2]] = w[[0, -1]]
    if difficulty is not None:
        weights[1] = w[1]
    return 100.0 * float(np.mean(expit(test @ w))), weights, c


def _cross_validate(x: FloatArray, y: FloatArray, s: FloatArray, n_splits: int) -> float:
    """The first C of :data:`C_GRID` with the best mean held-out weighted cross-entropy."""
    n = y.size
    if n < n_splits:
        raise ValueError(f"need at least {n_splits} games against the baseline")
    fold = (n - 1 - np.arange(n)) % n_splits
    scores = np.zeros(C_GRID.size)
    for k in range(n_splits):
        train, held = fold != k, fold == k
        for g, c in enumerate(C_GRID):
            w = l1_logistic(x[train], y[train], s[train], c=float(c))
            q = np.clip(expit(x[held] @ w), _CLIP, 1.0 - _CLIP)
            loss = s[held] * (y[held] * np.log(q) + (1.0 - y[held]) * np.log(1.0 - q))
            scores[g] += float(np.mean(loss))
    return float(C_GRID[int(np.argmax(scores))])


def l1_logistic(
    x: FloatArray, y: FloatArray, s: FloatArray, *, c: float, tol: float = 1e-13
) -> FloatArray:
    """Minimise ``‖w‖₁ + c Σ_r s_r CE(y_r, σ(x_r·w))`` with probability labels ``y``.

    L-BFGS-B on ``w = u − v`` (``u, v ≥ 0``), then Newton's method on the nonzero weights with
    their signs fixed, which the optimality conditions make exact.

    Parameters
    ----------
    x : array of float, shape (n_rows, n_features)
        The design matrix (no intercept is added).
    y : array of float
        Labels in [0, 1].
    s : array of float
        Row weights.
    c : float
        Inverse penalty.
    tol : float, default 1e-13
        Newton stops when its step is below this.

    Returns
    -------
    array of float
        The weights.

    Raises
    ------
    ConvergenceError
        If L-BFGS-B reports failure.

    References
    ----------
    R.-E. Fan et al., "LIBLINEAR: a library for large linear classification", JMLR 9 (2008).
    """
    d = x.shape[1]

    def objective(z: FloatArray) -> tuple[float, FloatArray]:
        w = z[:d] - z[d:]
        t = x @ w
        loss = -np.sum(s * (y * log_expit(t) + (1.0 - y) * log_expit(-t)))
        grad = c * (x.T @ (s * (expit(t) - y)))
        return float(np.sum(z) + c * loss), np.concatenate([1.0 + grad, 1.0 - grad])

    res = scipy.optimize.minimize(
        objective,
        np.zeros(2 * d),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * (2 * d),
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 5000},
    )
    # L-BFGS-B stops near the optimum, often "abnormally" at rounding level: the polish and
    # the optimality check below decide whether the answer holds.
    w = _polish(x, y, s, c, res.x[:d] - res.x[d:], tol=tol)
    grad = c * (x.T @ (s * (expit(x @ w) - y)))
    zero = w == 0
    if np.any(np.abs(grad[zero]) > 1.0 + 1e-7) or np.any(
        np.abs(grad[~zero] + np.sign(w[~zero])) > 1e-6 * max(1.0, c)
    ):
        raise ConvergenceError(f"L1 logistic fit did not converge: {res.message}")
    return w


def _polish(
    x: FloatArray, y: FloatArray, s: FloatArray, c: float, w: FloatArray, *, tol: float
) -> FloatArray:
    """Newton's method for ``c ∇loss + sign(w) = 0`` on the nonzero weights."""
    active = np.abs(w) > _ZERO
    if not active.any():
        return np.zeros_like(w)
    sign = np.sign(w[active])
    xa, wa = x[:, active], w[active].copy()
    for _ in range(50):
        q = expit(xa @ wa)
        grad = c * (xa.T @ (s * (q - y))) + sign
        hess = c * (xa.T * (s * q * (1.0 - q))) @ xa
        step = np.linalg.solve(hess, grad)
        wa -= step
        if np.max(np.abs(step)) < tol:
            break
    if not np.all(np.sign(wa) == sign):  # a weight crossed zero: keep the first-order answer
        return w
    out = np.zeros_like(w)
    out[active] = wa
    return out
