"""Database routing: reads and writes stay on the primary unless a caller names the replica."""

from __future__ import annotations

from typing import Any


class PrimaryOnlyMigrations:
    """Keeps ``migrate`` off the replica alias; every other choice is left to Django (default).

    The rating jobs read the replica by naming it (``using``), never through a router: a
    router would send every read of a model there, and a page must see the vote it just wrote.
    """

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == "replica" else None
