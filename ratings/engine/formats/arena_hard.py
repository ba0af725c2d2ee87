"""arena-hard-auto judgment files (``data/<bench>/model_judgment/<judge>/<model>.jsonl``).

A record judges one ``model`` against the benchmark's baseline on one question (``uid`` in
v2, ``question_id`` in v0.1) in two ``games``: game 1 shows the baseline as A and the model as
B, game 2 swaps them. Each game's ``score`` is a verdict label such as ``A>>B``, ``A>B``,
``A=B``, ``B>A`` or ``B>>A`` (``A<B``-style labels too). Following the shared Ko-Arena
convention, each game becomes one vote with the baseline as ``model_a`` and the model as
``model_b`` whatever the screen order (``position_swapped`` says it), the winner by name,
``judge_label`` the raw label and ``weight`` 3 for a strong verdict (``>>``), else 1 — the
repetition arena-hard's own scoring uses. As arena-hard does, a judgment with a missing score in
either game is left out.

The baseline is the record's ``baseline`` when it has one, else the one given to the reader,
else arena-hard's default for the record's ``category`` (``gpt-4-0314`` for v0.1 files).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ratings.engine.formats.common import require_dict, without
from ratings.engine.formats.schema import VoteFileError
from ratings.engine.formats.source import json_records

NAME = "arena-hard"
#: arena-hard-auto's baselines by category (v2), and v0.1's when there is no category.
DEFAULT_BASELINES = {
    "hard_prompt": "o3-mini-2025-01-31",
    "creative_writing": "gemini-2.0-flash-001",
    "": "gpt-4-0314",
}
#: Which screen position each label prefers: "A", "B", or "" for a tie.
_LABELS = {
    "A>>B": "A",
    "A>B": "A",
    "A=B": "",
    "A<B": "B",
    "A<<B": "B",
    "B>>A": "B",
    "B>A": "B",
    "B=A": "",
    "B<A": "A",
    "B<<A": "A",
}
_DROPPED = {"games", "model", "uid", "baseline"}


def matches(first: Mapping[str, Any]) -> bool:
    return "games" in first and "model" in first


def read(path: str | Path, baseline: str | None = None) -> Iterator[tuple[int, Any]]:
    for line, raw in json_records(path):
        record = require_dict(path, line, raw)
        games = record.get("games")
        if not isinstance(games, list) or len(games) != 2:  # noqa: PLR2004 - the two orders
            raise VoteFileError(path, line, "games must be a list of the two games' verdicts")
        scores = [game.get("score") if isinstance(game, Mapping) else None for game in games]
        if None in scores:
            continue
        base = _baseline(path, line, record, baseline)
        model = record.get("model")
        common = without(record, _DROPPED)
        if "uid" in record and "question_id" not in record:
            common["question_id"] = record["uid"]
        for number, label in enumerate(scores, start=1):
            if label not in _LABELS:
                raise VoteFileError(
                    path, line, f"game {number} score {label!r} is not one of {', '.join(_LABELS)}"
                )
            preferred = _LABELS[str(label)]
            # Game 1 shows the baseline as A, game 2 shows the model as A.
            model_won = preferred == ("B" if number == 1 else "A")
            winner = "tie" if not preferred else ("model_b" if model_won else "model_a")
            yield (
                line,
                {
                    **common,
                    "model_a": base,
                    "model_b": model,
                    "winner": winner,
                    "game": number,
                    "position_swapped": number == 2,  # noqa: PLR2004
                    "judge_label": label,
                    "weight": 3 if (">>" in str(label) or "<<" in str(label)) else 1,
                },
            )


def _baseline(path: str | Path, line: int, record: Mapping[str, Any], given: str | None) -> str:
    if isinstance(record.get("baseline"), str) and record["baseline"]:
        return str(record["baseline"])
    if given:
        return given
    category = str(record.get("category") or "")
    if category in DEFAULT_BASELINES:
        return DEFAULT_BASELINES[category]
    raise VoteFileError(
        path, line, f"no baseline known for category {category!r}: give it with --baseline NAME"
    )
