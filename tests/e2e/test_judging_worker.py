"""A built-in judge judges 100 battles in both positions through a real worker; the stored
verdicts are the judge server's scripted ones, and its position consistency is in the judge
report."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from arena.models import Battle, JudgeCall, Outcome
from leaderboards.reports.judges import judge_report_for_arena
from tests.e2e.stack import BIN, ROOT, Stack
from tests.judging_setup import judge_script, judging_arena, scripted_verdict

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

N_BATTLES = 100
OUTCOME = {"A>>B": "A", "A>B": "A", "A=B": "TIE", "B>A": "B", "B>>A": "B"}


def _winner(battle: Battle, verdict: str) -> str:
    """Who the verdict favours, by name (or "tie"), whatever the screen order."""
    side = OUTCOME[verdict]
    if side == "TIE":
        return "tie"
    return (battle.competitor_a if side == "A" else battle.competitor_b).name


def test_a_built_in_judge_judges_100_battles_in_both_positions(
    endpoint_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = endpoint_server(judge_script())
    judging = judging_arena(n_models=5, n_prompts=40, url=server.url, budget=2 * N_BATTLES)
    monkeypatch.setenv("ARENA_JUDGING_BATCH", "10")
    stack = Stack(tmp=tmp_path)
    calls = JudgeCall.objects.filter(judging=judging)
    try:
        stack.start_redis()
        stack.start_worker()
        start = (
            "from arena.services.judging import judging_start; "
            f"judging_start(judging_id={judging.pk})"
        )
        subprocess.run(
            [str(BIN / "python"), "manage.py", "shell", "-c", start],
            cwd=ROOT,
            env=stack.env,
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 240
        while calls.count() < 2 * N_BATTLES and time.monotonic() < deadline:
            time.sleep(0.2)
        assert calls.count() == 2 * N_BATTLES, stack.log("worker")
    finally:
        stack.stop_all()
    assert len(server.received()) == 2 * N_BATTLES
    rows = calls.select_related(
        "battle__prompt", "battle__competitor_a", "battle__competitor_b", "battle__vote"
    )
    # (prompt, shown first, shown second) -> who the verdicts favour
    by_order: dict[tuple[int, int, int], list[str]] = {}
    for call in rows:
        battle = call.battle
        question = int(re.search(r"question (\d+)", battle.prompt.text)[1])  # type: ignore[index]
        expected = scripted_verdict(question, battle.competitor_a.name, battle.competitor_b.name)
        assert (call.status, call.verdict) == ("voted", expected)
        assert Outcome(battle.vote.outcome).name == OUTCOME[expected]
        assert battle.vote.judge_id == judging.judge_id
        key = (battle.prompt_id, battle.competitor_a_id, battle.competitor_b_id)
        by_order.setdefault(key, []).append(_winner(battle, expected))
    # Position consistency from the scripted verdicts, in closed form: the script answers one
    # matchup in one order always alike, so a matchup seen n times in one order and m times in
    # the other makes min(n, m) twins, which all agree or all disagree.
    twins = agree = 0
    for (prompt, first, second), winners in by_order.items():
        if first > second or (prompt, second, first) not in by_order:
            continue
        others = by_order[(prompt, second, first)]
        n = min(len(winners), len(others))
        twins += n
        agree += n * (winners[0] == others[0])
    assert twins == N_BATTLES
    expected_consistency = agree / twins
    assert 0 < expected_consistency < 1
    report = {j["name"]: j for j in judge_report_for_arena(judging.arena)["judges"]}
    mine = report[judging.judge.name]
    assert mine["n_twins"] == N_BATTLES
    assert mine["position_consistency"] == pytest.approx(expected_consistency)
    print(f"position consistency {expected_consistency:.3f} over {twins} twins")
