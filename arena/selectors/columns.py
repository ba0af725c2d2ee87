"""A scope's votes read as numpy columns for the rating jobs: no ORM row, no Python tuple a vote.

On PostgreSQL the scope's query (``VoteScope.apply``: every exclusion a board makes) is sent as
``COPY (…) TO STDOUT (FORMAT binary)`` through psycopg 3's copy API. Every column is cast to a
fixed width and NULLs are coalesced to NaN or -1, so each row has the same byte length and a
block of rows is one ``numpy.frombuffer`` over a structured big-endian dtype. Elsewhere (the
SQLite demo) the same query is read with ``values_list``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import BigIntegerField, F, FloatField, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce
from numpy.typing import NDArray

from arena.models import Arena, Prompt
from arena.selectors.scopes import votes_in_scope
from arena.selectors.votes import VoteScope

#: The style features of an answer, in ``ratings.engine.votefile.STYLE_FEATURES`` order.
_STYLE_FIELDS = ("n_tokens", "header_count", "list_count", "bold_count")
#: Binary COPY starts with an 11-byte signature, a flags word and a header-extension length.
_COPY_HEADER = 19
#: Bytes parsed at once: bounds the memory of a read beside the columns it returns.
_BLOCK_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class VoteColumns:
    """A scope's votes in vote order, one array per column.

    ``pair_probability`` and ``p_b`` are NaN where a vote has none; ``features`` (only when
    asked for) holds A's then B's style features, NaN where a battle lacks its answers.
    """

    vote_id: NDArray[np.int64]
    competitor_a: NDArray[np.int64]
    competitor_b: NDArray[np.int64]
    outcome: NDArray[np.int8]
    prompt_id: NDArray[np.int64]
    pair_probability: NDArray[np.float64]
    p_b: NDArray[np.float64]
    features: NDArray[np.float64] | None


def _columns(with_features: bool) -> dict[str, Combinable]:
    nan = Value(float("nan"), output_field=FloatField())
    cols: dict[str, Combinable] = {
        "vote_id": Cast("id", BigIntegerField()),
        "competitor_a": Cast("battle__competitor_a_id", BigIntegerField()),
        "competitor_b": Cast("battle__competitor_b_id", BigIntegerField()),
        "outcome": Cast("outcome", BigIntegerField()),
        "prompt_id": Cast("battle__prompt_id", BigIntegerField()),
        "pair_probability": Coalesce(Cast("battle__pair_probability", FloatField()), nan),
        "p_b": Coalesce(Cast("p_b", FloatField()), nan),
    }
    if with_features:
        for side in ("a", "b"):
            for name in _STYLE_FIELDS:
                field = F(f"battle__completion_{side}__{name}")
                cols[f"{name}_{side}"] = Coalesce(Cast(field, FloatField()), nan)
    return cols


def vote_columns_in_scope(
    arena: Arena, scope: VoteScope, watermark: int, *, with_features: bool = False
) -> VoteColumns:
    """The scope's votes up to ``watermark`` (by vote id), in vote order, as numpy columns."""
    cols = _columns(with_features)
    votes = (
        votes_in_scope(arena, scope)
        .filter(id__lte=watermark)
        .order_by("id")
        .values_list(*cols.values())
    )
    if connection.vendor == "postgresql":
        table = _copy_binary(votes.query.sql_with_params(), list(cols))
    else:
        rows = list(votes)
        table = {
            name: np.array([r[k] for r in rows], dtype=np.float64).reshape(len(rows))
            for k, name in enumerate(cols)
        }
    features = None
    if with_features:
        features = np.column_stack(
            [table[f"{n}_{s}"] for s in ("a", "b") for n in _STYLE_FIELDS]
        ).reshape(-1, 2 * len(_STYLE_FIELDS))
    return VoteColumns(
        vote_id=table["vote_id"].astype(np.int64),
        competitor_a=table["competitor_a"].astype(np.int64),
        competitor_b=table["competitor_b"].astype(np.int64),
        outcome=table["outcome"].astype(np.int8),
        prompt_id=table["prompt_id"].astype(np.int64),
        pair_probability=table["pair_probability"].astype(np.float64),
        p_b=table["p_b"].astype(np.float64),
        features=features,
    )


#: The columns read as integers (bigint); every other column is a double.
_INTEGER_COLUMNS = frozenset({"vote_id", "competitor_a", "competitor_b", "outcome", "prompt_id"})


def _row_dtype(names: list[str]) -> np.dtype[np.void]:
    """One binary COPY row: a field count, then per field its length and an 8-byte value."""
    fields: list[tuple[str, str]] = [("n_fields", ">i2")]
    for name in names:
        kind = ">i8" if name in _INTEGER_COLUMNS else ">f8"
        fields += [(f"{name}_len", ">i4"), (name, kind)]
    return np.dtype(fields)


def _copy_binary(query: tuple[str, Iterable[object]], names: list[str]) -> dict[str, np.ndarray]:
    sql, params = query
    dtype = _row_dtype(names)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    pending = bytearray()
    started = False
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)", tuple(params)) as copy,
    ):
        for chunk in copy:
            pending += chunk
            if not started and len(pending) >= _COPY_HEADER:
                del pending[:_COPY_HEADER]
                started = True
            if len(pending) >= _BLOCK_BYTES:
                _parse_rows(pending, dtype, parts)
        if not started:
            del pending[:_COPY_HEADER]
        del pending[-2:]  # the trailer: a field count of -1
        _parse_rows(pending, dtype, parts)
    return {
        name: np.concatenate(arrays) if arrays else np.empty(0) for name, arrays in parts.items()
    }


def _parse_rows(
    pending: bytearray, dtype: np.dtype[np.void], parts: dict[str, list[np.ndarray]]
) -> None:
    """Move the whole rows at the front of ``pending`` into native-endian column arrays."""
    n = len(pending) // dtype.itemsize
    if not n:
        return
    rows = np.frombuffer(bytes(pending[: n * dtype.itemsize]), dtype=dtype, count=n)
    if np.any(rows["n_fields"] != len(parts)):
        raise ValueError("unexpected row shape in the binary COPY stream")
    for name, arrays in parts.items():
        arrays.append(rows[name].astype(rows[name].dtype.newbyteorder("=")))
    del pending[: n * dtype.itemsize]


def prompt_categories(prompt_ids: Iterable[int]) -> dict[int, str]:
    """Each prompt's category (empty when it has none)."""
    return dict(Prompt.objects.filter(pk__in=list(prompt_ids)).values_list("id", "category"))
