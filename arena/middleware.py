"""Answering while the database is away (503 with Retry-After), and refusing unusable requests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

#: The errors psycopg raises when the server is down, restarting or refusing connections.
UNAVAILABLE = (OperationalError, InterfaceError)


def is_database_unavailable(error: BaseException | None) -> bool:
    """True for a lost or refused connection; other database errors are bugs and stay 500s."""
    if isinstance(error, UNAVAILABLE):
        return True
    # A failure inside an atomic block can surface as a plain DatabaseError wrapping it.
    cause = getattr(error, "__cause__", None)
    return isinstance(error, DatabaseError) and isinstance(cause, UNAVAILABLE)


def unavailable_response(request: HttpRequest, message: str | None = None) -> HttpResponse:
    """A 503 that needs nothing from the database (no template context, no session).

    A page gets the site's styled page: a GET reloads itself after ``Retry-After``; a form that
    failed (a vote) is offered again with the same fields, so the voter keeps their place and
    their choice. A vote is recorded at most once, so sending it again is safe.
    """
    retry = str(settings.ARENA_RETRY_AFTER_SECONDS)
    message = message or (
        "The database is busy or unavailable for a moment; retry shortly. A vote is recorded "
        "at most once, so retrying it is safe."
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "service_unavailable", "message": message}, status=503
        )
    else:
        resend = (
            [(k, v) for k, values in request.POST.lists() for v in values]
            if request.method == "POST"
            else []
        )
        body = render_to_string(
            "503.html",
            {"message": message, "retry_after": retry, "path": request.path, "resend": resend},
        )
        response = HttpResponse(body, status=503)
    response["Retry-After"] = retry
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a lost database connection raised by a view into 503 + Retry-After.

    A transaction that had not committed was rolled back; one that had (the error came later,
    say while rendering) keeps its vote, and the retry is then refused as a second vote (409),
    so a retried vote is still recorded once. Django's ``CONN_HEALTH_CHECKS`` then replaces the
    broken connection on the next request, so the site recovers by itself when PostgreSQL is
    back.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        # One line, no traceback: this is an expected, transient condition (the stack is in
        # the DEBUG log for whoever needs it).
        logger.warning("database unavailable on %s: %s", request.path, exception)
        logger.debug("database unavailable", exc_info=exception)
        return unavailable_response(request)


def refusal(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """A 4xx needing nothing from the database: JSON under /api/, plain text for pages."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": code, "message": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def too_large(request: HttpRequest, limit: int | None = None) -> HttpResponse:
    limit = limit or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = (
        f"The request body is too large: this endpoint takes at most {limit} bytes. "
        "Split it into smaller requests."
    )
    return refusal(request, 413, "payload_too_large", message)


def _content_length(request: HttpRequest) -> int | None:
    length = request.META.get("CONTENT_LENGTH") or "0"
    ok = isinstance(length, str) and length.isascii() and length.isdigit()
    return int(length) if ok else None


class RequestCheckMiddleware:
    """Refuses, before any view or database query, what no page or endpoint can take.

    A NUL character in the path, the query or a form field (PostgreSQL's text cannot hold one,
    so it used to fail as a 500 at the first query), a Content-Length that is not a number
    (400), and a body over the view's limit (413, before the body is read): a view's class
    names the setting that holds its limit in ``body_limit_setting`` (the API's views
    ``ARENA_API_MAX_BODY_BYTES``, uploads ``ARENA_API_MAX_UPLOAD_BYTES``); other views take
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``. Django's own size error, from a body sent without a
    Content-Length, becomes the same 413. Refusals are JSON ``{"code", "message"}`` under
    /api/ and plain text elsewhere.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _has_nul(request.GET):
            return refusal(request, 400, "bad_request", "The address holds a NUL character.")
        if _content_length(request) is None:
            return refusal(request, 400, "bad_request", "Content-Length is not a number.")
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        setting = getattr(view_class, "body_limit_setting", "DATA_UPLOAD_MAX_MEMORY_SIZE")
        limit = int(getattr(settings, setting))
        if (_content_length(request) or 0) > limit:
            return too_large(request, limit)
        if request.method != "POST" or request.path_info.startswith("/api/"):
            return None
        try:
            nul = _has_nul(request.POST)
        except RequestDataTooBig:
            return too_large(request)
        if nul:
            return refusal(request, 400, "bad_request", "A form field holds a NUL character.")
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return too_large(request) if isinstance(exception, RequestDataTooBig) else None


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in data.getlist(key)) for key in data)
