"""Moving from the single-arena foundation to arenas keeps every row."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

FOUNDATION = [("arena", "0001_initial")]
ARENAS = [("arena", "0002_arenas_and_voters")]
KEPT = {
    "Competitor": ["id", "name", "organisation", "is_active"],
    "Prompt": ["id", "text", "category", "content_hash"],
    "Completion": ["id", "prompt_id", "competitor_id", "text", "n_tokens"],
    "Battle": [
        "id",
        "public_id",
        "prompt_id",
        "competitor_a_id",
        "competitor_b_id",
        "completion_a_id",
        "completion_b_id",
        "origin",
        "session_key",
        "user_id",
        "judge_id",
    ],
    "Vote": [
        "id",
        "battle_id",
        "outcome",
        "source",
        "judge_id",
        "user_id",
        "session_key",
        "import_key",
    ],
    "Judge": ["id", "name"],
}


def _rows(apps: Any) -> dict[str, list[tuple]]:
    return {
        name: list(apps.get_model("arena", name).objects.order_by("id").values_list(*fields))
        for name, fields in KEPT.items()
    }


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_foundation_data_moves_into_the_default_arena_with_nothing_lost():
    call_command("seed_demo", "--without-vicuna-votes", "--votes", "300", stdout=StringIO())
    try:
        old = _migrate(FOUNDATION)
        # The foundation's other kinds of vote: a judge's and a signed-in voter's.
        judge = old.get_model("arena", "Judge").objects.create(name="gpt-judge")
        user = old.get_model("arena", "User").objects.create(username="signed")
        battle_model, vote_model = old.get_model("arena", "Battle"), old.get_model("arena", "Vote")
        now = timezone.now()
        template = battle_model.objects.first()
        for index, who in enumerate(({"judge": judge}, {"user": user})):
            battle = battle_model.objects.create(
                public_id=f"migr{index}",
                prompt_id=template.prompt_id,
                competitor_a_id=template.competitor_a_id,
                competitor_b_id=template.competitor_b_id,
                completion_a_id=template.completion_a_id,
                completion_b_id=template.completion_b_id,
                origin="judge" if "judge" in who else "crowd",
                created_at=now,
                expires_at=now,
                **who,
            )
            vote_model.objects.create(
                battle=battle,
                outcome=1,
                created_at=now,
                source="judge" if "judge" in who else "crowd",
                **who,
            )
        before = _rows(old)
        assert len(before["Vote"]) > 300

        new = _migrate(ARENAS)
        assert _rows(new) == before
        arena = new.get_model("arena", "Arena").objects.get()
        assert (arena.slug, arena.is_default, arena.visibility) == ("main", True, "public")
        assert new.get_model("arena", "Battle").objects.exclude(arena=arena).count() == 0
        assert arena.competitors.count() == len(before["Competitor"])
        prompts = new.get_model("arena", "Prompt").objects.filter(prompt_sets__arenas=arena)
        assert prompts.count() == len(before["Prompt"])
        kinds = dict(
            new.get_model("arena", "Vote").objects.values_list("battle__public_id", "voter_kind")
        )
        assert (kinds["migr0"], kinds["migr1"]) == ("judge", "signed_in")
        assert list(kinds.values()).count("anonymous") == len(kinds) - 2
    finally:
        call_command("migrate", verbosity=0)
