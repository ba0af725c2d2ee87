"""manage.py seed_demo: the demo arenas, on real Vicuna-80 content."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arena.models import Competitor
from arena.services.demo import demo_seed


class Command(BaseCommand):
    help = (
        "Seed the demo: a Vicuna-80 arena (80 real prompts, real answers, 15,200 real votes of "
        "people and five LLM reviewers), a smaller arena whose crowd votes are simulated over "
        "the same answers, and a private expert panel. The same --seed gives the same demo."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument(
            "--votes", type=int, default=2000, help="simulated votes in the simulated arena"
        )
        parser.add_argument(
            "--without-vicuna-votes",
            action="store_true",
            help="leave out the 15,200 real votes (a quicker seed; the simulated arena is then "
            "the default)",
        )
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
        if options["votes"] < 0:
            raise CommandError("--votes must be at least 0.")
        report = demo_seed(
            seed=options["seed"],
            n_votes=options["votes"],
            vicuna_votes=not options["without_vicuna_votes"],
        )
        self.stdout.write(self.style.SUCCESS(report.summary()))
