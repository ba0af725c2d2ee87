"""Tournaments from the command line: create one over competitors and prompts of an arena, and
list an arena's tournaments with their progress."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.exceptions import ArenaError
from arena.models import Arena, Competitor, Judge, Prompt
from leaderboards.models import Tournament
from leaderboards.services.tournaments import tournament_create, tournament_list, tournament_view


class Command(BaseCommand):
    help = "Create or list judge tournaments (single-elimination, merge-sort, swiss, baseline)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a tournament and print its id")
        create.add_argument("--arena", required=True, help="the arena's slug")
        create.add_argument("--name", required=True)
        create.add_argument("--format", required=True, choices=Tournament.Format.values)
        create.add_argument("--competitors", required=True, help="comma-separated names")
        create.add_argument("--prompts", required=True, help="comma-separated prompt ids")
        create.add_argument("--judges", required=True, help="comma-separated judge names")
        create.add_argument("--seed", type=int, default=0)
        create.add_argument("--baseline", help="the baseline competitor (format baseline)")
        listing = actions.add_parser("list", help="an arena's tournaments and their progress")
        listing.add_argument("--arena", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        arena = Arena.objects.filter(slug=options["arena"]).first()
        if arena is None:
            raise CommandError(f"No arena {options['arena']!r}.")
        if options["action"] == "list":
            for tournament in tournament_list(arena):
                view = tournament_view(tournament)
                state = "finished" if view.done else f"{view.n_pending} playable"
                self.stdout.write(
                    f"{tournament.pk}  {tournament.name}  {tournament.format}  "
                    f"{view.n_recorded} played, {state}"
                )
            return
        competitors = _named(Competitor, options["competitors"], "competitor")
        judges = _named(Judge, options["judges"], "judge")
        prompts = _prompts(options["prompts"])
        baseline = (
            _named(Competitor, options["baseline"], "competitor")[0]
            if options["baseline"]
            else None
        )
        try:
            tournament = tournament_create(
                arena=arena,
                name=options["name"],
                format=options["format"],
                competitors=competitors,
                prompts=prompts,
                judges=judges,
                seed=options["seed"],
                baseline=baseline,
            )
        except ArenaError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Created tournament {tournament.pk}: /a/{arena.slug}/tournaments/{tournament.pk}/ "
            f"(judges fetch matches at /api/v1/arenas/{arena.slug}/tournaments/"
            f"{tournament.pk}/battles)"
        )


def _named(model: Any, names: str, what: str) -> list[Any]:
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    found = {o.name: o for o in model.objects.filter(name__in=wanted)}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise CommandError(f"No {what} named {', '.join(map(repr, missing))}.")
    return [found[n] for n in wanted]


def _prompts(ids: str) -> list[Prompt]:
    try:
        wanted = [int(i) for i in ids.split(",") if i.strip()]
    except ValueError:
        raise CommandError("--prompts takes comma-separated prompt ids.") from None
    found = Prompt.objects.in_bulk(wanted)
    missing = [i for i in wanted if i not in found]
    if missing:
        raise CommandError(f"No prompt with id {', '.join(map(str, missing))}.")
    return [found[i] for i in wanted]
