"""JSON Lines request bodies, handed on as raw lines for the service to parse and number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.parsers import BaseParser


class JSONLinesParser(BaseParser):
    media_type = "application/x-ndjson"

    # The lines, each parsed by the view, so that one bad line names its number.
    def parse(  # type: ignore[override]
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> list[bytes]:
        return [] if stream is None else stream.read().splitlines()


class JSONLParser(JSONLinesParser):
    media_type = "application/jsonl"
