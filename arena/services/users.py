"""Voter accounts."""

from __future__ import annotations

from arena.models import User


def user_register(*, username: str, password: str) -> User:
    """A new voter account (sign-in is optional; it gives a vote history and group membership)."""
    return User.objects.create_user(username=username, password=password)
