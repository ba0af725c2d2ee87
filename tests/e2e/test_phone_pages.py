"""Every public page of the demo on a 390x844 phone: nothing wider than the screen (#19).

The finding: ``/boards/`` was 1,163 px wide on a 390 px screen with its Rating column off the
first screen, and the compare and judges tables clipped their key column. Here the demo's own
data is served as ``make demo`` serves it, and a real browser at 390x844 visits every public
page: the crowd page and a reveal, the raw statistics, the boards of every scope and method of
every public arena, compare, judges, the personal board, a tournament, sign-in and sign-up. No
page may scroll sideways, and on every board the first row's rating is on the first screen.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import browser_page
from tests.e2e.demo import running_demo

pytestmark = [pytest.mark.e2e, pytest.mark.longest]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(os.environ.get("ARENA_SCREENSHOTS", "/tmp/arena-screenshots"))  # noqa: S108
TOURNAMENT = [
    "tournament",
    "create",
    "--arena=vicuna-80",
    "--name=Demo cup",
    "--format=single-elimination",
    "--competitors=gpt-4,claude,bard,vicuna-13b",
    "--prompts=1,2",
    "--judges=gpt-4",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("ARENA_DEMO_URL"):  # a demo already running, with tournament 1 created
        yield os.environ["ARENA_DEMO_URL"].rstrip("/")
        return
    with running_demo(tmp_path_factory.mktemp("phone"), extra_steps=[TOURNAMENT]) as url:
        yield url


def _json(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
        return json.load(response)  # type: ignore[no-any-return]


#: The key column of every table (its first cell in each body row), and the comparator's share,
#: must be on screen without scrolling sideways: wide tables scroll inside their card.
KEY_CELLS_CLIPPED = """() => [
    ...document.querySelectorAll('main table tbody tr > :first-child'),
    ...document.querySelectorAll('#head-to-head td[data-cell=share]')]
  .filter(c => c.offsetParent !== null && !c.hasAttribute('colspan'))
  .filter(c => { const r = c.getBoundingClientRect();
                 return r.left < 0 || r.right > visualViewport.width; })
  .slice(0, 3).map(c => c.closest('table').id + ': ' + c.textContent.trim().slice(0, 30))"""


def _model_paths(demo: str, arena: str) -> list[str]:
    """The model pages the arena's leaderboard page links to."""
    with urllib.request.urlopen(f"{demo}/a/{arena}/leaderboard/", timeout=30) as response:  # noqa: S310
        html = response.read().decode()
    return sorted(set(re.findall(rf'href="(/a/{arena}/models/[^"/]+/)"', html)))


def _board_paths(demo: str, arena: str) -> list[str]:
    boards = _json(f"{demo}/api/v1/arenas/{arena}/leaderboards/")["leaderboards"]
    return [f"/a/{arena}/boards/{b['scope']}/{m}/" for b in boards for m in b["methods"]]


def _overflow(page) -> dict:  # type: ignore[no-untyped-def,type-arg]
    # Measured against the screen's width, not ``innerWidth``: in a mobile browser a page wider
    # than the screen widens the layout viewport, so ``innerWidth`` grows with the fault.
    return page.evaluate(  # type: ignore[no-any-return]
        """(width) => ({scroll: document.documentElement.scrollWidth, inner: width,
                   wide: [...document.querySelectorAll('body *')]
                     .filter(e => e.getBoundingClientRect().right > width + 1)
                     .filter(e => !e.closest('.table-wrap, .matrix-wrap'))
                     .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)})""",
        PHONE["width"],
    )


