"""The shared vote schema: its fields, its verdict names, and the check every reader's rows pass.

Every format reader (:mod:`ratings.engine.formats`) turns its file into rows of this schema, so
that the command line, the arena's import and its exports speak one language. This module is
the schema's one description; :mod:`ratings.engine.votefile` re-exports it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ratings.core.types import Outcome

WINNERS: dict[str, Outcome] = {
    "model_a": Outcome.A,
    "model_b": Outcome.B,
    "tie": Outcome.TIE,
    "tie (bothbad)": Outcome.BOTH_BAD,
}
#: Every field of the shared schema, in the order the arena's CSV export writes them.
VOTE_FIELDS: dict[str, str] = {
    "question_id": "the prompt's id: votes on one prompt share it",
    "prompt": "the prompt's text",
    "model_a": "the competitor shown first (as A)",
    "model_b": "the competitor shown second (as B)",
    "winner": "model_a, model_b, tie, or tie (bothbad) when both answers were bad",
    "p_b": "soft label: the probability that B is better, in [0, 1] (AlpacaEval's preference − 1)",
    "judge": "who voted: a judge's name, or a crowd voter's pseudonym",
    "source": "crowd or judge",
    "arena": "the arena the vote was cast in (exports)",
    "voter_kind": "anonymous, signed_in, group_member or judge (exports)",
    "category": "the prompt's category",
    "language": "the prompt's language",
    "reason": "the voter's stated reason, if any (exports)",
    "tags_a": "feedback tags on answer A (exports; ';'-separated in CSV)",
    "tags_b": "feedback tags on answer B (exports; ';'-separated in CSV)",
    "tstamp": "when the vote was cast, Unix seconds",
    "answer_a": "answer A's text (imports; needed for style control and identity checks)",
    "answer_b": "answer B's text (imports)",
}
REQUIRED_FIELDS = ("model_a", "model_b", "winner")
#: The name each outcome has in the ``winner`` field.
WINNER_NAMES: dict[Outcome, str] = {outcome: name for name, outcome in WINNERS.items()}
#: Style features read when a file carries them for both sides (``tokens_a``, ``tokens_b``, …).
STYLE_FEATURES = ("tokens", "header_count", "list_count", "bold_count")


class VoteFileError(ValueError):
    """A vote file cannot be read; the message names the file, the line, the problem and the fix.

    Every reader raises it, so that the command line and the import print one line and exit
    with status 2 instead of a traceback.
    """

    def __init__(self, path: str | Path, line: int, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{path}, line {line}: {problem}")


def is_number(value: Any) -> bool:
    """A JSON number (not a boolean, which Python counts as an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_record(path: str | Path, line: int, record: Any) -> dict[str, Any]:
    """The record if it is a vote of the shared schema; VoteFileError saying what to fix."""
    if not isinstance(record, dict):
        raise VoteFileError(path, line, "expected a JSON object (one vote), not a list or value")
    for name in REQUIRED_FIELDS:
        if not isinstance(record.get(name), str) or not record[name]:
            raise VoteFileError(
                path, line, f"field {name!r} is missing or not a string: every vote names it"
            )
    if record["winner"] not in WINNERS:
        raise VoteFileError(
            path, line, f"winner {record['winner']!r} is not one of {', '.join(WINNERS)}"
        )
    p_b = record.get("p_b")
    if p_b is not None and not (is_number(p_b) and math.isfinite(p_b) and 0.0 <= p_b <= 1.0):
        raise VoteFileError(
            path, line, f"p_b {p_b!r} is not a probability: give a number in [0, 1] or leave it out"
        )
    question = record.get("question_id")
    if isinstance(question, bool) or not isinstance(question, str | int | None):
        raise VoteFileError(path, line, f"question_id {question!r} is not a string or an integer")
    stamp = record.get("tstamp")
    if stamp is not None and not (is_number(stamp) and math.isfinite(stamp)):
        raise VoteFileError(path, line, f"tstamp {stamp!r} is not Unix seconds (a number)")
    for name in ("prompt", "judge", "answer_a", "answer_b", "category", "language"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise VoteFileError(path, line, f"field {name!r} is {value!r}, not a string")
    return record


def prompt_key(record: Mapping[str, Any], field: str = "question_id") -> str | None:
    """The record's grouping key (its prompt id by default), or None when it has none."""
    value = record.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
