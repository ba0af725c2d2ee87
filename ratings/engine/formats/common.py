"""Helpers the format readers share: conversations into texts, ids for prompts without one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ratings.engine.formats.schema import VoteFileError

TURN_SEPARATOR = "\n\n"


def text_id(prefix: str, text: str) -> str:
    """A stable prompt id for a file that names prompts only by their text."""
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def message_text(content: Any) -> str:
    """A message's text: a string, a list of parts, or arena-hard's ``{"answer": …}``."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        for key in ("answer", "content", "text"):
            if isinstance(content.get(key), str):
                return str(content[key])
        return ""
    if isinstance(content, list):
        return TURN_SEPARATOR.join(message_text(part) for part in content if part is not None)
    return ""


def conversation_texts(
    path: str | Path, line: int, conversation: Any, field: str
) -> tuple[str, str]:
    """The user turns and the assistant turns of an OpenAI-style message list, each joined."""
    if not isinstance(conversation, list):
        raise VoteFileError(path, line, f"{field} is not a list of messages")
    user: list[str] = []
    assistant: list[str] = []
    for message in conversation:
        if not isinstance(message, Mapping):
            raise VoteFileError(path, line, f"{field} holds a message that is not an object")
        role = message.get("role")
        text = message_text(message.get("content"))
        if role == "user":
            user.append(text)
        elif role == "assistant":
            assistant.append(text)
    return TURN_SEPARATOR.join(user), TURN_SEPARATOR.join(assistant)


def turns_text(value: Any) -> str:
    """Turns stored as a list (or a JSON-encoded list, as in LMArena's 55k file), joined."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return str(value)
    if isinstance(value, list):
        return TURN_SEPARATOR.join("" if v is None else message_text(v) for v in value)
    return "" if value is None else str(value)


def require_dict(path: str | Path, line: int, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise VoteFileError(path, line, "expected a JSON object (one record), not a list or value")
    return value


def without(record: Mapping[str, Any], names: set[str]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in names}
