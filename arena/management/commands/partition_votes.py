"""manage.py partition_votes: say whether the vote table can be partitioned, and what blocks it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arena.selectors.partitioning import vote_partitioning_blockers


class Command(BaseCommand):
    help = (
        "Check whether arena_vote can be converted to a table partitioned by arena and month "
        "(PostgreSQL declarative partitioning) and list what blocks it; exits 1 while anything "
        "does. Read-only: it changes nothing (see docs/deploying.md, 'Partitioning the vote "
        "table')."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            blockers = vote_partitioning_blockers()
        except NotImplementedError as error:
            raise CommandError(str(error)) from None
        if not blockers:
            self.stdout.write(self.style.SUCCESS("arena_vote can be partitioned (or already is)."))
            return
        for blocker in blockers:
            self.stdout.write(f"- {blocker.what}: {blocker.why}")
        raise CommandError(
            f"{len(blockers)} blockers: arena_vote cannot be partitioned as it is", returncode=1
        )
