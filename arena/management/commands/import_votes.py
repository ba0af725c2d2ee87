"""manage.py import_votes FILE: load a vote file of any format ratings.engine.formats reads."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from arena.exceptions import ArenaNotFound, ImportReferenceMissing
from arena.services.arenas import arena_get_by_slug
from arena.services.imports import ImportOptions, votes_import
from ratings.engine.formats import FORMAT_CHOICES, VoteFileError


class Command(BaseCommand):
    help = (
        "Import votes from a vote file (plain or gzip): the shared JSON Lines schema, the "
        "arena's CSV export, LMArena battles, arena-hard-auto judgments, AlpacaEval annotations "
        "or MT-Bench judgments, told from the content unless --format names it. Creates the "
        "competitors, prompts, judges and completions it needs; skips self-battles; importing "
        "the same file twice adds nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="the vote file, gzip or not")
        parser.add_argument(
            "--format",
            dest="fmt",
            choices=FORMAT_CHOICES,
            default="auto",
            help="the file's format (default: told from its content; see docs/formats.md)",
        )
        parser.add_argument(
            "--baseline",
            help="arena-hard: the baseline of judgments that do not name it "
            "(default: arena-hard's baseline for the record's category)",
        )
        parser.add_argument(
            "--answers",
            type=Path,
            help="answers: model, question_id, answer per line, or FastChat, arena-hard or "
            "AlpacaEval answer files",
        )
        parser.add_argument(
            "--arena", help="slug of the arena to import into (default: the default arena)"
        )
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        for key in ("file", "answers"):
            if options[key] is not None and not options[key].is_file():
                raise CommandError(f"no such file: {options[key]}", returncode=2)
        phases = ["checking"]
        with tqdm(unit=" votes", disable=options["no_progress"], desc=phases[-1]) as bar:

            def progress(phase: str, done: int, total: int | None) -> None:
                if phase != phases[-1]:  # the writing pass starts: a bar with its end known
                    phases.append(phase)
                    bar.reset(total=total)
                    bar.set_description(phase, refresh=False)
                bar.update(done)

            try:
                arena = arena_get_by_slug(options["arena"])
                report = votes_import(
                    arena=arena,
                    path=options["file"],
                    answers=options["answers"],
                    batch_size=options["batch_size"],
                    progress=progress,
                    options=ImportOptions(fmt=options["fmt"], baseline=options["baseline"]),
                )
            except ArenaNotFound as error:
                raise CommandError(error.message, returncode=2) from None
            except ImportReferenceMissing as error:
                raise CommandError(error.message) from None
            except VoteFileError as error:
                raise CommandError(f"{error} (nothing was imported)", returncode=2) from None
        self.stdout.write(self.style.SUCCESS(report.summary()))
