"""A real vote file imported into an empty database gives the board that the CLI computes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from arena.models import Vote
from tests.ratings.conftest import SHARED_DATA

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _cli(path: Path, method: str) -> dict[str, float]:
    """``python -m ratings rate --json`` in its own interpreter: the reference the board meets."""
    out = subprocess.run(
        [sys.executable, "-m", "ratings", "rate", str(path), "--method", method, "--json"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {row["name"]: row["rating"] for row in json.loads(out)["competitors"]}


def _board(client: Client, method: str) -> dict[str, float]:
    response = client.get(f"/api/v1/leaderboards/all/{method}/")
    assert response.status_code == 200, response.content
    return {row["name"]: row["rating"] for row in response.json()["competitors"]}


def test_llmfao_import_then_recompute_gives_the_cli_board():
    path = SHARED_DATA / "llmfao" / "votes.jsonl"
    if not path.is_file():
        pytest.skip(f"shared data not found at {path}: the LLMFAO votes are needed")
    call_command("import_votes", path, "--no-progress", stdout=StringIO())
    assert not Vote.objects.filter(identity_revealed=True).exists()
    out = StringIO()
    call_command("recompute", "--no-progress", stdout=out)
    # Every scope's methods (and the category boards' bt and elo) but style-bt, which needs the
    # answers this file does not carry: all done, none failed.
    summary = out.getvalue()
    assert re.search(r"(\d+) runs: \1 done, 0 failed", summary), summary
    client = Client()
    assert client.get("/api/v1/leaderboards/all/style-bt/").status_code == 404
    for method in ("bt", "elo"):
        board, cli = _board(client, method), _cli(path, method)
        assert len(board) == 70
        assert board.keys() == cli.keys()
        for name, rating in cli.items():
            assert board[name] == pytest.approx(rating, abs=1e-6), (method, name)
