"""An index of the soft-labelled votes only (#21): whether an arena has any is one lookup.

The rating jobs' merged read groups the votes by their soft label only where an arena has one
(``arena.selectors.columns.vote_counts_in_scope``). Soft labels are rare (AlpacaEval-style
imports), so the index is small and most votes add no entry to it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("arena", "0018_battle_and_vote_indexes_no_query_uses"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="vote",
            index=models.Index(
                condition=models.Q(("p_b__isnull", False)),
                fields=["battle"],
                name="vote_soft_labelled",
            ),
        ),
    ]
