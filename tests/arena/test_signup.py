"""Sign-up on the project's user model: rules shown, weak passwords refused, a safe ``next``."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from arena.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"  # noqa: S105


def _sign_up(client: Client, username: str = "ann", password: str = PASSWORD, **query: str):
    url = reverse("signup")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, {"username": username, "password1": password, "password2": password})


def test_sign_up_creates_a_project_user_and_signs_in(client):
    response = _sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("arena")
    user = User.objects.get(username="ann")
    assert get_user_model() is User
    assert user.check_password(PASSWORD)
    assert client.get(reverse("vote-history")).status_code == 200  # signed in


def test_sign_up_page_lists_the_password_rules(client):
    page = client.get(reverse("signup")).content.decode()
    assert "at least 10 characters" in page
    assert "can’t be a commonly used password" in page
    assert "can’t be entirely numeric" in page


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short", "too short"), ("password123", "too common"), ("4815162342108", "entirely numeric")],
)
def test_weak_password_is_refused_with_the_rule_it_breaks(client, password, problem):
    response = _sign_up(client, password=password)
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert not User.objects.exists()


def test_user_name_taken_in_another_case_is_refused(client):
    User.objects.create_user("Ann", password=PASSWORD)
    response = _sign_up(client, username="ann")
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "http:/\\evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
    ],
)
def test_next_to_another_site_is_not_followed(client, target):
    from urllib.parse import quote

    response = _sign_up(client, next=quote(target, safe=""))
    assert response.status_code == 302
    assert response["Location"] == reverse("arena")


def test_next_on_this_site_is_followed(client):
    response = _sign_up(client, next="/me/votes/")
    assert response["Location"] == "/me/votes/"


def test_sign_up_page_carries_a_safe_next_only(client):
    safe = client.get(reverse("signup") + "?next=/groups/join/abc/").content.decode()
    assert 'name="next" value="/groups/join/abc/"' in safe
    unsafe = client.get(reverse("signup") + "?next=https://evil.example/").content.decode()
    assert "evil.example" not in unsafe
