"""Accounts in a real browser: sign up from an invitation, join the group, sign out, sign in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arena.models import User, VoterGroup
from tests.e2e.browser import browser_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("ARENA_SCREENSHOTS", "/tmp/arena-screenshots"))  # noqa: S108
PASSWORD = "a long enough passphrase"  # noqa: S105


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here run between
    # browser steps, never concurrently with them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_sign_up_from_an_invitation_joins_the_group_then_sign_out_and_in(
    arena_setup, experts, live_server
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    invitation = f"{live_server.url}/groups/join/{experts.invite_token}/"
    with browser_page(viewport={"width": 1280, "height": 900}) as page:
        page.goto(invitation)  # anonymous: sent to sign in, the invitation kept in `next`
        assert page.url.startswith(f"{live_server.url}/accounts/login/")
        page.get_by_role("link", name="Create one").click()
        page.wait_for_selector("#signup-form")
        assert "at least 10 characters" in page.inner_text("#id_password1_helptext")

        page.fill("#id_username", "ann")
        page.fill("#id_password1", "short")
        page.fill("#id_password2", "short")
        page.get_by_role("button", name="Create account").click()
        assert "too short" in page.inner_text("#id_password2_errors")
        page.screenshot(path=str(SCREENSHOTS / "signup-refused.png"), full_page=True)

        page.fill("#id_password1", PASSWORD)
        page.fill("#id_password2", PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_selector("text=You are now a member of Experts")
        assert page.url == f"{live_server.url}/"
        assert list(experts.members.values_list("username", flat=True)) == ["ann"]

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_selector("a:has-text('Sign in')")
        assert page.get_by_role("link", name="My votes").count() == 0

        page.get_by_role("link", name="Sign in").click()
        page.fill("#id_username", "ann")
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("a:has-text('My votes')")
        page.get_by_role("link", name="My votes").click()
        assert page.url == f"{live_server.url}/me/votes/"
    assert User.objects.get(username="ann").groups.count() == 0  # Django's groups: untouched
    assert VoterGroup.objects.get(pk=experts.pk).members.count() == 1


@pytest.mark.parametrize(
    ("name", "viewport", "phone"),
    [("signup-desktop", (1280, 900), False), ("signup-phone", (390, 844), True)],
)
def test_sign_up_page_fits_desktop_and_phone(db, live_server, name, viewport, phone):
    width, height = viewport
    options = {"viewport": {"width": width, "height": height}}
    if phone:
        options |= {"is_mobile": True, "has_touch": True}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with browser_page(**options) as page:
        page.goto(f"{live_server.url}/accounts/signup/")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        field = page.locator("#id_password1").bounding_box()
        rules = page.locator("#id_password1_helptext li").count()
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert scroll_width <= width
    assert field["x"] >= 0
    assert field["x"] + field["width"] <= width
    assert rules == 4
