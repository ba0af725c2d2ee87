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


BEFORE_SPLIT = [("arena", "0009_competitor_strengths")]
SPLIT = [("arena", "0010_prompts_per_arena")]


@pytest.mark.django_db(transaction=True)
def test_prompts_shared_by_an_upload_are_split_per_arena_with_every_vote_kept():
    """The leak as it was: a private arena's prompt, reached by a public arena's own set through
    an upload of the same text, with battles and votes in both arenas."""
    try:
        old = _migrate(BEFORE_SPLIT)
        model = old.get_model
        now = timezone.now()
        shared, other, secret = (
            model("arena", "Competitor").objects.create(name=n) for n in ("Shared", "Other", "Hush")
        )
        prompt = model("arena", "Prompt").objects.create(text="Secret?", content_hash="h" * 64)
        answers = {
            c.name: model("arena", "Completion").objects.create(
                prompt=prompt, competitor=c, text=f"{c.name}'s answer"
            )
            for c in (shared, other, secret)
        }
        arenas = {}
        for slug, pool in (("hush", [shared, other, secret]), ("main", [shared, other])):
            arena = model("arena", "Arena").objects.create(slug=slug, name=slug)
            operator_set = model("arena", "PromptSet").objects.create(name=f"{slug}-curated")
            own_set = model("arena", "PromptSet").objects.create(name=slug, version=1)
            arena.prompt_sets.add(operator_set, own_set)
            arena.competitors.add(*pool)
            arenas[slug] = arena
        model("arena", "PromptSet").objects.get(name="hush-curated").prompts.add(prompt)
        model("arena", "PromptSet").objects.get(name="main").prompts.add(prompt)  # the upload
        for slug in ("hush", "main"):
            battle = model("arena", "Battle").objects.create(
                public_id=f"split-{slug}",
                arena=arenas[slug],
                prompt=prompt,
                competitor_a=shared,
                competitor_b=other,
                completion_a=answers["Shared"],
                completion_b=answers["Other"],
                origin="import",
                created_at=now,
                expires_at=now,
            )
            model("arena", "Vote").objects.create(
                battle=battle, outcome=1, created_at=now, source="crowd", session_key=slug
            )
        votes_before = list(
            model("arena", "Vote").objects.order_by("id").values_list("id", "battle_id", "outcome")
        )

        new = _migrate(SPLIT)
        battle = new.get_model("arena", "Battle").objects.select_related(
            "prompt", "completion_a", "completion_b"
        )
        hush, main = battle.get(public_id="split-hush"), battle.get(public_id="split-main")
        votes_after = list(
            new.get_model("arena", "Vote")
            .objects.order_by("id")
            .values_list("id", "battle_id", "outcome")
        )
        assert votes_after == votes_before
        assert (hush.prompt_id, hush.completion_a_id) == (prompt.pk, answers["Shared"].pk)
        assert main.prompt_id != prompt.pk
        assert (main.prompt.text, main.prompt.arena_id) == ("Secret?", arenas["main"].pk)
        assert (main.completion_a.text, main.completion_b.text) == (
            "Shared's answer",
            "Other's answer",
        )
        assert main.completion_a.prompt_id == main.prompt_id
        main_prompts = new.get_model("arena", "Prompt").objects.filter(
            prompt_sets__arenas=arenas["main"].pk
        )
        assert list(main_prompts.values_list("id", flat=True)) == [main.prompt_id]
        # The private arena's own competitor's answer stays there only.
        assert (
            not new.get_model("arena", "Completion")
            .objects.filter(prompt_id=main.prompt_id, competitor_id=secret.pk)
            .exists()
        )
        assert new.get_model("arena", "Completion").objects.filter(prompt_id=prompt.pk).count() == 3
    finally:
        call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_flush_leaves_the_rows_the_migrations_made() -> None:
    """``flush`` (an operator's, or the end of every transactional test) empties each table;
    the built-in judge templates and the answers' version come back with it, so the pairing's
    answers cache stays on and platform judges keep their templates."""
    from arena.judge_prompts import BUILTIN
    from arena.models import AnswersVersion, JudgeTemplate
    from arena.selectors.answers import answers_version

    JudgeTemplate.objects.all().delete()
    AnswersVersion.objects.all().delete()
    assert answers_version() is None
    call_command("flush", interactive=False, verbosity=0)
    names = set(JudgeTemplate.objects.filter(is_builtin=True).values_list("name", flat=True))
    assert names == set(BUILTIN)
    assert answers_version() == 0
