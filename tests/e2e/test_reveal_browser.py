"""The reveal page, the menu, model pages and dark mode in a real browser (issue #19)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from arena.models import Battle, Completion, Outcome, Vote
from arena.services.battles import battle_create
from arena.services.votes import vote_record
from arena.voters import Voter
from leaderboards import services as board_services
from tests.e2e.browser import browser_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("ARENA_SCREENSHOTS", "/tmp/arena-screenshots"))  # noqa: S108
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


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


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _visible_unscrolled(page, selector: str) -> bool:
    """The element is on the first screen and nothing covers its centre."""
    return page.evaluate(
        """(sel) => { const el = document.querySelector(sel); const r = el.getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight || r.left < 0 || r.right > window.innerWidth)
          return false;
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return el === hit || el.contains(hit); }""",
        selector,
    )


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.skip("axe-playwright-python is not installed (the dev extra)")
    return Axe()


def _background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_reveal_on_a_phone_survives_reload_highlights_the_choice_and_keeps_next_in_reach(
    arena_setup, live_server
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Answers several screens long: the bar must stay on the first screen, not follow them.
    for completion in Completion.objects.all():
        completion.text = f"{completion.text}\n\n" + "A long paragraph of the answer. " * 150
        completion.save()
    with browser_page(**PHONE) as page:
        page.goto(live_server.url + "/")
        battle = _shown_battle(page)
        page.get_by_role("button", name="B is better").tap()
        page.wait_for_selector("#vote-recorded")
        assert page.url.endswith(f"/battles/{battle.public_id}/")
        assert _visible_unscrolled(page, "#next-battle")
        assert page.get_attribute("#answer-b", "class") == "answer chosen"
        assert page.get_attribute("#answer-a", "class") == "answer"
        assert _fits(page)
        assert page.evaluate("document.documentElement.scrollHeight") > 2 * 844
        page.screenshot(path=str(SCREENSHOTS / "revealed-phone.png"))
        response = page.reload()
        assert response is not None
        assert response.status == 200
        assert page.inner_text("[data-testid=name-b]") == battle.competitor_b.name
        assert page.get_attribute("#answer-b", "class") == "answer chosen"
        share = page.get_attribute("#share-link", "href")
        page.tap("#next-battle")
        page.wait_for_selector("#vote-form")
    assert list(Vote.objects.values_list("battle_id", "outcome")) == [(battle.pk, Outcome.B)]

    with browser_page(**DESKTOP) as stranger:  # a new browser: no session, no account
        response = stranger.goto(share)
        assert response is not None
        assert response.status == 200
        assert stranger.inner_text("[data-testid=name-a]") == battle.competitor_a.name
        assert stranger.inner_text("#verdict") == "B is better"
        assert stranger.locator("#feedback-form").count() == 0
        stranger.screenshot(path=str(SCREENSHOTS / "shared-result.png"), full_page=True)


def _votes_and_boards(arena_setup, n: int = 40) -> None:
    rng = random.Random(3)
    for _ in range(n):
        voter = Voter(session_key="e2e-voter")
        battle = battle_create(arena=arena_setup["arena"], voter=voter, rng=rng)
        vote_record(public_id=battle.public_id, voter=voter, outcome=rng.choice(list(Outcome)))
    for run_id in board_services.leaderboards_check(enqueue=False):
        board_services.rating_run_execute(run_id=run_id, task_id=f"t{run_id}")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_pages_fit_and_follow_the_theme_toggle(arena_setup, live_server, size):
    """Every page changed for #19, light and dark: no sideways scroll, no serious accessibility
    violation (axe-core; the board itself belongs to the board work), the toggle remembered."""
    axe = _axe()
    serious: dict[str, list[str]] = {}
    _votes_and_boards(arena_setup)
    name = arena_setup["competitors"][0].name
    pages = {
        "menu-vote": "/",
        "statistics": "/a/main/stats/",
        "model": f"/a/main/models/{name}/",
        "compare-picker": "/a/main/compare/",
        "board": "/a/main/boards/",
        "result": None,
    }
    options = PHONE if size == "phone" else DESKTOP
    with browser_page(**options) as page:
        page.goto(live_server.url + "/")
        page.get_by_role("button", name="A is better").click()
        page.wait_for_selector("#vote-recorded")
        pages["result"] = page.url.removeprefix(live_server.url)
        light = _background(page)
        for theme in ("light", "dark"):
            for label, path in pages.items():
                response = page.goto(live_server.url + path)
                assert response is not None
                assert response.status == 200, path
                assert _fits(page), (label, theme)
                if label != "board":
                    found = [
                        f"{v['id']} ({v['impact']}): {v['help']} at "
                        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
                        for v in axe.run(page).response["violations"]
                        if v["impact"] in ("serious", "critical")
                    ]
                    if found:
                        serious[f"{label} {theme}"] = found
                page.screenshot(path=str(SCREENSHOTS / f"{label}-{size}-{theme}.png"))
            if theme == "light":
                page.click("#theme-toggle")
                assert page.get_attribute("#theme-toggle", "aria-pressed") == "true"
        assert serious == {}
        dark = _background(page)  # after a reload on each page: remembered
        assert dark != light
        page.click("#theme-toggle")
        page.reload()
        assert _background(page) == light


def test_the_system_dark_preference_is_followed_until_the_visitor_chooses(arena_setup, live_server):
    with browser_page(color_scheme="dark", **DESKTOP) as page:
        page.goto(live_server.url + "/a/main/stats/")
        dark = _background(page)
        assert page.get_attribute("#theme-toggle", "aria-pressed") == "true"
        page.click("#theme-toggle")
        page.goto(live_server.url + "/a/main/compare/")
        assert _background(page) != dark
        assert page.get_attribute("#theme-toggle", "aria-pressed") == "false"


TICK_COLOUR = """() => { const chart = Chart.getChart('history-chart');
                         return chart ? chart.scales.y.options.ticks.color : null; }"""


def test_board_charts_take_the_theme_colours_and_follow_the_toggle(arena_setup, live_server):
    """Chart.js drew grey-on-dark text in dark mode: its colours now come from the theme."""
    _votes_and_boards(arena_setup)
    with browser_page(**DESKTOP) as page:
        page.goto(live_server.url + "/a/main/boards/all/bt/")
        page.wait_for_function("() => window.Chart && Chart.getChart('history-chart')")
        muted = "getComputedStyle(document.documentElement).getPropertyValue('--muted').trim()"
        light = page.evaluate(TICK_COLOUR)
        assert light == page.evaluate(f"() => {muted}")
        page.click("#theme-toggle")
        dark = page.evaluate(TICK_COLOUR)
        assert dark == page.evaluate(f"() => {muted}")
        assert dark != light
