"""Answering while the database is away: 503 with Retry-After, never a 500 page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
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
