"""Style control as arena-hard-auto computes it, on the shared Ko-Arena-Hard votes.

The oracle below is an independent replica of arena-hard's ``construct_style_matrices`` and
``fit_bt`` (qwopqwop200/ko-arena-hard-auto, ``utils_math.py``), written from their description:
every game repeated ``weight`` times and then every row entered twice (a tie once as a win and
once as a loss), the competitors as ``±ln 10`` columns, each style feature the normalised
difference ``(f_A − f_B) / (f_A + f_B + 1)`` standardised over those rows, fitted by
scikit-learn's ``LogisticRegression`` without intercept at its default ``C = 1``, here run to
convergence (``tol`` 1e-10) rather than to scikit-learn's default tolerance.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from ratings.core import Comparisons
from ratings.engine import StyleOptions, rate
from ratings.engine.votefile import read_comparisons

sklearn_linear_model = pytest.importorskip("sklearn.linear_model")

BASELINE = "claude-3.7-sonnet"
#: arena-hard's three controls: its style elements, as columns of the vote file.
CONTROLS = {
    "style": ("tokens", "header_count", "list_count", "bold_count"),
    "length": ("tokens",),
    "markdown": ("header_count", "list_count", "bold_count"),
}
#: The same controls as ``--style-features`` values.
OPTIONS = {
    "style": ("tokens", "headers", "lists", "bold"),
    "length": ("length",),
    "markdown": ("markdown",),
}


@pytest.fixture(scope="module")
def ko_arena(shared_data: Path) -> Comparisons:
    path = shared_data / "ko_arena_hard" / "published_20250410" / "no_control.csv"
    with path.open(encoding="utf-8") as handle:
        models = {row["model"] for row in csv.DictReader(handle)} | {BASELINE}
    return read_comparisons(
        shared_data / "ko_arena_hard" / "votes.jsonl.gz", competitors=models, weight_field="weight"
    )


def _arena_hard_fit(c: Comparisons, columns: tuple[str, ...]) -> dict[str, float]:
    """Elo ratings (baseline = 1000) of the scikit-learn replica of arena-hard's style fit."""
    assert c.features_a is not None
    assert c.features_b is not None
    picked = [c.feature_names.index(name) for name in columns]
    games = [g for g in range(c.n_comparisons) if c.a[g] != c.b[g]]
    repeated = [g for g in games for _ in range(int(c.weight[g]))]
    rows = repeated + repeated  # arena-hard's "duplicate battles"
    n_models, n_rows = c.n_items, len(rows)
    points = c.score_a()
    x = np.zeros((n_rows, n_models + len(picked)))
    y = np.zeros(n_rows)
    for r, g in enumerate(rows):
        x[r, c.a[g]] = math.log(10.0)
        x[r, c.b[g]] = -math.log(10.0)
        # a tie is a win in the first copy and a loss in the second
        y[r] = 1.0 if points[g] == 1.0 or (points[g] == 0.5 and r < len(repeated)) else 0.0
    fa, fb = c.features_a[rows][:, picked], c.features_b[rows][:, picked]
    x[:, n_models:] = (fa - fb) / (fa + fb + 1.0)
    style = x[:, n_models:]
    x[:, n_models:] = (style - style.mean(axis=0)) / style.std(axis=0)
    model = sklearn_linear_model.LogisticRegression(
        fit_intercept=False, C=1.0, tol=1e-10, max_iter=100_000
    )
    model.fit(x, y)
    elo = 400.0 * model.coef_[0][:n_models]
    elo += 1000.0 - elo[c.names.index(BASELINE)]
    return dict(zip(c.names, elo.tolist(), strict=True))


@pytest.mark.parametrize("control", ["style", "length", "markdown"])
def test_style_control_equals_arena_hards_logistic_regression(
    ko_arena: Comparisons, control: str
) -> None:
    reference = _arena_hard_fit(ko_arena, CONTROLS[control])
    options = StyleOptions(style_features=OPTIONS[control], l2=1.0, anchor=BASELINE)
    report = rate(ko_arena, "style-bt", options)
    assert list(report["style_coefficients"]) == list(CONTROLS[control])
    ours = {row["name"]: row["rating"] for row in report["competitors"]}
    assert set(ours) == set(reference)
    worst = max(abs(ours[name] - reference[name]) for name in reference)
    assert worst < 0.5, f"{control}: largest difference {worst:.3f} Elo"


def test_maximum_likelihood_is_within_5_elo_of_arena_hards_ridge(ko_arena: Comparisons) -> None:
    """C = 1 on 124,000 rows is a light ridge: leaving it out moves ratings by 0.5 to 5 Elo."""
    reference = _arena_hard_fit(ko_arena, CONTROLS["style"])
    report = rate(ko_arena, "style-bt", StyleOptions(anchor=BASELINE))
    ours = {row["name"]: row["rating"] for row in report["competitors"]}
    assert 0.5 < max(abs(ours[name] - reference[name]) for name in reference) < 5.0
