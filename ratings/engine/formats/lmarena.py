"""LMArena's public battle files (Chatbot Arena conversations, the ``clean_battle`` dumps, the
human-preference sets on Kaggle), and MT-Bench's human judgments, which share their shape.

A record has ``model_a``, ``model_b`` and either ``winner`` or the one-hot ``winner_model_a`` /
``winner_model_b`` / ``winner_tie``; answers come as ``conversation_a/_b`` (OpenAI-style
messages) or ``prompt`` with ``response_a/_b`` (lists of turns, possibly JSON-encoded). A string
``judge`` is a person (``crowd:<judge>``); a list (MT-Bench's ``["gpt-4", "pair-v2"]``) names a
model judge by its first item. JSON Lines or one JSON array.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ratings.engine.formats.common import (
    conversation_texts,
    require_dict,
    text_id,
    turns_text,
    without,
)
from ratings.engine.formats.schema import VoteFileError
from ratings.engine.formats.source import json_records

NAME = "lmarena"
_ONE_HOT = ("winner_model_a", "winner_model_b", "winner_tie")
_MARKERS = ("winner_model_a", "conversation_a", "response_a", "anony")
_DROPPED = {
    "winner",
    *_ONE_HOT,
    "conversation_a",
    "conversation_b",
    "prompt",
    "response_a",
    "response_b",
    "judge",
    "openai_moderation",
    "toxic_chat_tag",
}


def matches(first: Mapping[str, Any]) -> bool:
    return "model_a" in first and any(name in first for name in _MARKERS)


def read(path: str | Path, baseline: str | None = None) -> Iterator[tuple[int, Any]]:
    del baseline
    for line, raw in json_records(path):
        yield line, battle_record(path, line, require_dict(path, line, raw))


def battle_record(path: str | Path, line: int, raw: dict[str, Any]) -> dict[str, Any]:
    """One battle in the shared schema."""
    record = without(raw, _DROPPED)
    record["winner"] = _winner(path, line, raw)
    prompt, answer_a, answer_b = _texts(path, line, raw)
    if prompt:
        record["prompt"] = prompt
    if answer_a and answer_b:
        record["answer_a"], record["answer_b"] = answer_a, answer_b
    if raw.get("question_id") is None and prompt:
        record["question_id"] = text_id("prompt", prompt)
    judge = raw.get("judge")
    if isinstance(judge, list) and judge and isinstance(judge[0], str):
        record["judge"] = judge[0]
        record["judge_prompt"] = "/".join(str(part) for part in judge[1:])
    elif isinstance(judge, str) and judge:
        record["judge"] = judge if judge.startswith("crowd:") else f"crowd:{judge}"
        record["judge_type"] = "human"
    return record


def _winner(path: str | Path, line: int, raw: Mapping[str, Any]) -> Any:
    winner = raw.get("winner")
    if winner is None and any(name in raw for name in _ONE_HOT):
        hot = [name for name in _ONE_HOT if raw.get(name) in (1, True, "1")]
        if len(hot) != 1:
            raise VoteFileError(
                path, line, "winner_model_a, winner_model_b and winner_tie must hold exactly one 1"
            )
        return {"winner_model_a": "model_a", "winner_model_b": "model_b"}.get(hot[0], "tie")
    if isinstance(winner, str) and winner.startswith("tie"):
        return "tie (bothbad)" if "bothbad" in winner.replace(" ", "") else "tie"
    return winner


def _texts(path: str | Path, line: int, raw: Mapping[str, Any]) -> tuple[str, str, str]:
    if "conversation_a" in raw and "conversation_b" in raw:
        prompt, answer_a = conversation_texts(path, line, raw["conversation_a"], "conversation_a")
        _, answer_b = conversation_texts(path, line, raw["conversation_b"], "conversation_b")
        return prompt, answer_a, answer_b
    prompt = turns_text(raw.get("prompt"))
    return prompt, turns_text(raw.get("response_a")), turns_text(raw.get("response_b"))
