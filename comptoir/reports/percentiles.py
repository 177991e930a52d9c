"""Percentiles over a range, computed in the database from the per-ticket facts.

A median cannot be added up from daily medians, so the speed figures are not
rollups: they are read from TicketFacts (one row per ticket, indexed by the date
the figure belongs to) over exactly the tickets of the range and filters.

Both backends answer with the same definition, the continuous percentile
(PostgreSQL's ``percentile_cont``: the value at rank 1 + p·(n - 1), interpolated
between the two neighbouring values), so that a figure does not change when a
team moves from SQLite to PostgreSQL:

- PostgreSQL: ``percentile_cont(ARRAY[...]) WITHIN GROUP (ORDER BY v)``, one
  aggregate per group, in one query;
- SQLite has no such aggregate: a window (ROW_NUMBER and COUNT per group) ranks
  the values and only the one or two rows around each wanted rank are returned,
  the interpolation is done here. Still one query, still no row sent that is not needed.
"""

from __future__ import annotations

# The queries below format in only the ORM's own SQL for the rows and constants; every value is a parameter.
# ruff: noqa: S608
import math
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet

Key = Any
# Each group's values at each wanted percentile, in the order asked (None: no value in the group).
Answer = dict[Key, tuple[float | None, ...]]


def percentiles(
    rows: QuerySet[Any], value: str, *, group: str | None = None, wanted: Sequence[float] = (0.5, 0.9)
) -> Answer:
    """The ``wanted`` percentiles of ``value`` over ``rows`` (null values left out), per ``group`` if given.

    ``rows`` may carry annotations; ``group`` and ``value`` name fields or annotations of it.
    Without ``group`` the answer's one key is None.
    """
    named = {"report_value": F(value)} if group is None else {"report_key": F(group), "report_value": F(value)}
    inner = rows.filter(**{f"{value}__isnull": False}).values(**named).order_by()
    sql, params = inner.query.sql_with_params()
    key = "NULL" if group is None else "report_key"
    if connection.vendor == "postgresql":
        array = ", ".join(["%s"] * len(wanted))
        query = (
            f"SELECT {key}, percentile_cont(ARRAY[{array}]::float8[]) WITHIN GROUP (ORDER BY report_value) "
            f"FROM ({sql}) AS facts GROUP BY 1"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, (*wanted, *params))
            return {row[0]: tuple(row[1]) for row in cursor.fetchall()}
    rank = "CAST(1 + %s * (n - 1) AS INTEGER)"
    ranks = " OR ".join(f"rn = {rank} OR rn = {rank} + 1" for _ in wanted)
    partition = "" if group is None else "PARTITION BY report_key"
    query = (
        f"SELECT k, v, rn, n FROM (SELECT {key} AS k, report_value AS v, "
        f"ROW_NUMBER() OVER ({partition} ORDER BY report_value) AS rn, COUNT(*) OVER ({partition}) AS n "
        f"FROM ({sql}) AS facts) AS ranked WHERE {ranks}"
    )
    picked: dict[Key, dict[int, float]] = {}
    sizes: dict[Key, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, (*params, *[p for p in wanted for _twice in (0, 1)]))
        for k, v, rn, n in cursor.fetchall():
            picked.setdefault(k, {})[rn] = float(v)
            sizes[k] = n
    return {k: tuple(_interpolate(picked[k], sizes[k], p) for p in wanted) for k in picked}


def _interpolate(values: dict[int, float], n: int, p: float) -> float:
    position = 1 + p * (n - 1)
    low = math.floor(position)
    fraction = position - low
    if fraction == 0 or low + 1 not in values:
        return values[low]
    return values[low] + fraction * (values[low + 1] - values[low])
