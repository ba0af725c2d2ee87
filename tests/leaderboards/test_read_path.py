"""The rating jobs' columnar read gives every board the comparisons the row-by-row read gave.

Real votes (LLMFAO with its answers, Ko-Arena) are imported into PostgreSQL, with a flagged
voter, a held-back competitor and a vote on an identity-revealing answer, so that each board's
exclusions are exercised; the reference is the first read path, kept here: ORM ``values_list``
rows numbered by ``Comparisons.from_labels``.
"""

from __future__ import annotations

import gzip
import itertools
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
    counted_comparisons_for_leaderboard,
    scope_of,
    vote_weights_from_probabilities,
)
from leaderboards.services.runs import (
    leaderboards_ensure_defaults,
    run_options,
    run_reads_counted,
)
from ratings import engine
from ratings.core.errors import RatingError
from ratings.core.types import Comparisons
from ratings.engine.votefile import STYLE_FEATURES, read_comparisons
from tests.ratings.conftest import SHARED_DATA

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # over whole shared data sets


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
    # the merged read of an arena without soft labels, which groups by no label (#21)
    merged = counted_comparisons_for_leaderboard(board, top)
    assert not merged.has_soft_labels
    assert merged.n_comparisons < old.n_comparisons == merged.n_verdicts
    for method in ("bt", "bt-davidson", "nash"):
        _assert_close(_report(merged, method, {}), _report(old, method, {}), f"merged.{method}")


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
    merged = counted_comparisons_for_leaderboard(board, top)  # what a bt job now reads
    for method, read in (("bt", job), ("bt", merged), ("elo", job)):
        options = {"bootstrap": 50, "seed": 0}
        rows = {r["name"]: r for r in _report(read, method, options)["competitors"]}
        for ref in _report(cli, method, options)["competitors"]:
            row = rows[ref["name"]]
            for key in ("rating", "ci_low", "ci_high"):
                assert row[key] == pytest.approx(ref[key], abs=1e-6), (method, ref["name"], key)


#: The methods whose runs read the votes merged by a GROUP BY (``Method.counted``).
COUNTED_METHODS = tuple(name for name, spec in engine.METHODS.items() if spec.counted)


def _soft_labels_and_draw_probabilities(arena: Arena) -> None:
    """Soft labels on some votes and draw probabilities on some battles (imports have neither),
    a few distinct values each, so that merged rows must keep them apart."""
    votes = list(Vote.objects.filter(battle__arena=arena).order_by("id"))
    for k, vote in enumerate(votes[::7]):
        vote.p_b = (0.2, 0.7, 0.9)[k % 3]
    Vote.objects.bulk_update(votes[::7], ["p_b"])
    battles = [vote.battle for vote in votes[::5]]
    for k, battle in enumerate(battles):
        battle.pair_probability = (0.01, 0.02, 0.05, 0.1)[k % 4]
    type(battles[0]).objects.bulk_update(battles, ["pair_probability"])


