"""The vote-file options that ``rate`` and ``judges`` share."""

from __future__ import annotations

import argparse

from ratings.engine.formats import FORMAT_CHOICES


def add_format_arguments(parser: argparse.ArgumentParser) -> None:
    """``--format`` and ``--baseline``, shared by ``rate`` and ``judges``."""
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=FORMAT_CHOICES,
        default="auto",
        help="the vote file's format (default: told from its content; see docs/formats.md)",
    )
    parser.add_argument(
        "--baseline",
        metavar="NAME",
        help="arena-hard: the baseline the judgments compare against, when the file does not "
        "name it (default: arena-hard's baseline for the record's category)",
    )
