"""schemathesis against a live server: every check, the stateful phase on, no failure allowed.

The short in-process fuzz in test_api_schema.py checks only for server errors; this one runs
schemathesis' command line (``st run --checks all``, all four phases, stateful included) against
the test's own live server, so conformance to the schema (status codes, content types, bodies,
headers, refusal of invalid data, acceptance of valid data) is held too. The number of examples
is bounded so that the run stays well under two minutes on the project's 2-core machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from arena.models import User
from arena.voters import Voter
from tests.arena.api_helpers import key_for

pytestmark = [pytest.mark.e2e, pytest.mark.longest, pytest.mark.django_db(transaction=True)]
ST = Path(sys.executable).with_name("st")
ROOT = Path(__file__).resolve().parents[2]
#: Examples per operation and phase: enough to reach every operation's refusals, bounded in time.
MAX_EXAMPLES = int(os.environ.get("ARENA_FUZZ_EXAMPLES", "5"))


@pytest.fixture
def fuzz_key(arena_setup, make_battle, judge, settings) -> str:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min", "client_address": "100000/min"},
    }
    owner = User.objects.create_user("owner", is_staff=True)
    for _ in range(3):
        make_battle(voter=Voter(judge=judge))
    return key_for(scopes=["judge", "submit", "read"], judge=judge, user=owner)


def test_schemathesis_all_checks_and_stateful_find_nothing(live_server, fuzz_key, tmp_path):
    junit = tmp_path / "schemathesis.xml"
    command = [
        str(ST),
        "run",
        f"{live_server.url}/api/schema/?format=json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "18",
        "--generation-deterministic",
        "--workers",
        "1",
        "--continue-on-failure",
        "--header",
        f"Authorization: Bearer {fuzz_key}",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
        "--no-color",
    ]
    # The hooks give schemathesis a way to write JSON Lines upload bodies.
    env = os.environ | {
        "SCHEMATHESIS_HOOKS": "tests.arena.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path, env=env
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-12000:]
    assert "Stateful" in output or "stateful" in output, output[-3000:]
