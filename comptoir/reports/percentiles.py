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
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet

Key = Any
# Each group's values at each wanted percentile, in the order asked (None: no value in the group).
Answer = dict[Key, tuple[float | None, ...]]


@dataclass(frozen=True)
class Series:
    """Rows read once: the percentiles of the ``values`` columns (nulls left out), the rows' number, and
    the ``sums`` columns (integers) added up; ``rows`` may carry annotations that these name."""

    rows: QuerySet[Any]
    values: Sequence[str]
    sums: Sequence[str] = ()


@dataclass
class Figures:
    """One group's figures of a Series: per value column its percentiles (None: no value), the rows, the sums."""

    percentiles: dict[str, tuple[float | None, ...]]
    count: int = 0
    sums: dict[str, int] = field(default_factory=dict)


def percentiles(
    rows: QuerySet[Any], value: str, *, group: str | None = None, wanted: Sequence[float] = (0.5, 0.9)
) -> Answer:
    """The ``wanted`` percentiles of ``value`` over ``rows`` (null values left out), per ``group`` if given.

    ``rows`` may carry annotations; ``group`` and ``value`` name fields or annotations of it.
    Without ``group`` the answer's one key is None. A group without a value is not in the answer.
    """
    [answer] = figures([Series(rows.filter(**{f"{value}__isnull": False}), (value,))], group=group, wanted=wanted)
    return {key: found.percentiles[value] for key, found in answer.items()}


def figures(
    series: Sequence[Series], *, group: str | None = None, wanted: Sequence[float] = (0.5, 0.9)
) -> list[dict[Key, Figures]]:
    """Each series' figures per ``group`` (a field or annotation its rows all have), in one query.

    A group is in a series' answer when it has a row there.
    """
    width_values = max(len(one.values) for one in series)
    width_sums = max((len(one.sums) for one in series), default=0)
    parts: list[str] = []
    params: list[Any] = []
    postgresql = connection.vendor == "postgresql"
    for number, one in enumerate(series):
        named: dict[str, Any] = {"report_key": F(group)} if group is not None else {}
        named.update({f"report_v{index}": F(name) for index, name in enumerate(one.values)})
        named.update({f"report_s{index}": F(name) for index, name in enumerate(one.sums)})
        sql, inner_params = one.rows.values(**named).order_by().query.sql_with_params()
        key = "NULL" if group is None else "report_key"
        # Every part gives the same columns: those of values and sums it has not are NULL.
        shape = (len(one.values), len(one.sums), width_values, width_sums)
        part, part_params = (_postgresql if postgresql else _sqlite)(number, key, sql, shape, wanted)
        parts.append(part)
        params.extend([*part_params[0], *inner_params, *part_params[1]])
    answers: list[dict[Key, Figures]] = [{} for _series in series]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    if postgresql:
        for number, key, count, *rest in rows:
            one = series[number]
            arrays, sums = rest[:width_values], rest[width_values : width_values + len(one.sums)]
            answers[number][key] = Figures(
                {
                    name: tuple(arrays[index]) if arrays[index] is not None else (None,) * len(wanted)
                    for index, name in enumerate(one.values)
                },
                count,
                {name: sums[index] or 0 for index, name in enumerate(one.sums)},
            )
        return answers
    picked: dict[tuple[int, Key, int], dict[int, float]] = {}
    sizes: dict[tuple[int, Key, int], int] = {}
    for number, key, count, *rest in rows:
        one = series[number]
        if key not in answers[number]:
            sums = rest[3 * width_values : 3 * width_values + len(one.sums)]
            answers[number][key] = Figures({}, count, {name: sums[index] or 0 for index, name in enumerate(one.sums)})
        for index in range(len(one.values)):
            value, rank, size = rest[3 * index : 3 * index + 3]
            sizes[number, key, index] = size
            if value is not None:
                picked.setdefault((number, key, index), {})[rank] = float(value)
    for number, one in enumerate(series):
        for key, found in answers[number].items():
            for index, name in enumerate(one.values):
                size = sizes.get((number, key, index), 0)
                values = picked.get((number, key, index), {})
                found.percentiles[name] = tuple(_interpolate(values, size, p) if size else None for p in wanted)
    return answers


# The number of value and sum columns of a series, and of the widest series.
Shape = tuple[int, int, int, int]


def _postgresql(
    number: int, key: str, sql: str, shape: Shape, wanted: Sequence[float]
) -> tuple[str, tuple[list[Any], list[Any]]]:
    values, sums, width_values, width_sums = shape
    array = ", ".join(["%s"] * len(wanted))
    columns = [
        f"percentile_cont(ARRAY[{array}]::float8[]) WITHIN GROUP (ORDER BY report_v{index})" for index in range(values)
    ]
    columns += ["NULL::float8[]"] * (width_values - values)
    columns += [f"SUM(report_s{index})" for index in range(sums)]
    columns += ["NULL::bigint"] * (width_sums - sums)
    # Without a group, one plain aggregate (no sort of the rows by a constant key), none when no row.
    grouping = "HAVING COUNT(*) > 0" if key == "NULL" else "GROUP BY 2"
    query = f"SELECT {number}, {key}, COUNT(*), {', '.join(columns)} FROM ({sql}) AS facts {grouping}"
    return query, ([*wanted] * values, [])


def _sqlite(
    number: int, key: str, sql: str, shape: Shape, wanted: Sequence[float]
) -> tuple[str, tuple[list[Any], list[Any]]]:
    values, sums, width_values, width_sums = shape
    # Per value column: its rank among the group's values (nulls after them) and how many there are; only the
    # rows at or next to a wanted rank come back, and one row per group for its number of rows and sums.
    partition = "" if key == "NULL" else "PARTITION BY report_key"
    windows = [
        f"ROW_NUMBER() OVER ({partition} ORDER BY report_v{index} IS NULL, report_v{index}) AS rn{index}, "
        f"COUNT(report_v{index}) OVER ({partition}) AS n{index}"
        for index in range(values)
    ]
    windows += [f"SUM(report_s{index}) OVER ({partition}) AS s{index}" for index in range(sums)]
    rank = "CAST(1 + %s * (n{index} - 1) AS INTEGER)"
    wanted_ranks = " OR ".join(
        f"rn{index} = {rank.format(index=index)} OR rn{index} = {rank.format(index=index)} + 1"
        for index in range(values)
        for _p in wanted
    )
    columns = [f"v{index}, rn{index}, n{index}" for index in range(values)]
    columns += ["NULL, NULL, NULL"] * (width_values - values)
    columns += [f"s{index}" for index in range(sums)]
    columns += ["NULL"] * (width_sums - sums)
    query = (
        f"SELECT {number}, k, c, {', '.join(columns)} FROM (SELECT {key} AS k, "
        + ", ".join(f"report_v{index} AS v{index}" for index in range(values))
        + f", {', '.join(windows)}, COUNT(*) OVER ({partition}) AS c, ROW_NUMBER() OVER ({partition}) AS lead_row "
        f"FROM ({sql}) AS facts) AS ranked WHERE lead_row = 1 OR {wanted_ranks}"
    )
    return query, ([], [p for _index in range(values) for p in wanted for _twice in (0, 1)])


def _interpolate(values: dict[int, float], n: int, p: float) -> float:
    position = 1 + p * (n - 1)
    low = math.floor(position)
    fraction = position - low
    if fraction == 0 or low + 1 not in values:
        return values[low]
    return values[low] + fraction * (values[low + 1] - values[low])
