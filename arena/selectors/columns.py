"""A scope's votes read as numpy columns for the rating jobs: no ORM row, no Python tuple a vote.

On PostgreSQL the scope's query (``VoteScope.apply``: every exclusion a board makes) is sent as
``COPY (…) TO STDOUT (FORMAT binary)`` through psycopg 3's copy API. Every column is cast to a
fixed width and NULLs are coalesced to NaN or -1, so each row has the same byte length and a
block of rows is one ``numpy.frombuffer`` over a structured big-endian dtype. Elsewhere (the
SQLite demo) the same query is read with ``values_list``.

:func:`vote_counts_in_scope` reads the same votes merged by a ``GROUP BY`` on every column a
counting method reads (pair, outcome, soft label, and the prompt or the pair's draw
probability where asked): one row a distinct combination, with its number of votes and its
first vote's id, so the rows come in the order their first votes came.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BigIntegerField, Count, F, FloatField, Min, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce
from numpy.typing import NDArray

from arena.models import Arena, Prompt, Vote
from arena.selectors.scopes import votes_in_scope
from arena.selectors.votes import VoteScope

#: The style features of an answer, in ``ratings.engine.votefile.STYLE_FEATURES`` order.
_STYLE_FIELDS = ("n_tokens", "header_count", "list_count", "bold_count")
#: Binary COPY starts with an 11-byte signature, a flags word and a header-extension length.
_COPY_HEADER = 19


@dataclass(frozen=True, slots=True)
class VoteColumns:
    """A scope's votes in vote order, one array per column.

    ``pair_probability`` and ``p_b`` are NaN where a vote has none; ``features`` (only when
    asked for) holds A's then B's style features, NaN where a battle lacks its answers.
    """

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
    arena: Arena,
    scope: VoteScope,
    watermark: int,
    *,
    with_features: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> VoteColumns:
    """The scope's votes up to ``watermark`` (by vote id), in vote order, as numpy columns.

    ``using`` names the database read: the rating jobs pass the replica's alias when one is
    configured (every subquery of the scope runs there too, in the same statement).
    """
    cols = _columns(with_features)
    scoped = votes_in_scope(arena, scope).using(using).filter(id__lte=watermark)
    if connections[using].vendor == "postgresql":
        named = scoped.order_by().values(
            col_id=Cast("id", BigIntegerField()), **{f"col_{k}": v for k, v in cols.items()}
        )
        query = named.query.get_compiler(using=using).as_sql()
        table = _copy_binary(query, list(cols), using=using)
    else:
        rows = list(scoped.order_by("id").values_list(*cols.values()))
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
        competitor_a=table["competitor_a"].astype(np.int64, copy=False),
        competitor_b=table["competitor_b"].astype(np.int64, copy=False),
        outcome=table["outcome"].astype(np.int8),
        prompt_id=table["prompt_id"].astype(np.int64, copy=False),
        pair_probability=table["pair_probability"].astype(np.float64, copy=False),
        p_b=table["p_b"].astype(np.float64, copy=False),
        features=features,
    )


def vote_counts_query(
    arena: Arena,
    scope: VoteScope,
    watermark: int,
    *,
    with_prompt: bool = False,
    with_pair_probability: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> tuple[QuerySet[Any, Any], list[str]]:
    """The ``GROUP BY`` :func:`vote_counts_in_scope` reads, and its merged columns' names."""
    cols = _columns(with_features=False)
    if not _soft_labels_any(arena, watermark, using=using):
        # p_b is NaN throughout. Grouped by the coalesced column, PostgreSQL cannot know it (an
        # all-NULL column has no statistics): it planned for as many groups as votes, in one
        # process with a spilling hash (22.4 s at 10M votes, where the same GROUP BY without the
        # label took 15 s in two). By a constant, it plans the floor's parallel aggregate.
        cols["p_b"] = Cast(Value(float("nan")), FloatField())
    if not with_prompt:
        cols["prompt_id"] = Cast(Value(-1), BigIntegerField())
    if not with_pair_probability:
        cols["pair_probability"] = Cast(Value(float("nan")), FloatField())
    scoped = votes_in_scope(arena, scope).using(using).filter(id__lte=watermark).order_by()
    grouped = scoped.values(**{f"col_{k}": v for k, v in cols.items()}).annotate(
        col_id=Cast(Min("id"), BigIntegerField()), col_count=Cast(Count("id"), BigIntegerField())
    )
    return grouped, list(cols)


