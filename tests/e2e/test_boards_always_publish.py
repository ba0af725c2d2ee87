"""Issue #18 end to end: two uploaded models that answer only their own prompt, voted on through
the site, no longer freeze the Bradley–Terry boards. A real Celery worker and beat publish the
``bt`` and ``style-bt`` boards at the newest vote, naming the separate group, and the page says
so (screenshots at desktop and phone widths)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from arena.models import User, Vote
from leaderboards.models import RatingRun
from tests.arena.api_helpers import key_for
from tests.e2e.stack import running_stack
from tests.e2e.test_vote_to_leaderboard import cast_vote, listen
from tests.leaderboards.test_boards_always_publish import OWN_PROMPT

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAIR = {"own-1", "own-2"}


def test_an_uploaded_pair_that_only_meets_itself_does_not_freeze_the_live_boards(
    arena_setup, tmp_path: Path, monkeypatch
):
    from tests.e2e.browser import browser_page

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM reads between browser steps
    owner = User.objects.create_user("owner")
    key = key_for(scopes=["submit"], user=owner)
    with running_stack(tmp_path) as stack, httpx.Client() as client:
        for k in range(6):
            cast_vote(client, stack.url, "AB"[k % 2])
        listen(stack, lambda m: m.get("method") == "bt" and m.get("n_votes") == 6)
        uploaded = client.post(
            stack.url + "/api/v1/submissions",
            content="\n".join(json.dumps(line) for line in OWN_PROMPT),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"},
        )
        assert uploaded.status_code == 201, uploaded.text
        for k in range(4):  # the fewest-votes pairing serves the fresh pair at once
            cast_vote(client, stack.url, "ABAB"[k])
        pair_votes = Vote.objects.filter(
            battle__competitor_a__name__in=PAIR, battle__competitor_b__name__in=PAIR
        ).count()
        assert pair_votes >= 2
        top = Vote.objects.latest("id").id
        for method in ("bt", "style-bt"):
            pushed = listen(
                stack, lambda m, method=method: m.get("method") == method and m["watermark"] == top
            )
            assert pushed["separate_groups"][0]["competitors"] == sorted(PAIR)
            groups = {row["name"]: row["group"] for row in pushed["competitors"]}
            assert {groups[name] for name in PAIR} == {1}
        assert not RatingRun.objects.filter(method__in=["bt", "style-bt"], status="failed").exists()
        for width, height in ((1280, 900), (390, 844)):
            with browser_page(viewport={"width": width, "height": height}) as page:
                page.goto(stack.url + "/a/main/boards/all/bt/")
                page.wait_for_selector('#board-status[data-live="open"]', timeout=15000)
                assert page.is_visible("#separate-groups")
                assert "own-1, own-2" in page.inner_text("#separate-groups")
                assert page.locator('#ratings-table tr[data-group="1"]').count() == 2
                assert "Separate group 1 (not comparable)" in page.inner_text("#ratings-table")
                page.screenshot(path=str(tmp_path / f"board-groups-{width}.png"), full_page=True)
