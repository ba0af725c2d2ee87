"""The judge reliability figures against hand counts, textbook values and the shared data."""

from __future__ import annotations

import gzip
import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from ratings.cli import main
from ratings.cli.judges import read_judged_votes
from ratings.core.judges import (
    BOTH_BAD,
    TIE,
    JudgedVotes,
    agreement,
    first_position_wins,
    length_coefficient,
    modal_verdicts,
    position_consistency,
    transitivity_violations,
)
from ratings.core.types import Outcome

A, B, T, X = Outcome.A, Outcome.B, Outcome.TIE, Outcome.BOTH_BAD


def arrays(*rows: tuple[int, ...]) -> list[np.ndarray]:
    return [np.asarray(column) for column in zip(*rows, strict=True)]


def test_a_judge_who_always_picks_the_first_answer_is_never_consistent():
    # (prompt, a, b, first, outcome): each battle twice, the first answer always wins.
    prompt, a, b, first, outcome = arrays(
        (0, 0, 1, 0, A), (0, 0, 1, 1, B), (1, 2, 1, 2, A), (1, 1, 2, 1, A)
    )
    outcome = outcome.astype(np.int8)
    assert position_consistency(prompt, a, b, first, outcome).value == 0.0
    assert position_consistency(prompt, a, b, first, outcome).n == 2
    assert first_position_wins(a, b, first, outcome).value == 1.0


def test_a_consistent_judge_and_twins_beyond_the_pairs_are_not_counted():
    prompt, a, b, first, outcome = arrays(
        (0, 0, 1, 0, A),
        (0, 1, 0, 1, B),  # same verdict (0 wins), other order, written the other way round
        (0, 0, 1, 0, A),  # a third look in the first order: no twin
        (1, 0, 1, 1, T),
        (1, 0, 1, 0, T),
    )
    outcome = outcome.astype(np.int8)
    share = position_consistency(prompt, a, b, first, outcome)
    assert (share.value, share.n) == (1.0, 2)
    decisive = first_position_wins(a, b, first, outcome)
    assert (decisive.value, decisive.n) == (pytest.approx(2 / 3), 3)


def test_a_tie_and_both_bad_do_not_agree():
    prompt, a, b, first, outcome = arrays((0, 0, 1, 0, T), (0, 0, 1, 1, X))
    share = position_consistency(prompt, a, b, first, outcome.astype(np.int8))
    assert share.value == 0.0


def test_one_cycle_among_two_triads():
    # Prompt 0: 0>1, 1>2, 2>0 (a cycle); prompt 1: 0>1, 1>2, 0>2 (transitive);
    # prompt 2: 0>1 and 1>2 only (no third pair): not a triad.
    rows = [(0, 0, 1, A), (0, 1, 2, A), (0, 2, 0, A), (1, 0, 1, A), (1, 1, 2, A), (1, 0, 2, A)]
    rows += [(2, 0, 1, A), (2, 1, 2, A)]
    prompt, a, b, outcome = arrays(*rows)
    share = transitivity_violations(prompt, a, b, outcome.astype(np.int8), 3)
    assert (share.value, share.n) == (0.5, 2)


def test_a_pair_with_no_majority_breaks_the_triad():
    rows = [(0, 0, 1, A), (0, 1, 0, A), (0, 1, 2, A), (0, 2, 0, A), (0, 0, 1, T)]
    prompt, a, b, outcome = arrays(*rows)
    share = transitivity_violations(prompt, a, b, outcome.astype(np.int8), 3)
    assert (share.value, share.n) == (None, 0)


def test_kappa_matches_the_textbook_example():
    # 50 items, tie / both-bad: both tie 20, both both-bad 15, 5 and 10 mixed → p_o 0.7,
    # p_e 0.5, kappa 0.4 (Cohen's example; the two labels are not sides of a pair).
    x, y = {}, {}
    labels = [(2, 2)] * 20 + [(3, 3)] * 15 + [(2, 3)] * 5 + [(3, 2)] * 10
    for k, (u, v) in enumerate(labels):
        x[(k, 0, 1)], y[(k, 0, 1)] = u, v
    found = agreement("x", x, "y", y)
    assert found.n_shared == 50
    assert found.agreement == pytest.approx(0.7)
    assert found.kappa == pytest.approx(0.4)


