"""Answer files: the texts that go with a vote file, whatever project wrote them.

Each record becomes ``{"model", "question_id", "answer", …}`` (cost fields kept):

- the shared ``answers.jsonl``: ``model``, ``question_id``, ``answer``;
- FastChat / MT-Bench and arena-hard v0.1 ``model_answer`` files: ``model_id``, ``question_id``,
  ``choices[0].turns`` (strings, or ``{"content"}`` objects), the turns joined;
- arena-hard v2 ``model_answer`` files: ``model``, ``uid``, ``messages`` (the assistant's last
  ``content``, a string or ``{"answer"}``);
- AlpacaEval model outputs: ``generator``, ``instruction``, ``output`` (the id is the
  instruction's, as :mod:`~ratings.engine.formats.alpaca_eval` gives it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ratings.engine.formats.alpaca_eval import instruction_id
from ratings.engine.formats.common import message_text, require_dict, turns_text
from ratings.engine.formats.schema import VoteFileError
from ratings.engine.formats.source import json_records


def read_answers(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, answer)`` for each answer of the file; VoteFileError for one it cannot read."""
    for line, raw in json_records(path):
        record = require_dict(path, line, raw)
        answer = _answer(record)
        if answer is None:
            raise VoteFileError(
                path,
                line,
                "not an answer: expected model, question_id and answer (or a FastChat, "
                "arena-hard or AlpacaEval answer record)",
            )
        yield line, answer


def _answer(record: Mapping[str, Any]) -> dict[str, Any] | None:
    if "answer" in record and "model" in record:
        return dict(record)
    if "choices" in record:
        choices = record["choices"]
        first = choices[0] if isinstance(choices, list) and choices else {}
        turns = first.get("turns") if isinstance(first, Mapping) else None
        return {
            "model": record.get("model_id", record.get("model")),
            "question_id": record.get("question_id", record.get("uid")),
            "answer": turns_text(turns),
        }
    if "messages" in record:
        messages = record["messages"]
        said = [
            message_text(m.get("content"))
            for m in (messages if isinstance(messages, list) else [])
            if isinstance(m, Mapping) and m.get("role") == "assistant"
        ]
        return {
            "model": record.get("model"),
            "question_id": record.get("uid", record.get("question_id")),
            "answer": said[-1] if said else "",
        }
    if "generator" in record and "output" in record and isinstance(record.get("instruction"), str):
        return {
            "model": record["generator"],
            "question_id": instruction_id(str(record["instruction"])),
            "answer": record["output"],
        }
    return None
