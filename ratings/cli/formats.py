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
        help="the baseline model: lc-winrate rates every model against it; an arena-hard "
        "file's judgments compare against it when the file does not name it (default there: "
        "arena-hard's baseline for the record's category)",
    )
