"""Bearer API keys: `Authorization: Bearer KEY`."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from arena import selectors
from arena.exceptions import InvalidApiKey
from arena.models import ApiKey, User
from arena.services.api_keys import api_key_touch


class ApiKeyAuthentication(BaseAuthentication):
    """``request.auth`` is the ApiKey; ``request.user`` its user (anonymous for a judge key)."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[User | AnonymousUser, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:  # noqa: PLR2004
            raise exceptions.AuthenticationFailed(InvalidApiKey.default_message, "invalid_api_key")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            secret = ""
        api_key = selectors.api_key_get_active(secret) if secret else None
        if api_key is None:
            raise exceptions.AuthenticationFailed(InvalidApiKey.default_message, "invalid_api_key")
        api_key_touch(api_key=api_key)
        return api_key.user or AnonymousUser(), api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "arena.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An Arena API key."}
