"""Counters kept in rows: add to a row found by its key, creating it the first time, in one statement.

``INSERT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n`` on both engines
(PostgreSQL, and SQLite from 3.35 for RETURNING): two writers adding to the same
row at once both count, with no transaction around a SELECT, an UPDATE and an
INSERT, and no row (nor, on SQLite, the write lock) held longer than the statement.
The rate limits, the articles' daily reads and the reports' rollups are such counters.

The key must be the columns of a unique constraint of the model (ON CONFLICT needs one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def increment(
    model: type[models.Model],
    *,
    key: Sequence[str],
    counts: Sequence[str],
    rows: Iterable[Sequence[object]],
    returning: Sequence[str] = (),
    if_exists: tuple[type[models.Model], object] | None = None,
) -> list[tuple[Any, ...]]:
    """Add each row's counts to the row of its key, or create it with them: one statement for all the rows.

    ``key`` and ``counts`` name the model's fields; each of ``rows`` holds the key's values then the
    amounts to add, in that order. The rows are written in the order given: callers that may run side
    by side with many rows sort them, so that two statements lock shared rows in one order.
    ``returning``: fields read back from each written row (after the addition), in no set order.
    ``if_exists``: (model, primary key) that must exist for anything to be written, checked in the
    same statement: a count for something deleted a moment ago adds nothing instead of failing on a
    foreign key. Only with a single row.
    Returns the ``returning`` values of the rows written ([] without ``returning``).
    """
    rows = list(rows)
    if not rows:
        return []
    if if_exists is not None and len(rows) != 1:
        raise ValueError("if_exists checks one row's parent: write one row at a time")
    fields = [_field(model, name) for name in (*key, *counts)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(_column(field)) for field in fields]
    added = columns[len(key) :]
    params: list[Any] = []
    for row in rows:
        if len(row) != len(fields):
            raise ValueError(f"each row holds {len(fields)} values ({', '.join((*key, *counts))}), not {len(row)}")
        params.extend(field.get_db_prep_save(value, connection) for field, value in zip(fields, row, strict=True))
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    if if_exists is None:
        source = "VALUES " + ", ".join([placeholders] * len(rows))
    else:
        parent, pk = if_exists
        parent_pk = parent._meta.pk
        assert parent_pk is not None
        # SQLite needs the WHERE to tell the SELECT's end from the upsert's ON CONFLICT.
        source = (
            f"SELECT {placeholders[1:-1]} WHERE EXISTS "  # noqa: S608 (quoted names of the models only)
            f"(SELECT 1 FROM {quote(parent._meta.db_table)} WHERE {quote(_column(parent_pk))} = %s)"
        )
        params.append(parent_pk.get_db_prep_value(pk, connection))
    # Only names quoted from the models are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) {source} "
        f"ON CONFLICT ({', '.join(columns[: len(key)])}) DO UPDATE SET "
        + ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in added)
    )
    if returning:
        sql += " RETURNING " + ", ".join(quote(_column(_field(model, name))) for name in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(found) for found in cursor.fetchall()] if returning else []


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{model.__name__}.{name} is not a column"
    return field


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None
    return field.column
