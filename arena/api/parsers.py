"""Request body parsers: checked JSON, and JSON Lines spooled for the upload service to read
line by line, twice."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser

from arena import jsonsafe


class PayloadTooLarge(exceptions.APIException):
    # Here, not in arena.api.errors: DRF's settings import this module, and errors imports
    # DRF's views, which read those settings.
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


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


#: Bodies up to this size stay in memory; larger ones go to a temporary file.
SPOOL_BYTES = 1024 * 1024
CHUNK_BYTES = 256 * 1024


class JSONLinesParser(BaseParser):
    """Copy the body, in chunks, into a spooled file; 413 as soon as it passes the limit.

    Nothing is parsed here: the service reads the lines, so that one bad line names its number,
    and reads them twice (checks, then writes), so that no more than one line and one batch of
    rows are ever in memory. The limit also holds for a chunked body without Content-Length.
    """

    media_type = "application/x-ndjson"

    def parse(  # type: ignore[override]
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> IO[bytes]:
        view = (parser_context or {}).get("view")
        limit = int(
            getattr(settings, getattr(view, "body_limit_setting", "ARENA_API_MAX_UPLOAD_BYTES"))
        )
        body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        size = 0
        while stream is not None and (chunk := stream.read(CHUNK_BYTES)):
            size += len(chunk)
            if size > limit:
                body.close()
                raise PayloadTooLarge(
                    f"The request body has more than {limit} bytes; this endpoint takes at most "
                    f"{limit}. Split it into smaller requests."
                )
            body.write(chunk)
        body.seek(0)
        return body


class JSONLParser(JSONLinesParser):
    media_type = "application/jsonl"
