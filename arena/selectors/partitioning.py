"""What stands between the vote table and PostgreSQL declarative partitioning (docs/deploying.md).

Partitioning ``arena_vote`` by arena and month needs an ``arena_id`` column, every primary key
and unique index to include the partition key (``arena_id``, ``created_at``), and no foreign key
pointing at the table's ``id`` alone. This reads PostgreSQL's catalog for each, so that an
operator (``manage.py partition_votes``) sees the blockers of the database as it is, and a
conversion written later starts only where none is left.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connection

from arena.models import Vote

#: The partition key: by arena (list), then by month (range).
PARTITION_KEY = ("arena_id", "created_at")


class Blocker(NamedTuple):
    """One reason the table cannot be converted: what, and why it matters."""

    what: str
    why: str


def vote_partitioning_blockers() -> list[Blocker]:
    """The catalog's reasons ``arena_vote`` cannot be partitioned by arena and month as it is;
    empty when it can (or already is). PostgreSQL only."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("declarative partitioning is PostgreSQL's")
    table = Vote._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
        if cursor.fetchone()[0] == "p":
            return []
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped",
            [table],
        )
        columns = {name for (name,) in cursor.fetchall()}
        cursor.execute(
            "SELECT i.relname, array_agg(a.attname ORDER BY a.attname), x.indisprimary "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey) "
            "WHERE x.indrelid = %s::regclass AND x.indisunique GROUP BY i.relname, x.indisprimary "
            "ORDER BY i.relname",
            [table],
        )
        uniques = cursor.fetchall()
        cursor.execute(
            "SELECT c.conname, c.conrelid::regclass::text FROM pg_constraint c "
            "WHERE c.contype = 'f' AND c.confrelid = %s::regclass ORDER BY c.conname",
            [table],
        )
        references = cursor.fetchall()
    blockers = []
    if "arena_id" not in columns:
        blockers.append(
            Blocker(
                f"{table} has no arena_id column",
                "a vote reaches its arena through its battle; the partition key must be a column",
            )
        )
    for name, index_columns, primary in uniques:
        missing = [c for c in PARTITION_KEY if c not in index_columns]
        if missing:
            kind = "primary key" if primary else "unique index"
            blockers.append(
                Blocker(
                    f"{kind} {name} on ({', '.join(index_columns)}) lacks {', '.join(missing)}",
                    "PostgreSQL requires every unique constraint of a partitioned table to "
                    "include the partition key; with it, the rule holds only within a partition",
                )
            )
    for name, referencing in references:
        blockers.append(
            Blocker(
                f"foreign key {name} of {referencing} references {table}(id)",
                "a foreign key to a partitioned table must reference a unique key that "
                "includes the partition key, which Django cannot declare",
            )
        )
    return blockers
