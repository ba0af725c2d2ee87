"""Fast bulk insertion for imports: COPY on PostgreSQL, bulk_create elsewhere."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction


def bulk_insert(model: type[models.Model], rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows given as ``{attname: value}`` and return their new ids, in order.

    Fields a row leaves out take their model default. On PostgreSQL the ids are drawn from the
    table's sequence and the rows sent with COPY, several times faster than an INSERT of model
    instances; model ``save()`` and signals are not run, as with ``bulk_create``. Database
    constraints still apply to every row.
    """
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor != "postgresql":
        objects = model._default_manager.bulk_create([model(**row) for row in rows])
        return [int(obj.pk) for obj in objects]
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [int(r[0]) for r in cursor.fetchall()]
        columns = ", ".join(quote(c) for c in ["id", *(str(f.column) for f in fields)])
        # per field: its key, whether it is JSON, and its default when that is a constant
        # (a callable one, such as a fresh token, is drawn per row); a million-row import pays
        # for every call made per value
        plan = [
            (f, f.attname, isinstance(f, models.JSONField), not callable(f.default)) for f in fields
        ]
        constants = {f.attname: f.get_default() for f, _, _, constant in plan if constant}
        dumps = json.dumps
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                values: list[Any] = [pk]
                for field, name, is_json, constant in plan:
                    if name in row:
                        value = row[name]
                    else:
                        value = constants[name] if constant else field.get_default()
                    values.append(dumps(value, ensure_ascii=False) if is_json else value)
                copy.write_row(values)
    return ids


def tables_analyze_after_commit(*model_classes: type[models.Model]) -> None:
    """Refresh the query planner's statistics of these tables once a bulk write commits.

    Until autovacuum gets to them (a minute or more), the planner takes a table that has just
    received its votes for the handful of rows it last counted; a public page's read of the
    votes was then planned as a nested loop over every pair of rows (11.8 s for the demo's
    statistics page on 15,200 votes, 0.13 s once analysed). ``ANALYZE`` samples at most
    30,000 rows a table: a fraction of a second beside the import. After the commit, never
    inside the transaction: the statistics are kept even if the transaction rolls back, and
    rows that were rolled back would leave the planner counting votes that are not there (or,
    analysed empty, none where there are many).
    """

    def analyze() -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                tables = ", ".join(quote(m._meta.db_table) for m in model_classes)
                cursor.execute(f"ANALYZE {tables}")
            else:  # SQLite analyses one table (or everything) per statement
                for model in model_classes:
                    cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")

    transaction.on_commit(analyze)


def rows_insert(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> list[int]:
    """Insert rows given as tuples in the order of ``columns`` (attnames); their new ids.

    The import's hot path: a vote is two rows, so the work per row is one tuple, a few
    constants appended and one ``write_row`` of a binary ``COPY`` (about ten times less client
    time a row than the text format, whose every value psycopg formats in turn). Every field
    left out must have a constant default (a callable one, such as a fresh token, is refused:
    give it as a column). JSON fields are given as Python values.
    """
    rows = list(rows)
    if not rows:
        return []
    by_name = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    rest = [f for name, f in by_name.items() if name not in columns]
    if unknown := set(columns) - by_name.keys():
        raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
    if drawn := [f.attname for f in rest if f.has_default() and callable(f.default)]:
        raise ValueError(f"{model.__name__}: give {drawn} as columns (their default is drawn)")
    if connection.vendor != "postgresql":
        defaults = {f.attname: f.get_default() for f in rest}
        objects = [model(**defaults, **dict(zip(columns, row, strict=True))) for row in rows]
        return [int(obj.pk) for obj in model._default_manager.bulk_create(objects)]
    ids = ids_reserve(model, len(rows))
    tail = tuple(f.get_default() for f in rest)
    table = model._meta.db_table
    names = ["id", *(str(by_name[c].column) for c in columns), *(str(f.column) for f in rest)]
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(map(quote, names))}) FROM STDIN (FORMAT binary)"
    with connection.cursor() as cursor:
        types = _column_types(cursor, table, names)
        with cursor.cursor.copy(statement) as copy:
            copy.set_types(types)
            write = copy.write_row
            for pk, row in zip(ids, rows, strict=True):
                write((pk, *row, *tail))
    return ids


def _column_types(cursor: Any, table: str, names: list[str]) -> list[int]:
    """The type oids of a table's columns, which a binary ``COPY`` must be told."""
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
        [table],
    )
    oids = dict(cursor.fetchall())
    return [int(oids[name]) for name in names]


def ids_reserve(model: type[models.Model], n: int) -> list[int]:
    """``n`` new ids from the table's sequence (PostgreSQL), in increasing order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, n],
        )
        return [int(r[0]) for r in cursor.fetchall()]


def row_insert(model: type[models.Model], row: dict[str, Any]) -> int:
    """Insert one row given as ``{attname: value}`` (defaults for the rest); its new id.

    One prepared-shape INSERT, without the ORM's compiler: the vote path pays for every
    statement it builds.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor != "postgresql":
        return int(model._default_manager.create(**row).pk)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks}) "  # noqa: S608
            "RETURNING id",
            [_value(f, row) for f in fields],
        )
        return int(cursor.fetchone()[0])


def _value(field: models.Field[Any, Any], row: dict[str, Any]) -> Any:
    value = row[field.attname] if field.attname in row else field.get_default()
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False)
    return value
