"""Cursor pages: ``?limit=`` rows (at most 100) after the ``cursor`` of the page before.

A cursor holds the sort key of the last row read, so rows written meanwhile
shift nothing: a new ticket appears on the first page, never twice or in
place of another further on. There is no total: counting every row would cost
what the pages save. Each page is one query, whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from comptoir.api.problems import QueryInvalid


class Pages(CursorPagination):
    """Pages in the view's ``ordering``, of the view's ``limit`` (both read from the checked query)."""

    cursor_query_param = "cursor"
    page_size_query_param = "limit"

    def __init__(
        self,
        *,
        ordering: Sequence[str],
        limit: int,
        notices: Sequence[str] | None = None,
        position: Literal["time", "text", "number"] = "time",
    ) -> None:
        self.ordering = tuple(ordering)
        self.page_size = self.limit = limit
        # What the ordering's first field holds: a time (most lists), a name (tags, groups), a number (positions).
        self.position = position
        # Said with the rows: what the search did not understand (the ticket list only).
        self.notices = notices

    def get_page_size(self, request: Request) -> int:
        return self.limit

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> tuple[str, ...]:
        return tuple(self.ordering)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            readable = False
        else:
            # The position goes into the query: it must be what the ordering's first field holds.
            position = None if cursor is None else cursor.position
            readable = position is None or _READABLE[self.position](str(position))
        if not readable:
            raise QueryInvalid({"cursor": [gettext("This cursor is not one the API gave.")]})
        return cursor

    def get_paginated_response(self, data: Any) -> Response:
        body: dict[str, Any] = {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        if self.notices is not None:
            body["notices"] = list(self.notices)
        return Response(body)


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) < 12


def _is_text(text: str) -> bool:
    return "\x00" not in text


def _is_time(text: str) -> bool:
    try:
        return parse_datetime(text) is not None
    except ValueError:
        return False


_READABLE = {"time": _is_time, "text": _is_text, "number": _is_number}