def test_every_public_page_fits_a_phone_and_boards_show_the_rating_first(demo: str) -> None:
    arenas = ["vicuna-80", "simulated"]
    # The personal boards first, before a crowd page gives this browser a session: with one
    # they take many seconds on the demo's 17,000 votes (#19 item 7, another part of the issue).
    paths = ["/me/board/", "/a/simulated/me/"]
    paths += ["/", "/leaderboard/", "/boards/", "/stats/", "/accounts/login/", "/accounts/signup/"]
    for arena in arenas:
        paths += [f"/a/{arena}/", f"/a/{arena}/leaderboard/", f"/a/{arena}/boards/"]
        paths += [f"/a/{arena}/judges/", f"/a/{arena}/stats/", f"/a/{arena}/compare/"]
        paths += [*_board_paths(demo, arena), *_model_paths(demo, arena)]
    paths += ["/a/vicuna-80/compare/gpt-4/claude/", "/a/vicuna-80/tournaments/1/"]
    too_wide, hidden_ratings, failed, unpublished, hidden_keys = [], [], [], [], []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with browser_page(viewport=PHONE, is_mobile=True, has_touch=True) as page:
        page.set_default_timeout(120_000)  # the personal board is slow (#19 item 7, elsewhere)
        for path in paths:
            response = page.goto(demo + path)
            if response is None or response.status >= 400:
                failed.append(f"{path}: {response.status if response else 'no response'}")
                continue
            page.wait_for_load_state("load")
            found = _overflow(page)
            if found["scroll"] > found["inner"]:
                too_wide.append(f"{path}: {found}")
            clipped = page.evaluate(KEY_CELLS_CLIPPED)
            if clipped:
                hidden_keys.append(f"{path}: {clipped}")
            if "/boards/" in path and page.locator("#ratings-table").count() == 0:
                unpublished.append(path)  # no run yet: nothing to rate (reported below)
            elif "/boards/" in path:
                visible = page.evaluate(
                    """() => { const cell = document.querySelector(
                                 '#ratings-table tbody tr[data-competitor] .rating');
                               if (!cell) return 'no rating cell';
                               const r = cell.getBoundingClientRect();
                               return r.width > 0 && r.left >= 0 && r.right <= visualViewport.width
                                      && r.top >= 0 && r.bottom <= innerHeight
                                      || JSON.stringify(r); }"""
                )
                if visible is not True:
                    hidden_ratings.append(f"{path}: {visible}")
        # The crowd page's reveal after a vote, on the phone as well.
        page.goto(demo + "/a/vicuna-80/")
        with page.expect_navigation():
            page.keyboard.press("a")
        found = _overflow(page)
        if found["scroll"] > found["inner"]:
            too_wide.append(f"reveal {page.url}: {found}")
    print("boards with no published run:", unpublished)
    assert (failed, too_wide, hidden_ratings, hidden_keys) == ([], [], [], [])


def _visible_rows(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(  # type: ignore[no-any-return]
        """() => [...document.querySelectorAll('#ratings-table tbody tr[data-competitor]')]
                 .filter(tr => tr.offsetParent !== null).map(tr => tr.dataset.competitor)"""
    )


def test_filter_box_keeps_filtering_through_live_updates_and_a_tap_shows_details(
    demo: str,
) -> None:
    with browser_page(viewport=PHONE, is_mobile=True, has_touch=True) as board:
        board.set_default_timeout(120_000)
        board.goto(demo + "/a/vicuna-80/boards/all/bt/")
        board.wait_for_selector('#board-status[data-live="open"]')
        names = _visible_rows(board)
        board.fill("#board-filter", "GUANACO")
        shown = _visible_rows(board)
        assert shown == [n for n in names if "guanaco" in n]
        assert shown
        assert board.inner_text("#board-filter-count") == f"{len(shown)} of {len(names)} shown"
        # A tap on a name opens its details (interval, votes, ties): no hover needed.
        first = board.locator("#ratings-table tbody tr[data-competitor]:visible").first
        assert not first.locator("dl.more").is_visible()
        first.locator("summary").tap()
        assert first.locator("dl.more").is_visible()
        assert "Votes" in first.locator("dl.more").inner_text()
        # A tap on a predicted win-rate cell shows its interval: a title needs a hover.
        board.locator("#predicted-matrix tbody tr").first.locator("td").nth(1).tap()
        info = board.inner_text(
            "#predicted-matrix >> xpath=ancestor::figure//p[@class='cell-info note']"
        )
        assert "95% interval" in info
        # New votes publish a new run; the pushed rows are filtered as the reader asked.
        before = board.get_attribute("#board-status", "data-watermark")
        voter = board.context.new_page()
        for key in "abab":
            voter.goto(demo + "/a/vicuna-80/")
            with voter.expect_navigation():
                voter.keyboard.press(key)
        board.wait_for_selector(f'#board-status:not([data-watermark="{before}"])')
        assert _visible_rows(board) == shown
        assert "votes, updated" in board.inner_text("#board-status")
