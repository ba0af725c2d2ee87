"""Prompts per arena: split the prompts that uploads shared between arenas by their text.

Before, a prompt text was stored once for the whole site, so an upload to one arena could put
another arena's prompt (and the answers to it) in its own prompt set. An arena's own prompt set
(named after its slug, where uploads and imports put prompts) claims the prompts in it; a prompt
claimed by several arenas, or by one arena while an operator's prompt set gives it to another,
stays with the first claimant (or with the operator's sets) and every other claimant gets its
own copy, with copies of the answers its battles served and of those by competitors only it has.
Its battles are repointed to the copies, so every vote keeps its battle, prompt and answers.
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models


def _claims(apps):
    """Per prompt: the arenas whose own set holds it (first first), those reaching it otherwise."""
    Arena = apps.get_model("arena", "Arena")
    PromptSet = apps.get_model("arena", "PromptSet")
    own = {}
    for arena_id, slug in Arena.objects.values_list("id", "slug"):
        found = PromptSet.objects.filter(name=slug, version=1, arenas=arena_id).first()
        if found is not None:
            own[found.pk] = arena_id
    links = defaultdict(list)
    for arena_id, set_id in Arena.prompt_sets.through.objects.values_list(
        "arena_id", "promptset_id"
    ):
        links[set_id].append(arena_id)
    claims = defaultdict(dict)
    operator = defaultdict(set)
    rows = PromptSet.prompts.through.objects.order_by("id").values_list(
        "id", "promptset_id", "prompt_id"
    )
    for row_id, set_id, prompt_id in rows:
        for arena_id in links.get(set_id, []):
            if own.get(set_id) == arena_id:
                claims[prompt_id].setdefault(arena_id, row_id)
            else:
                operator[prompt_id].add(arena_id)
    own_set = {arena_id: set_id for set_id, arena_id in own.items()}
    return claims, operator, own_set


def _pool(apps, arena_ids):
    Arena = apps.get_model("arena", "Arena")
    return set(
        Arena.competitors.through.objects.filter(arena_id__in=arena_ids).values_list(
            "competitor_id", flat=True
        )
    )


def _split(apps, prompt, arena_id, set_id, keepers):
    Prompt = apps.get_model("arena", "Prompt")
    Completion = apps.get_model("arena", "Completion")
    Battle = apps.get_model("arena", "Battle")
    copy = Prompt.objects.create(
        text=prompt.text,
        category=prompt.category,
        language=prompt.language,
        content_hash=prompt.content_hash,
        submitted_by_id=prompt.submitted_by_id,
        external_id=prompt.external_id,
        arena_id=arena_id,
    )
    battles = list(Battle.objects.filter(arena_id=arena_id, prompt_id=prompt.pk))
    served = {c for b in battles for c in (b.completion_a_id, b.completion_b_id) if c}
    mine, theirs = _pool(apps, [arena_id]), _pool(apps, keepers)
    fields = [f.attname for f in Completion._meta.concrete_fields if not f.primary_key]
    copies = {}
    for completion in Completion.objects.filter(prompt_id=prompt.pk).order_by("id"):
        competitor = completion.competitor_id
        if completion.pk in served or (competitor in mine and competitor not in theirs):
            values = {name: getattr(completion, name) for name in fields}
            values["prompt_id"] = copy.pk
            copies[completion.pk] = Completion.objects.create(**values).pk
    for battle in battles:
        Battle.objects.filter(pk=battle.pk).update(
            prompt_id=copy.pk,
            completion_a_id=copies.get(battle.completion_a_id),
            completion_b_id=copies.get(battle.completion_b_id),
        )
    apps.get_model("arena", "PromptSet").prompts.through.objects.filter(
        promptset_id=set_id, prompt_id=prompt.pk
    ).update(prompt_id=copy.pk)


def split_shared_prompts(apps, schema_editor):
    Prompt = apps.get_model("arena", "Prompt")
    claims, operator, own_set = _claims(apps)
    for prompt_id, claimants in claims.items():
        ordered = sorted(claimants, key=claimants.get)
        shared = operator.get(prompt_id, set())
        keepers = sorted(shared) if shared else ordered[:1]
        movers = [a for a in ordered if a not in shared and a not in keepers]
        if not movers:
            continue
        prompt = Prompt.objects.get(pk=prompt_id)
        for arena_id in movers:
            _split(apps, prompt, arena_id, own_set[arena_id], keepers)
    if schema_editor.connection.vendor == "postgresql":
        # Fire the deferred foreign-key checks now: the constraints below are DDL on this table.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("arena", "0009_competitor_strengths"),
    ]

    operations = [
        migrations.AddField(
            model_name="prompt",
            name="arena",
            field=models.ForeignKey(
                blank=True,
                help_text="The arena an owner uploaded it to; empty: an operator's prompt.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="own_prompts",
                to="arena.arena",
            ),
        ),
        migrations.AlterField(
            model_name="prompt",
            name="content_hash",
            field=models.CharField(db_index=True, editable=False, max_length=64),
        ),
        migrations.RunPython(split_shared_prompts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="prompt",
            constraint=models.UniqueConstraint(
                condition=models.Q(("arena__isnull", False)),
                fields=("arena", "content_hash"),
                name="prompt_text_once_per_arena",
            ),
        ),
        migrations.AddConstraint(
            model_name="prompt",
            constraint=models.UniqueConstraint(
                condition=models.Q(("arena__isnull", True)),
                fields=("content_hash",),
                name="prompt_text_once_in_operator_pool",
            ),
        ),
    ]
