"""API keys from the command line: create (the key is printed once, alone on the last line),
list and revoke."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.exceptions import ArenaError
from arena.models import ApiKey, Judge, User
from arena.services.api_keys import api_key_create, api_key_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API keys for the judge API."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a key and print it once")
        create.add_argument("name")
        create.add_argument(
            "--scopes", default="judge", help="comma-separated: judge, submit, read (default judge)"
        )
        create.add_argument("--judge", help="the judge it votes as (default: one named NAME)")
        create.add_argument("--user", help="the username it acts for (submit and read scopes)")
        actions.add_parser("list", help="list keys (never the keys themselves)")
        revoke = actions.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            self._create(options)
        elif options["action"] == "list":
            for key in ApiKey.objects.select_related("judge", "user"):
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                self.stdout.write(f"{key.prefix}  {key.name}  {','.join(key.scopes)}  {state}")
        else:
            found = ApiKey.objects.filter(prefix=options["prefix"]).first()
            if found is None:
                raise CommandError(f"No key with the prefix {options['prefix']!r}.")
            api_key_revoke(api_key=found)
            self.stdout.write(f"Revoked {found}.")

    def _create(self, options: dict[str, Any]) -> None:
        judge = Judge.objects.get_or_create(name=options["judge"])[0] if options["judge"] else None
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
        try:
            key, secret = api_key_create(
                name=options["name"], scopes=options["scopes"].split(","), judge=judge, user=user
            )
        except ArenaError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Created {key.name} with scopes {', '.join(key.scopes)}"
            + (f", voting as judge {key.judge}" if key.judge else "")
            + ". Store the key now; it is not shown again:"
        )
        self.stdout.write(secret)
