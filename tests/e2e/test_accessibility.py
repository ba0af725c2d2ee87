"""Every public page of the demo passes axe-core with no serious or critical violation (#19).

axe-core (Deque, MPL-2.0) comes from the npm registry at the version pinned in
``tests/e2e/vendor/package.json``; the first run installs it there with ``npm ci`` (its
``node_modules`` is not committed). It is injected into each page in headless Chromium and run
with its default rules (WCAG 2.0/2.1 A and AA and best practices).
"""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from arena.models import Arena
from leaderboards.models import RatingRun
from leaderboards.services import leaderboards_check, rating_run_execute
from tests.e2e.browser import apt_install, browser_page

pytestmark = [pytest.mark.e2e, pytest.mark.longest, pytest.mark.django_db(transaction=True)]

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE = VENDOR / "node_modules" / "axe-core" / "axe.min.js"
#: The impacts that fail the test: axe's two highest.
FAILING = {"serious", "critical"}
#: The board runs the pages show: the overall board by a fit and an equilibrium, a category.
RUNS = [("all", "bt"), ("all", "nash"), ("all", "equilibrium-ne"), ("category-coding", "bt")]
PAGES = [
    "/",
    "/a/vicuna-80/",
    "/a/vicuna-80/leaderboard/",
    "/a/vicuna-80/boards/all/bt/",
    "/a/vicuna-80/boards/all/nash/",
    "/a/vicuna-80/boards/all/equilibrium-ne/",
    "/a/vicuna-80/boards/category-coding/bt/",
    "/a/vicuna-80/judges/",
    "/a/vicuna-80/compare/gpt-4/claude/",
    "/a/vicuna-80/compare/",
    "/a/vicuna-80/models/gpt-4/",
    "/a/vicuna-80/stats/",
    "/a/vicuna-80/me/",
    "/accounts/login/",
    "/accounts/signup/",
    "/no-such-page/",
]


def axe_script() -> Path:
    """axe.min.js, installed from the npm registry at the pinned version when missing."""
    if AXE.exists():
        return AXE
    npm = apt_install("npm", "npm")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(VENDOR)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 or not AXE.exists():
        pytest.fail(f"npm ci in {VENDOR} failed: {result.stderr[-500:]}")
    return AXE


def violations(page: object, script: Path) -> list[str]:
    """The page's serious and critical axe violations, one line each."""
    page.add_script_tag(path=str(script))  # type: ignore[attr-defined]
    found = page.evaluate(  # type: ignore[attr-defined]
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in found
        if v["impact"] in FAILING
    ]


@pytest.fixture
def demo(monkeypatch) -> Arena:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM between browser steps
    call_command("seed_demo", stdout=io.StringIO())
    leaderboards_check(enqueue=False)
    for scope, method in RUNS:
        run = RatingRun.objects.get(
            leaderboard__arena__slug="vicuna-80", leaderboard__slug=scope, method=method
        )
        assert rating_run_execute(run_id=run.pk, task_id="a11y") == "done"
    return Arena.objects.get(slug="vicuna-80")


#: Desktop and phone, on one seeded demo (seeding it once per width cost half a minute).
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


def test_public_pages_have_no_serious_accessibility_violation(demo, live_server):
    script = axe_script()
    found: dict[str, list[str]] = {}
    for label, (width, height) in VIEWPORTS.items():
        # axe is injected as a script of the page's own, which its Content-Security-Policy
        # forbids without bypass_csp
        with browser_page(viewport={"width": width, "height": height}, bypass_csp=True) as page:
            for path in [*PAGES, "reveal"]:
                if path == "reveal":  # the page after a vote, names revealed
                    page.goto(f"{live_server.url}/a/vicuna-80/")
                    page.get_by_role("button", name="A is better").click()
                    page.wait_for_selector("#vote-recorded")
                else:
                    page.goto(live_server.url + path)
                page.wait_for_load_state("networkidle")
                problems = violations(page, script)
                if problems:
                    found[f"{path} ({label}, {width}×{height})"] = problems
    assert not found, "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in found.items())


def test_axe_is_pinned_and_its_licence_ships_with_it():
    script = axe_script()
    licence = (script.parent / "LICENSE").read_text()
    assert "Mozilla Public License" in licence
    assert os.path.getsize(script) > 100_000
