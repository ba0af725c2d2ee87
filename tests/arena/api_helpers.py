"""Helpers for the API tests: keys and authenticated JSON requests."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from arena.models import Judge, User
from arena.services.api_keys import api_key_create


def key_for(
    *, scopes: list[str], judge: Judge | None = None, user: User | None = None, name: str = "k"
) -> str:
    return api_key_create(name=name, scopes=scopes, judge=judge, user=user)[1]


class Api:
    """A client that sends JSON with a bearer key."""

    def __init__(self, key: str | None = None) -> None:
        self.client = Client()
        self.key = key

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return {**headers, **(extra or {})}

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.client.post(
            path, data, content_type="application/json", headers=self.headers(headers)
        )

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers())
