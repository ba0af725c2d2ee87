from __future__ import annotations

import gzip
import itertools
import json
import random
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from arena import selectors
from arena.models import (
    Arena,
    Battle,
    Competitor,
    Completion,
    Judge,
    Outcome,
    Prompt,
    ScopeVoteCount,
    Vote,
)
from arena.services.arenas import arena_ensure_default
from arena.services.import_triggers import triggers_skippable
from ratings.engine.formats import WINNERS, read_votes
from tests.conftest import db_state, planner_rows
from tests.ratings.conftest import SHARED_DATA

pytestmark = pytest.mark.django_db


def _write(path: Path, rows: list[dict], *, compress: bool = False) -> Path:
    text = "".join(json.dumps(row) + "\n" for row in rows)
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _row(a: str, b: str, winner: str, judge: str = "crowd:1", **extra: object) -> dict:
    return {
        "question_id": "q1",
        "prompt": "Why is the sky blue?",
        "model_a": a,
        "model_b": b,
        "winner": winner,
        "judge": judge,
        "source": "test",
        **extra,
    }


def _import(*args: object) -> str:
    out = StringIO()
    call_command("import_votes", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_import_creates_what_votes_need_and_skips_self_battles(tmp_path):
    path = _write(
        tmp_path / "v.jsonl.gz",
        [
            _row("m1", "m2", "model_a"),
            _row("m2", "m3", "tie (bothbad)", judge="gpt-4", judge_label="A=B", weight=3),
            _row("m3", "m3", "tie"),
            _row("m1", "m3", "model_b", answer_a="**one**", answer_b="- three"),
        ],
        compress=True,
    )
    summary = _import(path)
    assert "4 votes read: 3 imported, 0 already present, 1 self-battles skipped" in summary
    assert sorted(Competitor.objects.values_list("name", flat=True)) == ["m1", "m2", "m3"]
    assert Prompt.objects.get().external_id == "q1"
    assert list(Vote.objects.order_by("id").values_list("outcome", flat=True)) == [
        Outcome.A,
        Outcome.BOTH_BAD,
        Outcome.B,
    ]
    judged = Vote.objects.get(source="judge")
    assert judged.judge == Judge.objects.get(name="gpt-4")
    assert judged.meta == {"source": "test", "judge_label": "A=B", "weight": 3}
    assert Vote.objects.filter(source="crowd", external_voter="crowd:1").count() == 2
    assert Completion.objects.count() == 2
    linked = Battle.objects.get(completion_a__isnull=False)
    assert (linked.completion_a.bold_count, linked.completion_b.list_count) == (1, 1)


def test_a_repeated_identical_line_is_a_second_vote_but_a_reimport_adds_nothing(tmp_path):
    path = _write(tmp_path / "v.jsonl", [_row("m1", "m2", "model_a")] * 2)
    _import(path)
    assert Vote.objects.count() == 2
    before = db_state()
    assert "0 imported, 2 already present" in _import(path)
    assert db_state() == before


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        (
            '{"model_a": "m1", "model_b": "m2", "winner": "model_c"}',
            "winner 'model_c' is not one of",
        ),
        ('{"model_a": "m1", "winner": "tie"}', "field 'model_b' is missing"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_file_names_the_line_and_imports_nothing(tmp_path, line, problem):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(_row("m1", "m2", "model_a")) + "\n" + line + "\n")
    before = db_state()
    with pytest.raises(CommandError, match=rf"line 2: {problem}") as error:
        _import(path)
    assert error.value.returncode == 2
    assert db_state() == before


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _import(tmp_path / "absent.jsonl")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the planner's statistics are refreshed on commit
def test_llmfao_import_counts_is_idempotent_and_leaves_the_planner_current():
    path = SHARED_DATA / "llmfao" / "votes.jsonl"
    if not path.is_file():
        pytest.skip(f"shared data not found at {path}")
    _import(path)
    assert Vote.objects.count() == 15_403
    # The tables were analysed: the planner knows the votes are there (before, it took the
    # vote table for empty until autovacuum came, and planned reads of it as nested loops).
    assert planner_rows(Vote) == planner_rows(Battle) == 15_403
    assert Competitor.objects.count() == 70
    assert Prompt.objects.count() == 19
    assert Vote.objects.filter(source="crowd").count() == 8_931
    assert Judge.objects.count() == 2
    counts = (
        Vote.objects.count(),
        Battle.objects.count(),
        Competitor.objects.count(),
        Prompt.objects.count(),
        Judge.objects.count(),
    )
    assert "0 imported, 15403 already present" in _import(path)
    assert counts == (
        Vote.objects.count(),
        Battle.objects.count(),
        Competitor.objects.count(),
        Prompt.objects.count(),
        Judge.objects.count(),
    )


def _recount(arena: Arena) -> dict[tuple[int, int], int]:
    """Votes per unordered pair, counted in Python from every vote of the arena."""
    counts: Counter[tuple[int, int]] = Counter()
    for a, b in Vote.objects.filter(battle__arena=arena).values_list(
        "battle__competitor_a_id", "battle__competitor_b_id"
    ):
        counts[min(a, b), max(a, b)] += 1
    return dict(counts)


def _scope_counts() -> dict[tuple[int, str, str], tuple[int, int, int]]:
    """The maintained counts per arena, source and category (zero rows left out)."""
    return {
        (c.arena_id, c.source, c.category): (c.n, c.top_id, c.n_unanswered)
        for c in ScopeVoteCount.objects.filter(n__gt=0)
    }


def _scope_recount() -> dict[tuple[int, str, str], tuple[int, int, int]]:
    """The same, counted in Python from every vote."""
    found: dict[tuple[int, str, str], list[int]] = {}
    for vote in Vote.objects.select_related("battle__prompt"):
        battle = vote.battle
        key = (battle.arena_id, vote.source, battle.prompt.category)
        row = found.setdefault(key, [0, 0, 0])
        row[0] += 1
        row[1] = max(row[1], vote.pk)
        row[2] += battle.completion_a_id is None or battle.completion_b_id is None
    return {key: (n, top, u) for key, (n, top, u) in found.items()}


def _pairs_file(path: Path, seed: int, n: int) -> Path:
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        a, b = rng.sample(["m1", "m2", "m3", "m4"], 2)
        winner = rng.choice(["model_a", "model_b", "tie"])
        rows.append(_row(a, b, winner, question_id=f"q{k % 3}", file=seed))
    return _write(path, rows)


def test_import_with_triggers_skipped_keeps_pair_counts_equal_to_a_recount(tmp_path):
    """The fast path (the test database's role may skip triggers) adds each pair's votes to
    counts that votes already cast started, and locks nothing it cannot find."""
    assert triggers_skippable()
    arena = arena_ensure_default()
    _import(_pairs_file(tmp_path / "first.jsonl", seed=1, n=40))
    before = selectors.pair_vote_counts(arena)
    assert before == _recount(arena)
    _import(_pairs_file(tmp_path / "second.jsonl", seed=2, n=60))
    assert Vote.objects.count() == 100
    after = selectors.pair_vote_counts(arena)
    assert after == _recount(arena)
    assert sum(after.values()) == 100
    assert any(after[pair] > before.get(pair, 0) > 0 for pair in after)  # an upsert, not a reset
    # the counts per scope (the rating check's), which the skipped trigger would have kept
    assert _scope_counts() == _scope_recount()
    assert sum(n for n, _, _ in _scope_counts().values()) == 100


def test_a_trigger_of_another_feature_sends_the_import_through_every_trigger(tmp_path):
    """A trigger the import does not know would be skipped silently: the import then writes
    with every trigger firing, and the counts still come out right."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION import_test_noop() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER import_test_other AFTER INSERT ON arena_vote "
            "FOR EACH STATEMENT EXECUTE FUNCTION import_test_noop()"
        )
    assert not triggers_skippable()
    _import(_pairs_file(tmp_path / "votes.jsonl", seed=3, n=50))
    arena = arena_ensure_default()
    assert selectors.pair_vote_counts(arena) == _recount(arena)
    assert sum(selectors.pair_vote_counts(arena).values()) == 50
    assert _scope_counts() == _scope_recount()


#: Lines of the Ko-Arena file imported: enough for every batch path (two batches of 10,000),
#: a third of the file, so the suite stays in its time (the whole file: `make bench-import`).
KO_LINES = 20_000


@pytest.mark.slow
def test_ko_arena_votes_import_through_the_same_path_with_exact_counts(tmp_path):
    source = SHARED_DATA / "ko_arena_hard" / "votes.jsonl.gz"
    if not source.is_file():
        pytest.skip(f"shared data not found at {source}")
    path = tmp_path / "ko.jsonl"
    with gzip.open(source, "rt", encoding="utf-8") as lines, path.open("w") as out:
        out.writelines(itertools.islice(lines, KO_LINES))
    records = [r for _, r in read_votes(path)]
    kept = [r for r in records if r["model_a"] != r["model_b"]]
    skipped = len(records) - len(kept)
    summary = _import(path)
    assert (
        f"{len(records)} votes read: {len(kept)} imported, 0 already present, "
        f"{skipped} self-battles skipped"
    ) in summary
    assert Vote.objects.filter(source="judge").count() == len(kept)
    assert Competitor.objects.count() == len({r[k] for r in kept for k in ("model_a", "model_b")})
    assert Prompt.objects.count() == len({r["question_id"] for r in kept})
    assert Judge.objects.count() == 1
    assert Vote.objects.values("import_key").distinct().count() == len(kept)
    arena = arena_ensure_default()
    assert selectors.pair_vote_counts(arena) == _recount(arena)
    assert _scope_counts() == _scope_recount()
    # The file's verdicts, counted by the file's reader, are the votes' outcomes.
    expected = Counter(WINNERS[r["winner"]] for r in kept)
    stored = Counter(Vote.objects.values_list("outcome", flat=True))
    assert stored == {int(k): n for k, n in expected.items()}
    assert f"0 imported, {len(kept)} already present" in _import(path)
    assert Vote.objects.count() == len(kept)
