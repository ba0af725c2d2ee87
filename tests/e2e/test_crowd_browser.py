"""The arena page in a real browser: a vote by click, a vote by keyboard, names revealed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from arena.models import Battle, Outcome, Vote
from tests.e2e.browser import browser_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("ARENA_SCREENSHOTS", "/tmp/arena-screenshots"))  # noqa: S108


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here run between
    # browser steps, never concurrently with them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _shown_battle(page) -> Battle:
    action = page.get_attribute("#vote-form", "action")
    return Battle.objects.select_related("competitor_a", "competitor_b").get(
        public_id=action.split("/")[2]
    )


def test_vote_by_click_and_by_keyboard_reveals_names_and_records_once(arena_setup, live_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with browser_page(viewport={"width": 1200, "height": 900}) as page:
        page.goto(live_server.url + "/")
        first = _shown_battle(page)
        assert page.locator("[data-testid=name-a]").count() == 0
        page.screenshot(path=str(SCREENSHOTS / "arena.png"), full_page=True)

        page.get_by_role("button", name="A is better").click()
        page.wait_for_selector("#vote-recorded")
        assert page.inner_text("[data-testid=name-a]") == first.competitor_a.name
        assert page.inner_text("[data-testid=name-b]") == first.competitor_b.name
        page.screenshot(path=str(SCREENSHOTS / "revealed.png"), full_page=True)

        page.keyboard.press("n")
        page.wait_for_selector("#vote-form")
        second = _shown_battle(page)
        assert second.pk != first.pk
        page.keyboard.press("b")
        page.wait_for_selector("#vote-recorded")
        assert page.inner_text("[data-testid=name-b]") == second.competitor_b.name
        # A repeated key press after the vote changes nothing.
        page.keyboard.press("a")

    votes = list(Vote.objects.order_by("id").values_list("battle_id", "outcome"))
    assert votes == [(first.pk, Outcome.A), (second.pk, Outcome.B)]


def test_arena_page_fits_a_phone_screen(arena_setup, live_server):
    with browser_page(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ) as page:
        page.goto(live_server.url + "/")
        width = page.evaluate("document.documentElement.scrollWidth")
        box_a = page.locator("#answer-a").bounding_box()
        box_b = page.locator("#answer-b").bounding_box()
        buttons = [
            page.get_by_role("button", name=n).bounding_box()
            for n in ("A is better", "B is better", "Tie", "Both are bad")
        ]
        page.screenshot(path=str(SCREENSHOTS / "phone.png"), full_page=True)
        page.get_by_role("button", name="Tie").tap()
        page.wait_for_selector("#vote-recorded")
    assert width <= 390
    assert box_b["y"] >= box_a["y"] + box_a["height"]  # answers stacked, not squeezed
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in buttons)
    assert Vote.objects.get().outcome == Outcome.TIE


def test_vote_with_a_reason_and_two_tags_reaches_the_board_and_the_export(arena_setup, live_server):
    with browser_page(viewport={"width": 1200, "height": 900}) as page:
        page.goto(live_server.url + "/")
        battle = _shown_battle(page)
        page.get_by_role("button", name="B is better").click()
        page.wait_for_selector("#feedback-form")
        page.fill("#reason", "B explains the trade-offs")
        page.check("input[name=tag_b][value=correct]")
        page.check("input[name=tag_a][value=superficial]")
        page.screenshot(path=str(SCREENSHOTS / "feedback.png"), full_page=True)
        page.click("#send-feedback")
        page.wait_for_selector("#feedback-recorded")

        page.goto(live_server.url + "/stats/")
        b_row = page.locator(f'#tag-rates tr[data-competitor="{battle.competitor_b.name}"]')
        a_row = page.locator(f'#tag-rates tr[data-competitor="{battle.competitor_a.name}"]')
        tagged_b = {
            cell.get_attribute("data-tag"): cell.get_attribute("data-tagged")
            for cell in b_row.locator("td[data-tag]").all()
        }
        tagged_a = {
            cell.get_attribute("data-tag"): cell.get_attribute("data-tagged")
            for cell in a_row.locator("td[data-tag]").all()
        }
        page.screenshot(path=str(SCREENSHOTS / "leaderboard.png"), full_page=True)
        export = page.request.get(live_server.url + "/a/main/export.jsonl").text()

    assert {tag for tag, n in tagged_b.items() if n != "0"} == {"correct"}
    assert {tag for tag, n in tagged_a.items() if n != "0"} == {"superficial"}
    (row,) = [json.loads(line) for line in export.splitlines()]
    assert (row["winner"], row["reason"], row["tags_a"], row["tags_b"]) == (
        "model_b",
        "B explains the trade-offs",
        ["superficial"],
        ["correct"],
    )
    vote = Vote.objects.get()
    assert vote.battle_id == battle.pk
    assert sorted(vote.tags.values_list("side", "tag")) == [("A", "superficial"), ("B", "correct")]
