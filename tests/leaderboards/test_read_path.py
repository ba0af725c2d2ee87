"""The rating jobs' columnar read gives every board the comparisons the row-by-row read gave.

Real votes (LLMFAO with its answers, Ko-Arena) are imported into PostgreSQL, with a flagged
voter, a held-back competitor and a vote on an identity-revealing answer, so that each board's
exclusions are exercised; the reference is the first read path, kept here: ORM ``values_list``
rows numbered by ``Comparisons.from_labels``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arena import selectors as arena_selectors
from arena.models import Arena, Competitor, Vote, VoterFlag
from arena.services.imports import votes_import
from leaderboards.models import Leaderboard
from leaderboards.selectors import (
    comparisons_for_leaderboard,
    scope_of,
    vote_weights_from_probabilities,
)
from leaderboards.services.runs import leaderboards_ensure_defaults
from ratings import engine
from ratings.core.types import Comparisons
from ratings.engine.votefile import STYLE_FEATURES, read_comparisons
from tests.ratings.conftest import SHARED_DATA

pytestmark = pytest.mark.django_db


def _row_read(board: Leaderboard, watermark: int, *, axis: str, ipw: bool) -> Comparisons:
    """The read path as first written: one named tuple a vote, numbered by name."""
    rows = arena_selectors.vote_rows_in_scope(board.arena, scope_of(board), watermark)
    keys = [str(r.prompt_id if axis == "prompt" else r.category) for r in rows]
    have = bool(rows) and all(v is not None for r in rows for v in (*r.style_a, *r.style_b))
    feats = np.array([(*r.style_a, *r.style_b) for r in rows], dtype=np.float64).reshape(-1, 8)
    return Comparisons.from_labels(
        [r.competitor_a for r in rows],
        [r.competitor_b for r in rows],
        [r.outcome for r in rows],
        weight=(
            vote_weights_from_probabilities([r.pair_probability for r in rows]) if ipw else None
        ),
        prompts=keys,
        features_a=feats[:, :4] if have else None,
        features_b=feats[:, 4:] if have else None,
        feature_names=STYLE_FEATURES if have else (),
        p_b=(
            [np.nan if r.p_b is None else r.p_b for r in rows]
            if any(r.p_b is not None for r in rows)
            else None
        ),
    )


def _assert_same(new: Comparisons, old: Comparisons) -> None:
    assert new.names == old.names
    assert new.prompt_names == old.prompt_names
    assert new.feature_names == old.feature_names
    for column in ("a", "b", "outcome", "prompt"):
        np.testing.assert_array_equal(getattr(new, column), getattr(old, column))
    for column in ("weight", "features_a", "features_b", "p_b"):
        mine, theirs = getattr(new, column), getattr(old, column)
        assert (mine is None) == (theirs is None), column
        if mine is not None:
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-9, equal_nan=True)


def _arena_with(votes: Path, answers: Path | None, slug: str) -> Arena:
    arena = Arena.objects.create(slug=slug, name=slug)
    votes_import(path=votes, answers=answers, arena=arena)
    leaderboards_ensure_defaults(arena)
    return arena


def _exclusions(arena: Arena) -> None:
    """A flagged crowd voter, a held-back competitor and an identity-revealed vote."""
    vote = Vote.objects.filter(battle__arena=arena).exclude(external_voter="").first()
    if vote is not None:
        VoterFlag.objects.create(
            arena=arena,
            kind=VoterFlag.Kind.SURPRISE,
            external_voter=vote.external_voter,
            n_votes=1,
            score=1.0,
            reason="test",
            created_at=datetime.now(tz=UTC),
        )
    held = Competitor.objects.filter(arenas=arena).order_by("name").first()
    assert held is not None
    Competitor.objects.filter(pk=held.pk).update(null_model_flagged=True)
    Vote.objects.filter(pk=Vote.objects.filter(battle__arena=arena).order_by("id")[5].pk).update(
        identity_revealed=True
    )


@pytest.fixture(scope="module")
def shared() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.mark.parametrize("dataset", ["llmfao", "ko_arena_hard"])
def test_every_board_reads_the_same_comparisons_as_the_row_path(shared: Path, dataset: str) -> None:
    if dataset == "llmfao":
        arena = _arena_with(
            shared / "llmfao/votes.jsonl", shared / "llmfao/answers.jsonl", "llmfao"
        )
    else:
        arena = _arena_with(shared / "ko_arena_hard/votes.jsonl.gz", None, "ko")
    _exclusions(arena)
    for board in Leaderboard.objects.filter(arena=arena):
        board.exclude_flagged_voters = board.slug != "judges"
        board.save()
        top = arena_selectors.scope_watermark(arena, scope_of(board))
        if top is None:
            continue
        for axis in ("prompt", "category"):
            for ipw in (False, True):
                new = comparisons_for_leaderboard(
                    board, top, prompt_axis=axis, inverse_probability=ipw
                )
                _assert_same(new, _row_read(board, top, axis=axis, ipw=ipw))
        assert new.n_comparisons > 0


def _report(comparisons: Comparisons, method: str, options: dict[str, Any]) -> dict[str, Any]:
    return engine.rate(comparisons, method, engine.method_options(method, options))


def test_board_reports_are_unchanged_on_llmfao(shared: Path) -> None:
    arena = _arena_with(shared / "llmfao/votes.jsonl", shared / "llmfao/answers.jsonl", "llmfao")
    board = Leaderboard.objects.get(arena=arena, slug="crowd")
    top = arena_selectors.scope_watermark(arena, scope_of(board))
    assert top is not None
    new = comparisons_for_leaderboard(board, top)
    old = _row_read(board, top, axis="prompt", ipw=False)
    for method, options in (("bt", {}), ("elo", {}), ("bt-davidson", {}), ("nash", {})):
        _assert_close(_report(new, method, options), _report(old, method, options), method)


def _assert_close(mine: Any, theirs: Any, where: str) -> None:
    """Equal reports: the same keys, lists and strings; numbers within 1e-9."""
    if isinstance(mine, dict):
        assert mine.keys() == theirs.keys(), where
        for key in mine:
            _assert_close(mine[key], theirs[key], f"{where}.{key}")
    elif isinstance(mine, list):
        assert len(mine) == len(theirs), where
        for k, (x, y) in enumerate(zip(mine, theirs, strict=True)):
            _assert_close(x, y, f"{where}[{k}]")
    elif isinstance(mine, float) and not isinstance(mine, bool):
        assert theirs == pytest.approx(mine, abs=1e-9, nan_ok=True), where
    else:
        assert mine == theirs, where


def test_a_jobs_bootstrap_intervals_equal_the_command_lines(shared: Path, tmp_path: Path) -> None:
    """The job numbers competitors by name, the command line by first appearance in the file:
    the same votes and seed must still give the same intervals."""
    arena = _arena_with(shared / "llmfao/votes.jsonl", None, "llmfao")
    board = Leaderboard.objects.get(arena=arena, slug="all")
    top = arena_selectors.scope_watermark(arena, scope_of(board))
    assert top is not None
    job = comparisons_for_leaderboard(board, top)
    exported = tmp_path / "votes.jsonl"
    with exported.open("w") as out:
        for row in arena_selectors.vote_export_rows(arena, scope_of(board)):
            out.write(json.dumps(row) + "\n")
    cli = read_comparisons(exported)
    assert cli.names != job.names  # the two numberings differ
    for method in ("bt", "elo"):
        options = {"bootstrap": 50, "seed": 0}
        rows = {r["name"]: r for r in _report(job, method, options)["competitors"]}
        for ref in _report(cli, method, options)["competitors"]:
            row = rows[ref["name"]]
            for key in ("rating", "ci_low", "ci_high"):
                assert row[key] == pytest.approx(ref[key], abs=1e-6), (method, ref["name"], key)
