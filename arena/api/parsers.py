"""Request body parsers: checked JSON, and JSON Lines handed on as raw lines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser

from arena import jsonsafe


class CheckedJSONParser(JSONParser):
    """DRF's JSON parser, refusing what ``arena.jsonsafe`` refuses with a 400 ``parse_error``.

    It stays a JSONParser so that DRF reads the body through Django, whose size limit
    (``DATA_UPLOAD_MAX_MEMORY_SIZE``) then answers the API's JSON 413.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return jsonsafe.loads(stream.read().decode(encoding))
        except UnicodeDecodeError:
            raise ParseError(f"JSON parse error: the body is not {encoding} text.") from None
        except jsonsafe.UnsafeJSON as error:
            raise ParseError(f"JSON parse error: {error}") from None


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