def test_kappa_does_not_depend_on_how_the_pairs_are_numbered():
    rng = np.random.default_rng(3)
    keys = [(k, 0, 1) for k in range(200)]
    x = dict(zip(keys, rng.choice(4, 200, p=[0.6, 0.1, 0.2, 0.1]), strict=True))
    y = {k: v if rng.random() < 0.7 else int(rng.integers(4)) for k, v in x.items()}
    flip = {0: 1, 1: 0, 2: 2, 3: 3}  # the same battles with the pair numbered the other way
    flipped = agreement(
        "x", {k: flip[v] for k, v in x.items()}, "y", {k: flip[v] for k, v in y.items()}
    )
    assert flipped.kappa == pytest.approx(agreement("x", x, "y", y).kappa, abs=1e-12)


def test_modal_verdict_of_a_split_crowd_is_a_tie():
    prompt, a, b, outcome = arrays((0, 0, 1, A), (0, 1, 0, A), (1, 0, 1, X), (1, 0, 1, X))
    verdicts = modal_verdicts(prompt, a, b, outcome.astype(np.int8))
    assert verdicts == {(0, 0, 1): TIE, (1, 0, 1): BOTH_BAD}


def test_length_coefficient_recovers_a_simulated_preference_for_long_answers():
    rng = np.random.default_rng(7)
    n, m, beta = 8, 6000, 0.6
    strength = rng.normal(0, 1, n)
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    la, lb = rng.integers(50, 1500, m).astype(float), rng.integers(50, 1500, m).astype(float)
    diff = (la - lb) / (la + lb + 1)
    z = (diff - diff.mean()) / diff.std()
    a_wins = rng.random(m) < expit(strength[a] - strength[b] + beta * z)
    votes = JudgedVotes(
        names=tuple(f"m{k}" for k in range(n)),
        judge_names=("j",),
        judge=np.zeros(m, dtype=np.intp),
        prompt=np.zeros(m, dtype=np.intp),
        a=a,
        b=b,
        first=a,
        outcome=np.where(a_wins, A, B).astype(np.int8),
        length_a=la,
        length_b=lb,
    )
    assert length_coefficient(votes) == pytest.approx(beta, abs=0.08)


