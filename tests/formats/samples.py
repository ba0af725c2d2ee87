"""Small vote files written in each format's own shape, from one list of battles.

Each writer takes the same battles (prompt, A, B, winner, answers) and writes them the way the
format's authors do, so that every reader can be checked against the shared-schema original.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np

MODELS = ("alpha", "bravo", "charlie", "delta")
WINNERS = ("model_a", "model_b", "tie", "tie (bothbad)")


def battles(n: int = 60, seed: int = 7) -> list[dict[str, Any]]:
    """Shared-schema votes over 4 models and 6 prompts, with answers; winners random."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        a, b = rng.choice(len(MODELS), size=2, replace=False)
        q = int(rng.integers(6))
        rows.append(
            {
                "question_id": f"q{q}",
                "prompt": f"Question number {q}?",
                "model_a": MODELS[a],
                "model_b": MODELS[b],
                "winner": WINNERS[int(rng.integers(3 if i % 5 else 4))],
                "judge": f"crowd:{i % 3}",
                # Answers that name no competitor (an answer that does is kept off boards).
                "answer_a": f"**Point {q}.{a}** holds\n- one item for {q}",
                "answer_b": f"# Heading {q}.{b}\nA plain reply to {q}, variant {b}",
            }
        )
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]], *, compress: bool = False) -> Path:
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_json(path: Path, rows: list[Any]) -> Path:
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def lmarena_conversations(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chatbot Arena conversations: conversation_a/_b, winner, a bare judge id."""
    return [
        {
            "question_id": r["question_id"],
            "model_a": r["model_a"],
            "model_b": r["model_b"],
            "winner": r["winner"],
            "judge": r["judge"].removeprefix("crowd:"),
            "conversation_a": [
                {"role": "user", "content": r["prompt"]},
                {"role": "assistant", "content": r["answer_a"]},
            ],
            "conversation_b": [
                {"role": "user", "content": r["prompt"]},
                {"role": "assistant", "content": r["answer_b"]},
            ],
            "turn": 1,
            "anony": True,
            "language": "English",
            "tstamp": 1_700_000_000 + i,
        }
        for i, r in enumerate(rows)
    ]


def lmarena_one_hot(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Kaggle human-preference shape: prompt/response_a/_b JSON lists, one-hot winners.

    It has no both-bad verdict, so the rows given must not hold one."""
    return [
        {
            "id": 1000 + i,
            "model_a": r["model_a"],
            "model_b": r["model_b"],
            "prompt": json.dumps([r["prompt"]]),
            "response_a": json.dumps([r["answer_a"]]),
            "response_b": json.dumps([r["answer_b"]]),
            "winner_model_a": int(r["winner"] == "model_a"),
            "winner_model_b": int(r["winner"] == "model_b"),
            "winner_tie": int(r["winner"].startswith("tie")),
        }
        for i, r in enumerate(rows)
    ]


_GAME1 = {"model_a": "A>B", "model_b": "B>>A", "tie": "A=B"}  # baseline shown as A
_GAME2 = {"model_a": "B>A", "model_b": "A>B", "tie": "B=A"}  # the model shown as A


def arena_hard(
    rows: list[dict[str, Any]], baseline: str = "alpha"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """arena-hard v2 judgments of every non-baseline model against ``baseline`` (two games per
    judgment), the battles they amount to in the shared schema, and the v2 answer records."""
    judgments, expected, answers = [], [], []
    seen: set[tuple[str, str]] = set()
    for r in rows:
        if r["model_a"] != baseline or (r["model_b"], r["question_id"]) in seen:
            continue
        seen.add((r["model_b"], r["question_id"]))
        winner = "tie" if r["winner"].startswith("tie") else r["winner"]
        judgments.append(
            {
                "uid": r["question_id"],
                "category": "hard_prompt",
                "judge": "gpt-4.1",
                "model": r["model_b"],
                "baseline": baseline,
                "games": [
                    {"user_prompt": "…", "judgment": "…", "score": _GAME1[winner]},
                    {"user_prompt": "…", "judgment": "…", "score": _GAME2[winner]},
                ],
            }
        )
        for game in (1, 2):
            expected.append({**r, "winner": winner, "judge": "gpt-4.1", "game": game})
        for model, text in ((r["model_a"], r["answer_a"]), (r["model_b"], r["answer_b"])):
            answers.append(
                {
                    "uid": r["question_id"],
                    "ans_id": f"{model}-{r['question_id']}",
                    "model": model,
                    "messages": [
                        {"role": "user", "content": r["prompt"]},
                        {"role": "assistant", "content": {"answer": text}},
                    ],
                    "tstamp": 1_700_000_000.0,
                    "metadata": {"token_len": len(text.split())},
                }
            )
    return judgments, expected, answers


def alpaca_eval(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """AlpacaEval annotations with soft preferences in [1, 2]."""
    prefs = {"model_a": 1.2, "model_b": 1.9, "tie": 1.5, "tie (bothbad)": 1.5}
    return [
        {
            "instruction": r["prompt"],
            "output_1": r["answer_a"],
            "generator_1": r["model_a"],
            "output_2": r["answer_b"],
            "generator_2": r["model_b"],
            "annotator": "weighted_alpaca_eval_gpt4_turbo",
            "preference": prefs[r["winner"]] + (0.01 * (i % 3) if r["winner"] != "tie" else 0),
            "dataset": "helpful_base",
        }
        for i, r in enumerate(rows)
    ]


def mtbench_pairs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FastChat gpt-4_pair judgments: two games mapped back to model_1/model_2."""
    verdict = {"model_a": "model_1", "model_b": "model_2", "tie": "tie", "tie (bothbad)": "tie"}
    return [
        {
            "question_id": r["question_id"],
            "model_1": r["model_a"],
            "model_2": r["model_b"],
            "g1_winner": verdict[r["winner"]],
            "g2_winner": verdict[r["winner"]],
            "judge": ["gpt-4", "pair-v2"],
            "g1_user_prompt": "…",
            "g1_judgment": "[[A]]",
            "g2_user_prompt": "…",
            "g2_judgment": "[[B]]",
            "turn": 1,
            "tstamp": 1_700_000_000.0,
        }
        for r in rows
    ]
