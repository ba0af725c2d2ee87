"""Every API error as JSON ``{"code", "message"}``: the arena's refusals and DRF's own."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from arena.api.parsers import PayloadTooLarge
from arena.exceptions import ArenaError
from arena.middleware import is_database_unavailable, unavailable_response

# Stable codes for DRF's errors, whatever wording DRF uses.
_CODES = {
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "invalid_api_key",
    exceptions.NotAuthenticated: "invalid_api_key",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid_request",
}


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 for pages, the API's JSON error under /api/."""
    if request.path.startswith("/api/"):
        message = "Nothing here; the endpoints are listed in /api/schema/ and /api/docs/."
        return JsonResponse(error_body("not_found", message), status=404)
    return defaults.page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its except block: a lost database (raised outside a view, say by
    # the session middleware) gets 503 + Retry-After rather than a 500 page.
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        message = "The server failed on this request; it was logged. Retry later."
        return JsonResponse(error_body("server_error", message), status=500)
    return defaults.server_error(request)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ArenaError):
        body = error_body(exc.code, exc.message, **getattr(exc, "extra", {}))
        return Response(body, status=exc.status)
    if isinstance(exc, RequestDataTooBig):  # a body without Content-Length, over the limit
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("Nothing here; check the path against /api/schema/.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    response.data = _body_for(exc)
    return response


def _body_for(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail
        return error_body("invalid_request", "; ".join(_flatten(fields)), fields=fields)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) and codes not in _GENERIC else None
    code = code or next((c for t, c in _CODES.items() if isinstance(exc, t)), exc.default_code)
    message = str(exc.detail)
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait is not None:
        message = f"Too many requests; retry after {int(wait) + 1} seconds."
    return error_body(str(code), message)


# DRF's default codes, replaced by the stable ones above.
_GENERIC = {
    "error",
    "parse_error",
    "authentication_failed",
    "not_authenticated",
    "permission_denied",
    "not_found",
    "method_not_allowed",
    "not_acceptable",
    "unsupported_media_type",
    "throttled",
}


def _flatten(detail: Any, path: str = "") -> list[str]:
    if isinstance(detail, dict):
        return [m for k, v in detail.items() for m in _flatten(v, f"{path}{k}: ")]
    if isinstance(detail, list):
        return [m for v in detail for m in _flatten(v, path)]
    return [f"{path}{detail}"]