@pytest.mark.parametrize("dataset", ["llmfao", "ko_arena_hard"])
def test_counting_methods_give_the_numbers_of_the_votes_one_by_one(
    shared: Path, dataset: str, tmp_path: Path
) -> None:
    """Every default board, every counting method, its report (ratings, intervals, bootstrap
    intervals, rank intervals, separation, prompts of the equilibria) from the merged read
    equals the report from the votes one by one, to 1e-9; with flagged voters, a held-back
    competitor, an identity-revealed vote, soft labels (and hard labels), 1/p weights."""
    if dataset == "llmfao":
        arena = _arena_with(
            shared / "llmfao/votes.jsonl", shared / "llmfao/answers.jsonl", "llmfao"
        )
    else:  # its first 20,000 votes (76 competitors, 500 prompts): the whole file took minutes
        part = tmp_path / "ko.jsonl"
        with gzip.open(shared / "ko_arena_hard/votes.jsonl.gz", "rt") as lines:
            part.write_text("".join(itertools.islice(lines, 20_000)))
        arena = _arena_with(part, None, "ko")
    _exclusions(arena)
    _soft_labels_and_draw_probabilities(arena)
    checked = 0
    # Ko-Arena's votes are all one judge's, so its three boards hold the same votes: its "all"
    # board (the flagged voter excluded) stands for them, with fewer bootstrap rounds, which
    # keeps the suite in its time; LLMFAO, crowd and judges apart, runs every board.
    slugs, rounds = (["all", "crowd", "judges"], 30) if dataset == "llmfao" else (["all"], 10)
    for board in Leaderboard.objects.filter(arena=arena, slug__in=slugs):
        board.exclude_flagged_voters = board.slug != "judges"
        top = arena_selectors.scope_watermark(arena, scope_of(board))
        if top is None:
            continue
        for method in COUNTED_METHODS:
            for ipw, hard in ((False, False), (True, False), (False, True)):
                if not run_reads_counted(method, ipw=ipw, soft_labels=not hard):
                    continue
                board.inverse_probability_weights, board.hard_labels = ipw, hard
                board.bootstrap_rounds = rounds if not ipw else 0
                options = run_options(board, method)
                axis = getattr(options, "prompt_axis", None)
                merged = counted_comparisons_for_leaderboard(
                    board, top, prompt_axis=axis, inverse_probability=ipw
                )
                rows = _row_read(board, top, axis=axis or "prompt", ipw=ipw)
                assert merged.n_comparisons < rows.n_comparisons
                assert merged.n_verdicts == rows.n_comparisons
                where = f"{board.slug}.{method}.ipw={ipw}.hard={hard}"
                mine, theirs = _rated(merged, method, options), _rated(rows, method, options)
                checked += 1
                assert mine.get("error") == theirs.get("error"), where
                if "error" in mine:  # a solver that fails on these votes fails on both reads
                    continue
                _assert_close(_tie_free(mine), _tie_free(theirs), where)
                _assert_ranks_apart_only_for_twins(mine, theirs, where)
    # boards with votes (two of LLMFAO's, Ko-Arena's one), each with bt and bt-davidson three
    # ways and the others with hard labels
    assert checked >= (2 if dataset == "llmfao" else 1) * (2 * 3 + 3)
    assert run_reads_counted("bt", ipw=True, soft_labels=True)
    assert run_reads_counted("nash", ipw=False, soft_labels=False)
    assert not run_reads_counted("nash", ipw=True)
    assert not run_reads_counted("elo", ipw=False)


def _rated(comparisons: Comparisons, method: str, options: Any) -> dict[str, Any]:
    try:
        return engine.rate(comparisons, method, options)
    except RatingError as error:
        return {"error": f"{type(error).__name__}: {error}"}


def _tie_free(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its lists in an order that does not depend on how competitors tied in
    rating to the last bit are ordered (Ko-Arena has such twins; a sum's last bit decides which
    comes first): rows and prompts by name, separation pairs as sets. The ranks are checked to
    differ only between such twins."""
    out = dict(report)
    rows = sorted(report["competitors"], key=lambda row: row["name"])
    out["competitors"] = [{k: v for k, v in row.items() if k != "rank"} for row in rows]
    if "prompts" in report:
        out["prompts"] = sorted(report["prompts"], key=lambda row: row["name"])
    if "separation" in report:
        out["separation"] = sorted(
            (sorted((s["a"], s["b"])), s["more_votes"]) for s in report["separation"]
        )
    if "leader_group" in report:
        out["leader_group"] = sorted(report["leader_group"])
    return out


def _assert_ranks_apart_only_for_twins(mine: Any, theirs: Any, where: str) -> None:
    ratings = {row["name"]: row["rating"] for row in theirs["competitors"]}
    rank = {row["name"]: row["rank"] for row in theirs["competitors"]}
    for row in mine["competitors"]:
        twins = sum(abs(r - row["rating"]) < 1e-9 for r in ratings.values()) - 1
        assert abs(row["rank"] - rank[row["name"]]) <= twins, (where, row["name"])


def test_online_elo_and_style_control_refuse_counted_rows() -> None:
    merged = Comparisons.from_labels(["x", "y"], ["y", "x"], [1, 2])
    merged = Comparisons(
        names=merged.names,
        a=merged.a,
        b=merged.b,
        outcome=merged.outcome,
        weight=merged.weight,
        count=np.array([3.0, 2.0]),
    )
    for method in ("elo", "style-bt"):
        with pytest.raises(ValueError, match="counted rows"):
            engine.rate(merged, method)
