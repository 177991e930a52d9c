"""Read-only statements compiled once and run again with new values, their rows as tuples.

Django compiles a queryset anew at every evaluation: for the list's rows (five
subqueries in the select list, the filters, the search's conditions) that
costs more Python than the database spends running the statement, and making a
model instance per row, each related object and each tag costs as much again.
A ``Compiled`` keeps the statement Django wrote, with its parameters, and the
converters Django would apply to its columns; running it is one ``execute``
and one ``fetchall``. The values that change from one run to the next (a
keyset page's boundary) are ``Slot`` s in the queryset it was compiled from.

A Compiled holds no connection: it runs on the current thread's connection to
its database alias, so that one compiled in a thread serves every thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Expression, Model, QuerySet

from comptoir.workspace.paging import Slot

Converter = Callable[[Any, Expression, Any], Any]
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Compiled:
    alias: str
    # "" when the queryset can hold no row (Django's EmptyResultSet): running it reads nothing.
    sql: str
    params: tuple[Any, ...]
    # The columns, in the statement's order (a values_list's names).
    names: tuple[str, ...]
    # Per column that has any: its position, Django's converters (backend's then field's) and its expression.
    converters: tuple[tuple[int, tuple[Converter, ...], Expression], ...]

    def run(self, values: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows, each a tuple in ``names`` order; ``values``: what each Slot stands for, by its index."""
        if not self.sql:
            return []
        connection = connections[self.alias]
        params = [
            param.prepared(values[param.index], connection) if isinstance(param, Slot) else param
            for param in self.params
        ]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        if not self.converters:
            return rows
        converted = []
        for row in rows:
            values_out = list(row)
            for position, functions, expression in self.converters:
                value = values_out[position]
                for function in functions:
                    value = function(value, expression, connection)
                values_out[position] = value
            converted.append(tuple(values_out))
        return converted


def compiled(rows: QuerySet[Any]) -> Compiled:
    """``rows`` (a ``values_list`` queryset, ordered and sliced as it will run) compiled to SQL, once."""
    query = rows.query
    if query.selected is None:
        raise ValueError("compile a values_list() queryset: its columns are named")
    compiler = query.get_compiler(using=rows.db)
    names = tuple(query.selected)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return Compiled(rows.db, "", (), names, ())
    expressions = [column[0] for column in compiler.select[0 : compiler.col_count]]
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(expressions).items()
    )
    return Compiled(rows.db, sql, tuple(params), names, converters)


# Statements of kept_models, by their key: a process's own memo of SQL (never of rows), bounded, emptied when full.
_MODELS_COMPILED: dict[tuple[Any, ...], Compiled] = {}
_MODELS_KEPT = 2_000


def kept_models(key: tuple[Any, ...], model: type[M], rows: Callable[[], QuerySet[M]]) -> list[M]:
    """The instances ``rows()`` holds, read by a statement compiled the first time ``key`` is seen.

    ``key`` must say everything the queryset's SQL depends on (the database alias, the user it is for...):
    ``rows`` is called only to compile it. Each call reads the rows anew; the instances are made as
    Django makes them (``Model.from_db``), with every concrete field.
    """
    statement = _MODELS_COMPILED.get(key)
    if statement is None:
        names = [field.attname for field in model._meta.concrete_fields]
        statement = compiled(rows().values_list(*names))
        if len(_MODELS_COMPILED) >= _MODELS_KEPT:
            _MODELS_COMPILED.clear()
        _MODELS_COMPILED[key] = statement
    return [model.from_db(statement.alias, statement.names, row) for row in statement.run()]