def _records(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_ko_arena_hard_position_figures_match_a_count_of_the_labels(shared_data: Path, capsys):
    path = shared_data / "ko_arena_hard" / "votes.jsonl.gz"
    assert main(["judges", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (judge,) = report["judges"]
    records = [r for r in _records(path) if r["model_a"] != r["model_b"]]
    assert judge["n_votes"] == len(records) == 74_999

    # Independent count: the two games of a (prompt, model) agree when they name the same winner.
    games: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
    for r in records:
        games[(r["question_id"], r["model_b"])][r["game"]] = r["winner"]
    twins = [g for g in games.values() if len(g) == 2]
    consistent = sum(g[1] == g[2] for g in twins) / len(twins)
    assert judge["n_twins"] == len(twins)
    assert judge["position_consistency"] == pytest.approx(consistent, abs=1e-12)

    # The screen verdict is in judge_label ("A>B", "B>>A", "A=B"): the first slot wins on "A>".
    labels = Counter(r["judge_label"][:2] for r in records)
    first_wins = labels["A>"] / (labels["A>"] + labels["B>"])
    assert judge["n_decisive"] == labels["A>"] + labels["B>"]
    assert judge["first_position_win_share"] == pytest.approx(first_wins, abs=1e-12)
    assert judge["transitivity_violation_share"] is None  # one baseline: no triads
    assert "transitivity_violation_share" in judge["notes"]
    print(f"ko-arena-hard ensemble: consistency {consistent:.4f}, first wins {first_wins:.4f}")


def _extract(shared_data: Path, prompt: str) -> list[dict]:
    return [
        r for r in _records(shared_data / "llmfao" / "votes.jsonl") if r["question_id"] == prompt
    ]


def test_llmfao_agreement_and_transitivity_by_hand_on_one_prompt(
    shared_data: Path, tmp_path: Path, capsys
):
    extract = _extract(shared_data, "llmfao_8")
    path = tmp_path / "extract.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in extract), encoding="utf-8")
    assert main(["judges", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {j["name"] for j in report["judges"]} == {"crowd", "gpt-3.5-turbo-instruct", "gpt-4"}

    def verdicts(judge: str) -> dict[frozenset, str]:
        """One verdict per unordered pair: the winner's name, or 'tie'/'bothbad' (one vote each)."""
        out = {}
        for r in extract:
            if r["judge"] == judge:
                winner = r[r["winner"]] if r["winner"] in ("model_a", "model_b") else r["winner"]
                out[frozenset((r["model_a"], r["model_b"]))] = winner
        return out

    g35, g4 = verdicts("gpt-3.5-turbo-instruct"), verdicts("gpt-4")
    assert len(g4) == sum(r["judge"] == "gpt-4" for r in extract)  # one vote a pair
    assert len(g35) == sum(r["judge"] == "gpt-3.5-turbo-instruct" for r in extract)
    shared = g35.keys() & g4.keys()
    p_o = sum(g35[k] == g4[k] for k in shared) / len(shared)

    # Standard Cohen's kappa over first-named wins, second-named wins, tie, both bad: chance
    # agreement from each judge's own frequencies of the four.
    def labels(v: dict[frozenset, str]) -> Counter:
        return Counter(
            ("first" if v[k] == min(k) else "second") if v[k] in k else v[k] for k in shared
        )

    c35, c4 = labels(g35), labels(g4)
    p_e = sum(c35[c] * c4[c] for c in c35) / len(shared) ** 2
    (entry,) = [
        g for g in report["agreement"] if {g["a"], g["b"]} == {"gpt-3.5-turbo-instruct", "gpt-4"}
    ]
    assert entry["n_shared"] == len(shared)
    assert entry["agreement"] == pytest.approx(p_o, abs=1e-12)
    assert entry["kappa"] == pytest.approx((p_o - p_e) / (1 - p_e), abs=1e-12)

    # Transitivity on this prompt: every triad of pairs the judge decided, cycles counted.
    counted = {}
    for name, decided in (("gpt-4", g4), ("gpt-3.5-turbo-instruct", g35)):
        beats = {(v, next(iter(k - {v}))) for k, v in decided.items() if v in k}
        models = sorted(set().union(*decided.keys()))
        triads = cycles = 0
        for x, y, z in itertools.combinations(models, 3):
            edges = [(p, q) for p, q in itertools.permutations((x, y, z), 2) if (p, q) in beats]
            if len(edges) == 3:
                triads += 1
                cycles += len({p for p, _ in edges}) == 3  # each wins once: a cycle
        (row,) = [j for j in report["judges"] if j["name"] == name]
        assert row["n_triads"] == triads > 0
        assert row["transitivity_violation_share"] == pytest.approx(cycles / triads, abs=1e-12)
        counted[name] = f"{cycles}/{triads}"
    assert counted["gpt-3.5-turbo-instruct"] != f"0/{triads}"  # the extract has a cycle
    print(f"llmfao_8: gpt-3.5 ~ gpt-4 kappa {entry['kappa']:.3f}; cycles {counted}")


def test_the_crowd_counts_as_one_judge_unless_per_voter(shared_data: Path):
    path = shared_data / "llmfao" / "votes.jsonl"
    pooled = read_judged_votes(path)
    per_voter = read_judged_votes(path, per_voter=True)
    assert pooled.judge_names == ("crowd", "gpt-3.5-turbo-instruct", "gpt-4")
    assert len(per_voter.judge_names) == 124 + 2
    assert pooled.length_a is not None  # len_a / len_b


def test_bad_files_exit_2_with_one_line(tmp_path: Path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"model_a": "x", "model_b": "y", "winner": "left"}\n', encoding="utf-8")
    assert main(["judges", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 1" in err
    assert "winner" in err
    assert err.count("\n") == 1
    assert main(["judges", str(tmp_path / "missing.jsonl")]) == 2
