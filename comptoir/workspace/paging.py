"""Keyset pages: the rows after (or before) a given row, in index order, at any depth.

OFFSET makes the database read and throw away every row before the page: page
1,000 of a view reads 25,000 rows. A keyset page starts where the last one
ended instead, ``WHERE (updated_at, id) < (<last row's>)``, which an index on
the same columns in the same order serves as a range: page 1,000 costs what
page 1 costs. The price is that pages have no numbers, only "next" and
"previous", as in a mail client.

A cursor is the sort key of a boundary row, written as integers (datetimes in
microseconds since the epoch) so that it reads back exactly. It is a position,
not a permission: the view's filters apply to every page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, DateTimeField, Expression, F, Field, Func, Model, QuerySet, Value
from django.db.models.sql.compiler import SQLCompiler

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A cursor longer than this is not one of ours.
_MAX_CURSOR_CHARS = 100


class Slot(Expression):
    """A value left out of a compiled statement: compiled as a placeholder whose parameter is this slot itself.

    A statement compiled once (comptoir.workspace.compiled) is run again with each slot's parameter replaced by
    the value it stands for, prepared for the database as ``Value`` would prepare it (``prepared``).
    """

    def __init__(self, index: int, output_field: Field[Any, Any]) -> None:
        super().__init__(output_field=output_field)
        self.index = index

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        return "%s", [self]

    def prepared(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        return self.output_field.get_db_prep_value(value, connection=connection)


class RowBeyond(Func):
    """``(a, b, c) < (x, y, z)`` (or ``>``): a row value comparison, which SQLite and PostgreSQL use as an index range.

    Django's own tuple lookups are internal API; this is the one comparison the
    pages need, written with the documented Func interface.
    """

    output_field = BooleanField()

    def __init__(self, fields: Sequence[str], values: Sequence[Any], *, greater: bool) -> None:
        if len(fields) != len(values) or not fields:
            raise ValueError("one value per field, at least one field")
        # A Slot stands for a value given when a statement compiled once runs (comptoir.workspace.compiled).
        super().__init__(
            *(F(name) for name in fields), *(value if isinstance(value, Slot) else Value(value) for value in values)
        )
        self.width = len(fields)
        self.operator = ">" if greater else "<"

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        left, right = ", ".join(parts[: self.width]), ", ".join(parts[self.width :])
        return f"(({left}) {self.operator} ({right}))", params


def _fields(order: Sequence[str]) -> tuple[list[str], bool]:
    """The field names of an ordering, and whether it is descending; one direction for all, as an index reads."""
    descending = {name.startswith("-") for name in order}
    if len(descending) != 1:
        raise ValueError(f"a keyset ordering goes one way: {order}")
    return [name.lstrip("-") for name in order], descending.pop()


def _reversed(order: Sequence[str]) -> list[str]:
    return [name[1:] if name.startswith("-") else f"-{name}" for name in order]


def cursor_of(row: Any, order: Sequence[str]) -> str:
    values = []
    for name in _fields(order)[0]:
        value = getattr(row, name)
        if isinstance(value, datetime):
            value = (value - _EPOCH) // timedelta(microseconds=1)
        values.append(str(int(value)))
    return ".".join(values)


def _decode(cursor: str, row_type: type[Model], order: Sequence[str]) -> list[Any] | None:
    """The sort key a cursor holds, typed for its fields; None when it is not a cursor of this ordering."""
    names = _fields(order)[0]
    pieces = cursor.split(".") if len(cursor) <= _MAX_CURSOR_CHARS else []
    if len(pieces) != len(names) or not all(piece.lstrip("-").isdigit() for piece in pieces):
        return None
    values: list[Any] = []
    for name, piece in zip(names, pieces, strict=True):
        number = int(piece)
        if isinstance(row_type._meta.get_field(name), DateTimeField):
            try:
                values.append(_EPOCH + timedelta(microseconds=number))
            except OverflowError:
                return None
        else:
            values.append(number)
    return values


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Any]
    # Cursors for the links: None where there is no such page.
    next_cursor: str | None
    previous_cursor: str | None
    # Not the first page: a link back to it is worth showing.
    is_first: bool


# Reads a keyset page's rows: (the boundary's sort key or None, whether rows lie above it, the order to read
# them in, how many at most) -> the rows, each with the order's fields as attributes.
KeysetRead = Callable[[list[Any] | None, bool, list[str], int], list[Any]]


def keyset_page(
    rows: QuerySet[Any], order: Sequence[str], *, after: str = "", before: str = "", size: int
) -> KeysetPage:
    """One page of ``rows`` in ``order``: the first, the one after the ``after`` cursor, or the one before ``before``.

    One query: it reads one row more than the page to know whether another follows.
    """
    names = _fields(order)[0]

    def read(boundary: list[Any] | None, greater: bool, reading: list[str], limit: int) -> list[Any]:
        bounded = rows if boundary is None else rows.filter(RowBeyond(names, boundary, greater=greater))
        return list(bounded.order_by(*reading)[:limit])

    return keyset_read(read, rows.model, order, after=after, before=before, size=size)


def keyset_read(
    read: KeysetRead, model: type[Model], order: Sequence[str], *, after: str = "", before: str = "", size: int
) -> KeysetPage:
    """keyset_page, its rows read by ``read`` (a statement compiled once, comptoir.workspace.compiled)."""
    descending = _fields(order)[1]
    boundary = _decode(before, model, order) if before else None
    if boundary is not None:
        # Backwards: read the rows before the boundary in reverse order, then turn them round.
        found = read(boundary, descending, _reversed(order), size + 1)
        page = found[:size][::-1]
        more_before = len(found) > size
        return KeysetPage(
            rows=page,
            next_cursor=cursor_of(page[-1], order) if page else None,
            previous_cursor=cursor_of(page[0], order) if page and more_before else None,
            is_first=not more_before,
        )
    boundary = _decode(after, model, order) if after else None
    found = read(boundary, not descending, list(order), size + 1)
    page = found[:size]
    return KeysetPage(
        rows=page,
        next_cursor=cursor_of(page[-1], order) if len(found) > size else None,
        previous_cursor=cursor_of(page[0], order) if boundary is not None and page else None,
        is_first=boundary is None,
    )


# A ranked order (the search's relevance) cannot be read as a keyset: no index holds a score,
# which is worked out anew for every row on every page (so a cursor saves nothing), and FTS5's
# bm25 weighs a word by how many rows hold it, so the same ticket's score moves whenever a
# message anywhere is written and a score kept in a cursor no longer says where a page ends.
# Ranked pages go by position instead (OFFSET), for the first RANKED_ROWS rows only: past 20
# pages a ranking no longer helps, and the agent sorts by date to go on.
RANKED_ROWS = 500


def offset_page(fetch: Callable[[int, int], list[Any]], *, after: str = "", before: str = "", size: int) -> KeysetPage:
    """A page of a ranked order, which ``fetch(start, count)`` reads: ``count`` rows from position ``start``.

    The cursors are positions: ``after=50`` is the page starting at row 50,
    ``before=50`` the page ending before it, as the keyset pages' links write
    them. One call of ``fetch``, for one row more than the page.
    """
    start = 0
    position = _position(after or before)
    if position is not None:
        start = position if after else max(position - size, 0)
    found = fetch(start, size + 1)
    page = found[:size]
    return KeysetPage(
        rows=page,
        next_cursor=str(start + size) if len(found) > size and start + size < RANKED_ROWS else None,
        previous_cursor=str(start) if start > 0 else None,
        is_first=start == 0,
    )


def _position(cursor: str) -> int | None:
    """The position a ranked page's cursor holds; None when it is not one (a keyset cursor, past RANKED_ROWS)."""
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 4):
        return None
    position = int(cursor)
    return position if position < RANKED_ROWS else None
