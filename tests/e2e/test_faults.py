"""The fault test, short form: votes through a worker kill, a Redis outage and a PostgreSQL
restart, on a stack of the test's own (``bench/faults.py``; ``make faults`` is the full form)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = 77

pytestmark = pytest.mark.e2e


def test_every_accepted_vote_survives_the_faults_exactly_once():
    result = subprocess.run(
        [sys.executable, "bench/faults.py", "--short"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode == SKIPPED:
        pytest.skip(result.stdout.strip())
    print(result.stdout)  # the figures, with pytest -s
    assert result.returncode == 0, result.stdout + result.stderr
    figures = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    assert figures["lost"] == "0"
    assert figures["duplicated"] == "0"
    assert int(figures["accepted (2xx, or 303 to the result page)"]) > 0
    assert "restarted PostgreSQL" in figures["faults"]
    assert "killed web worker" in figures["faults"]
    assert "without intervention" in result.stdout
