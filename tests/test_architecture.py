"""The dependency rules of the style guide, checked where a reviewer might miss them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "module",
    [
        "ratings.core",
        "ratings.engine",
        "ratings.cli",
        "ratings.lab",
        "ratings.cli.judges",
        "ratings.lab.bench",
        "ratings.lab.study",
        "ratings.lab.replay",
        "ratings.lab.simulate",
    ],
)
def test_the_rating_library_imports_no_django_and_no_app(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('django', 'rest_framework', 'celery', 'channels', 'arena', 'leaderboards', 'config')]; "
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_import_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
