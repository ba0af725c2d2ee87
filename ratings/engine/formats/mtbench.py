"""MT-Bench pairwise judgments: FastChat's ``model_judgment/gpt-4_pair.jsonl`` and the human
judgments (which have LMArena's shape and are read as :mod:`~ratings.engine.formats.lmarena`).

A FastChat judgment has ``model_1``, ``model_2`` and the verdicts of two games, ``g1_winner``
(``model_1`` shown as A) and ``g2_winner`` (positions swapped, already mapped back to
``model_1``/``model_2``), each ``model_1``, ``model_2``, ``tie`` or ``error``. As FastChat's
``show_result`` does: a judgment with an ``error`` is left out, two agreeing games give their
winner, two disagreeing games a tie. ``judge`` is ``[model, prompt name]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ratings.engine.formats.common import require_dict, without
from ratings.engine.formats.lmarena import battle_record
from ratings.engine.formats.schema import VoteFileError
from ratings.engine.formats.source import json_records

NAME = "mtbench"
_VERDICTS = {"model_1": "model_a", "model_2": "model_b", "tie": "tie"}
_DROPPED = {"model_1", "model_2", "judge", "g1_user_prompt", "g2_user_prompt"}


def matches(first: Mapping[str, Any]) -> bool:
    return "g1_winner" in first and "model_1" in first


def read(path: str | Path, baseline: str | None = None) -> Iterator[tuple[int, Any]]:
    del baseline
    for line, raw in json_records(path):
        record = require_dict(path, line, raw)
        if "g1_winner" not in record:
            yield line, battle_record(path, line, record)
            continue
        games = [record.get("g1_winner"), record.get("g2_winner")]
        if "error" in games:
            continue
        for game in games:
            if game not in _VERDICTS:
                raise VoteFileError(
                    path, line, f"game verdict {game!r} is not model_1, model_2, tie or error"
                )
        out = without(record, _DROPPED)
        out["model_a"], out["model_b"] = record.get("model_1"), record.get("model_2")
        out["winner"] = _VERDICTS[str(games[0])] if games[0] == games[1] else "tie"
        judge = record.get("judge")
        if isinstance(judge, list) and judge:
            out["judge"] = str(judge[0])
            out["judge_prompt"] = "/".join(str(part) for part in judge[1:])
        elif isinstance(judge, str):
            out["judge"] = judge
        yield line, out
