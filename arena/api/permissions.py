"""One permission per API key scope: a missing or wrong key is 401, a missing scope 403."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from arena.exceptions import InvalidApiKey
from arena.models import ApiKey

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.views import APIView


class _HasScope(BasePermission):
    scope = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            raise exceptions.NotAuthenticated(InvalidApiKey.default_message, "invalid_api_key")
        if not api_key.has_scope(self.scope):
            raise exceptions.PermissionDenied(
                f"This API key lacks the {self.scope!r} scope; create a key with "
                f"`manage.py judge_key create NAME --scopes {self.scope}`.",
                "scope_missing",
            )
        return True


class JudgeScope(_HasScope):
    scope = ApiKey.Scope.JUDGE


class SubmitScope(_HasScope):
    scope = ApiKey.Scope.SUBMIT


class ReadScope(_HasScope):
    scope = ApiKey.Scope.READ
