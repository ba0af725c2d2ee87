"""The replayer: each real vote handed out once, and prompt prioritisation lowering ties."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ratings.cli import main
from ratings.lab.replay import dissimilarities, read_records, replay


def write_votes(path, rng):
    """Four competitors; every pair has votes on a prompt voters tie on and on a decisive one."""
    rows = []
    names = ["w", "x", "y", "z"]
    for a in range(4):
        for b in range(a + 1, 4):
            for _ in range(6):
                rows.append(
                    {
                        "question_id": "dull",
                        "model_a": names[a],
                        "model_b": names[b],
                        "winner": "tie",
                        "len_a": 100,
                        "len_b": 100,
                    }
                )
                winner = "model_a" if rng.random() < 0.8 else "model_b"
                rows.append(
                    {
                        "question_id": "sharp",
                        "model_a": names[a],
                        "model_b": names[b],
                        "winner": winner,
                        "len_a": 50,
                        "len_b": 400,
                    }
                )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return rows


def run(path, prompts, seed, budget=30):
    records = read_records(path, [])
    return replay(
        records,
        policy="uniform",
        budget=budget,
        seed=seed,
        refit=10,
        prompts=prompts,
        random_share=0.2,
        dissimilarity=dissimilarities(records, None),
    )


def test_each_vote_is_handed_out_once_and_the_budget_holds(tmp_path):
    rows = write_votes(tmp_path / "v.jsonl", np.random.default_rng(0))
    out = run(tmp_path / "v.jsonl", "random", 0, budget=10_000)
    assert out["n_votes"] == out["n_available"] == len(rows)  # all used, none twice
    assert out["tie_share"] == pytest.approx(0.5)
    assert run(tmp_path / "v.jsonl", "random", 0, budget=17)["n_votes"] == 17


def test_prioritised_prompts_avoid_the_prompt_voters_tie_on(tmp_path):
    write_votes(tmp_path / "v.jsonl", np.random.default_rng(1))
    random = np.mean([run(tmp_path / "v.jsonl", "random", s)["tie_share"] for s in range(5)])
    chosen = np.mean([run(tmp_path / "v.jsonl", "prioritised", s)["tie_share"] for s in range(5)])
    assert random > 0.35
    assert chosen < random - 0.2


def test_on_llmfao_crowd_votes_prioritised_prompts_draw_fewer_ties(shared_data, capsys):
    votes = shared_data / "llmfao" / "votes.jsonl"
    shares = {}
    for mode in ("random", "prioritised"):
        runs = []
        for seed in (0,):
            args = ["replay", str(votes), "--where", "judge_type=human", "--policy", "uniform"]
            assert (
                main([*args, "--budget", "1500", "--prompts", mode, "--seed", str(seed), "--json"])
                == 0
            )
            runs.append(json.loads(capsys.readouterr().out)["tie_share"])
        shares[mode] = np.mean(runs)
    assert shares["prioritised"] < shares["random"] - 0.02


def test_replay_refuses_a_bad_budget(tmp_path, capsys):
    write_votes(tmp_path / "v.jsonl", np.random.default_rng(0))
    assert main(["replay", str(tmp_path / "v.jsonl"), "--policy", "uniform", "--budget", "0"]) == 2
    assert "budget" in capsys.readouterr().err


def test_a_tournament_replayed_uses_real_votes_and_counts_the_matches_it_could_not_play(tmp_path):
    rows = write_votes(tmp_path / "v.jsonl", np.random.default_rng(2))
    rows = [r for r in rows if {r["model_a"], r["model_b"]} != {"w", "z"}]  # one pair never met
    (tmp_path / "v.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    records = read_records(tmp_path / "v.jsonl", [])
    out = replay(
        records,
        policy="baseline",
        budget=40,
        seed=0,
        refit=10,
        prompts="random",
        random_share=0.2,
        dissimilarity={},
    )
    assert out["n_votes"] <= 40
    assert out["coin_matches"] > 0  # the baseline w never met z
    assert out["competitors_ranked"] == 3  # z played only the baseline: never voted
