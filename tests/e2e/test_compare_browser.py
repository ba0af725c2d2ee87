"""The comparator and the judge report in a real browser."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from arena.models import Outcome
from arena.services.battles import battles_serve
from arena.services.votes import vote_record
from arena.voters import Voter
from tests.e2e.browser import browser_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(os.environ.get("ARENA_SCREENSHOTS", "/tmp/arena-screenshots"))  # noqa: S108


def test_comparator_shows_head_to_head_categories_and_finds_a_rationale(
    arena_setup, judge, live_server, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM reads between browser steps
    arena, rng = arena_setup["arena"], random.Random(1)
    for k, battle in enumerate(
        battles_serve(arena=arena, voter=Voter(judge=judge), count=24, rng=rng)
    ):
        vote_record(
            public_id=battle.public_id,
            voter=Voter(judge=judge),
            outcome=Outcome.A if k % 4 else Outcome.TIE,
            rationale="the answer cites its sources" if k % 2 else "shorter and to the point",
        )
    x, y = arena_setup["competitors"][:2]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with browser_page(viewport={"width": 1200, "height": 1000}) as page:
        page.goto(f"{live_server.url}/a/main/compare/{x.name}/{y.name}/")

        def cell(name: str) -> int:
            return int(page.inner_text(f'#head-to-head tbody td[data-cell="{name}"]'))

        assert cell("votes") > 0  # votes between them
        parts = ("wins", "losses", "ties", "both-bad")
        assert sum(cell(name) for name in parts) == cell("votes")
        assert page.locator("#by-category tbody tr").count() >= 1
        assert page.evaluate("!!window.Chart.getChart(document.getElementById('length-chart'))")
        page.fill("input[name=q]", "sources")
        page.click("form.search button")
        page.wait_for_selector("#rationales li")
        texts = page.locator("#rationales li").all_inner_texts()
        assert texts
        assert all("sources" in t for t in texts)
        page.screenshot(path=str(SCREENSHOTS / "compare.png"), full_page=True)
        page.goto(f"{live_server.url}/a/main/judges/")
        assert page.locator(f'#judge-table tr[data-judge="{judge.name}"]').count() == 1
        page.screenshot(path=str(SCREENSHOTS / "judges.png"), full_page=True)
