"""The crowd's account forms, bound to the project's user model (``AUTH_USER_MODEL``)."""

from __future__ import annotations

from django.contrib.auth.forms import UserCreationForm

from arena.models import User


class SignupForm(UserCreationForm[User]):
    """Django's sign-up form on ``arena.User``: the stock one is bound to ``auth.User``.

    It keeps the stock checks: a user name unique regardless of case, the two passwords equal,
    and the ``AUTH_PASSWORD_VALIDATORS`` rules, which its password help text lists.
    """

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)
