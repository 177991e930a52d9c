"""Many new rows written at once, faster than bulk_create: COPY on PostgreSQL, one prepared INSERT on SQLite.

For derived tables rebuilt from scratch (the reports' facts and rollups, the service level
attainment): bulk_create prepares every value of every row through its field (model
instances, then get_db_prep_save), and a multi-row INSERT's thousands of placeholders cost
the driver more to parse than the rows to send: at a million tickets these were most of a
rebuild's time. The values here are plain: numbers, text, dates and times, and JSON columns.
"""

from __future__ import annotations

# Only the models' own quoted table and column names are formatted in; every value is a parameter.
# ruff: noqa: S608
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Sum


def rows_insert(model: type[models.Model], rows: Iterable[dict[str, object]]) -> None:
    """Write ``rows`` (field name → value; a foreign key by its attribute name, ``ticket_id``, or its name)."""
    # The database numbers the rows of a model with an automatic id.
    fields = [field for field in model._meta.concrete_fields if not isinstance(field, models.AutoField)]
    names = [field.name for field in fields]
    attnames = [field.attname for field in fields]
    jsons = {field.name for field in fields if isinstance(field, models.JSONField)}
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields)

    def values(row: dict[str, object]) -> tuple[Any, ...]:
        found = [row[name] if name in row else row[attname] for name, attname in zip(names, attnames, strict=True)]
        return tuple(json.dumps(value) if name in jsons else value for name, value in zip(names, found, strict=True))

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
            return
        adapters: dict[str, Callable[[Any], Any]] = {}
        for field in fields:
            if isinstance(field, models.DateTimeField):
                adapters[field.name] = connection.ops.adapt_datetimefield_value
            elif isinstance(field, models.DateField):
                adapters[field.name] = connection.ops.adapt_datefield_value
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
            [
                tuple(
                    adapters[name](value) if name in adapters else value
                    for name, value in zip(names, values(row), strict=True)
                )
                for row in rows
            ],
        )


def rows_delete_all(model: type[models.Model]) -> None:
    """Every row of a derived table gone in one statement: no rows loaded, no signals, no cascades followed."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def rows_summed(
    source: type[models.Model], target: type[models.Model], key: Sequence[str], counts: Sequence[str]
) -> int:
    """``target``'s rows written again as ``source``'s ``counts`` added up per ``key``; returns how many.

    For rollups kept at two grains (a team's rows summing the full ones): one GROUP BY, in the caller's
    transaction. A key whose sums are all zero gets no row, as the live writers leave none.
    """
    rows_delete_all(target)
    sums = source._default_manager.values(*key).annotate(**{f"{name}_sum": Sum(name) for name in counts}).order_by()
    rows = [
        {**{name: row[name] for name in key}, **{name: row[f"{name}_sum"] or 0 for name in counts}}
        for row in sums
        if any(row[f"{name}_sum"] for name in counts)
    ]
    rows_insert(target, rows)
    return len(rows)


def writes_held(model: type[models.Model]) -> None:
    """Until the caller's transaction ends, no other transaction writes to the model's table.

    PostgreSQL: a SHARE lock (readers go on, writers wait). SQLite: nothing to do, a write transaction
    already holds the database's one write lock (IMMEDIATE transactions, comptoir.settings).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} IN SHARE MODE")
