"""manage.py seed_demo: a believable, deterministic demo arena."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arena.models import Competitor
from arena.services.demo import demo_seed


class Command(BaseCommand):
    help = (
        "Seed a demo arena: 12 competitors with different strengths per category, prompts in "
        "six categories, an answer from every competitor to every prompt, and simulated votes. "
        "The same --seed gives the same arena."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--prompts", type=int, default=240, help="number of prompts")
        parser.add_argument("--votes", type=int, default=3000, help="number of simulated votes")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already has competitors",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Competitor.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has data; the demo was not seeded again.")
                return
            raise CommandError(
                "The database already has competitors; seed an empty database "
                "(or pass --if-empty to skip)."
            )
        if options["prompts"] < 1 or options["votes"] < 0:
            raise CommandError("--prompts must be at least 1 and --votes at least 0.")
        report = demo_seed(
            seed=options["seed"], n_prompts=options["prompts"], n_votes=options["votes"]
        )
        self.stdout.write(self.style.SUCCESS(report.summary()))
