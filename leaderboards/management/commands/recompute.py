"""manage.py recompute: run the rating jobs now, in this process, with progress."""

from __future__ import annotations

import uuid
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from leaderboards import services
from leaderboards.models import RatingRun


class Command(BaseCommand):
    help = (
        "Queue a rating run for every leaderboard with new votes (or only the --arena, --scope "
        "and --method given) and execute them here, without Celery, showing progress."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--arena", help="arena slug")
        parser.add_argument("--scope", help="leaderboard slug, e.g. all")
        parser.add_argument("--method", help="e.g. bt, elo, style-bt")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        services.leaderboards_check(enqueue=False)
        runs = RatingRun.objects.filter(status__in=["queued", "running"]).select_related(
            "leaderboard__arena"
        )
        if options["arena"]:
            runs = runs.filter(leaderboard__arena__slug=options["arena"])
        if options["scope"]:
            runs = runs.filter(leaderboard__slug=options["scope"])
        if options["method"]:
            runs = runs.filter(method=options["method"])
        todo = list(runs.order_by("id"))
        if not todo and (options["arena"] or options["scope"] or options["method"]):
            self.stdout.write("Nothing to recompute: every matching leaderboard is up to date.")
            return
        counts = {"done": 0, "failed": 0, "skipped": 0}
        for run in tqdm(todo, unit=" runs", disable=options["no_progress"], desc="rating"):
            status = services.rating_run_execute(run_id=run.id, task_id=f"cli-{uuid.uuid4()}")
            counts[status if status in counts else "skipped"] += 1
        summary = ", ".join(f"{n} {k}" for k, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"{len(todo)} runs: {summary}"))
        if counts["failed"]:
            failed = RatingRun.objects.filter(id__in=[r.id for r in todo], status="failed")
            for run in failed:
                self.stderr.write(f"  {run}: {run.error}")
            raise CommandError(f"{counts['failed']} runs failed", returncode=1)