@dataclass(frozen=True, slots=True)
class VoteCounts:
    """A scope's votes merged by every column read: one row a distinct combination, in the
    order of each combination's first vote; ``count`` votes each.

    ``prompt_id`` is -1 and ``pair_probability`` NaN where they were not asked for (they do not
    split the rows then); ``p_b`` is NaN for votes without a soft label.
    """

    competitor_a: NDArray[np.int64]
    competitor_b: NDArray[np.int64]
    outcome: NDArray[np.int8]
    prompt_id: NDArray[np.int64]
    pair_probability: NDArray[np.float64]
    p_b: NDArray[np.float64]
    count: NDArray[np.float64]


def vote_counts_in_scope(
    arena: Arena,
    scope: VoteScope,
    watermark: int,
    *,
    with_prompt: bool = False,
    with_pair_probability: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> VoteCounts:
    """The scope's votes up to ``watermark`` merged by pair, outcome and soft label (and the
    prompt, the pair's draw probability when asked), with each row's count of votes.

    ``using`` names the database read, as for :func:`vote_columns_in_scope`."""
    grouped, cols = vote_counts_query(
        arena,
        scope,
        watermark,
        with_prompt=with_prompt,
        with_pair_probability=with_pair_probability,
        using=using,
    )
    names = [*cols, "count"]
    if connections[using].vendor == "postgresql":
        query = grouped.query.get_compiler(using=using).as_sql()
        table = _copy_binary(query, names, using=using)
    else:
        rows = sorted(grouped.values_list("col_id", *(f"col_{k}" for k in names)))
        table = {
            name: np.array([r[k + 1] for r in rows], dtype=np.float64).reshape(len(rows))
            for k, name in enumerate(names)
        }
    return VoteCounts(
        competitor_a=table["competitor_a"].astype(np.int64, copy=False),
        competitor_b=table["competitor_b"].astype(np.int64, copy=False),
        outcome=table["outcome"].astype(np.int8),
        prompt_id=table["prompt_id"].astype(np.int64, copy=False),
        pair_probability=table["pair_probability"].astype(np.float64, copy=False),
        p_b=table["p_b"].astype(np.float64, copy=False),
        count=table["count"].astype(np.float64),
    )


def _soft_labels_any(arena: Arena, watermark: int, *, using: str) -> bool:
    """Whether a vote of the arena up to ``watermark`` has a soft label, in or out of scope (a
    partial index holds only those votes)."""
    soft = Vote.objects.using(using).filter(battle__arena=arena, id__lte=watermark)
    return soft.filter(p_b__isnull=False).exists()


#: The columns read as integers (bigint); every other column is a double.
_INTEGER_COLUMNS = frozenset(
    {"id", "competitor_a", "competitor_b", "outcome", "prompt_id", "count"}
)
#: Votes per aggregated row: one array per column and block, about 25 MB of arrays at most.
_BLOCK_VOTES = 1 << 18


def _copy_binary(
    query: tuple[str, Iterable[object]], names: list[str], *, using: str
) -> dict[str, np.ndarray]:
    """The query's columns, by vote id, through a binary COPY of one array per column and block.

    PostgreSQL sends a COPY one message a row, and a Python step per message would cost more
    than the read itself; so the votes are aggregated server-side into arrays of
    ``_BLOCK_VOTES`` votes (``array_agg`` over ``id / _BLOCK_VOTES``), a few large messages
    parsed by ``numpy.frombuffer``, then put in vote order by their ids.
    """
    sql, params = query
    columns = ", ".join(f"array_agg(s.col_{name})" for name in ["id", *names])
    statement = (
        f"COPY (SELECT {columns} FROM ({sql}) s GROUP BY s.col_id / {_BLOCK_VOTES}) "  # noqa: S608 (the ORM's SQL, names from code)
        "TO STDOUT (FORMAT binary)"
    )
    parts: dict[str, list[np.ndarray]] = {name: [] for name in ["id", *names]}
    pending = bytearray()
    database = connections[using]
    with database.cursor() as cursor, cursor.cursor.copy(statement, tuple(params)) as copy:
        for chunk in copy:
            pending += chunk
            _parse_rows(pending, parts)
    order = np.argsort(np.concatenate(parts.pop("id")), kind="stable") if parts else None
    return {
        name: np.concatenate(arrays)[order] if arrays else np.empty(0)
        for name, arrays in parts.items()
    }


def _parse_rows(pending: bytearray, parts: dict[str, list[np.ndarray]]) -> None:
    """Move the complete rows at the front of ``pending`` into ``parts``, one array a field.

    The stream: an 11-byte signature, flags and a header-extension length (19 bytes); per row a
    field count, then per field its length and a one-dimensional array (ndim, null flag,
    element type, size, lower bound, then each element's length and value); a count of -1 ends.
    """
    data = bytes(pending)  # a row arrives as one message: one copy a row
    view = memoryview(data)
    at = _COPY_HEADER if data.startswith(b"PGCOPY") else 0
    consumed = at
    while at + 2 <= len(pending):
        n_fields = int.from_bytes(view[at : at + 2], "big", signed=True)
        if n_fields == -1:  # the trailer
            consumed = at + 2
            break
        fields, cursor = [], at + 2
        for _ in range(n_fields):
            if cursor + 4 > len(pending):
                break
            size = int.from_bytes(view[cursor : cursor + 4], "big", signed=True)
            if cursor + 4 + size > len(pending):
                break
            fields.append(view[cursor + 4 : cursor + 4 + size])
            cursor += 4 + size
        if len(fields) < n_fields:
            break  # the rest of the row has not arrived yet
        for name, field in zip(parts, fields, strict=True):
            parts[name].append(_array_values(field, name in _INTEGER_COLUMNS))
        at = consumed = cursor
    del pending[:consumed]


def _array_values(field: memoryview, integer: bool) -> np.ndarray:
    """A binary one-dimensional array of 8-byte values without NULLs, as a native array."""
    n_dims = int.from_bytes(field[0:4], "big")
    if n_dims != 1:
        raise ValueError("expected a one-dimensional array in the binary COPY stream")
    count = int.from_bytes(field[12:16], "big")
    dtype = np.dtype([("len", ">i4"), ("value", ">i8" if integer else ">f8")])
    cells = np.frombuffer(field[20:], dtype=dtype, count=count)
    if np.any(cells["len"] != dtype["value"].itemsize):
        raise ValueError("unexpected NULL or width in the binary COPY stream")
    return cells["value"].astype(np.int64 if integer else np.float64)


def prompt_categories(
    prompt_ids: Iterable[int], *, using: str = DEFAULT_DB_ALIAS
) -> dict[int, str]:
    """Each prompt's category (empty when it has none)."""
    prompts = Prompt.objects.using(using).filter(pk__in=list(prompt_ids))
    return dict(prompts.values_list("id", "category"))


def vote_id_newest(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """The highest vote id the database holds, 0 when it holds none (an index-only read).

    On a replica this is how far it has replayed the primary's votes: a job that reads there
    bounds its read (and the watermark it records) by it, so that a lagging replica makes the
    board wait for the votes it lacks, never skip them.
    """
    newest = Vote.objects.using(using).order_by("-id").values_list("id", flat=True).first()
    return newest or 0
