"""Fast bulk insertion for imports: COPY on PostgreSQL, bulk_create elsewhere."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection, models


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
