"""Cursor pages: ``?limit=`` rows (at most 100) after the ``cursor`` of the page before.

A cursor holds the sort key of the last row read, so rows written meanwhile
shift nothing: a new ticket appears on the first page, never twice or in
place of another further on. There is no total: counting every row would cost
what the pages save. Each page is one query, whatever its size.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, Literal

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from comptoir.api.problems import QueryInvalid
from comptoir.workspace.paging import RANKED_ROWS


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


class RankedPages:
    """Pages of a ranked order (a search's relevance), by position, as the workspace pages it.

    A score cannot be a cursor (comptoir.workspace.paging.RANKED_ROWS says why):
    the cursor holds the position of the page's first row, so a ticket written
    meanwhile may shift a row from one page to the next. The first RANKED_ROWS
    rows only, as in the workspace: past them a program sorts by date.
    """

    PREFIX = "rank:"

    def __init__(self, *, limit: int, notices: Sequence[str]) -> None:
        self.limit = limit
        self.notices = notices

    def response(
        self, request: Request, fetch: Callable[[int, int], list[Any]], serialize: Callable[[Any], Any]
    ) -> Response:
        start = self._start(request.query_params.get("cursor"))
        found = fetch(start, self.limit + 1)
        url = request.build_absolute_uri()
        end = start + self.limit
        following = len(found) > self.limit and end < RANKED_ROWS
        return Response(
            {
                "next": replace_query_param(url, "cursor", self._cursor(end)) if following else None,
                "previous": self._previous(url, start),
                "results": serialize(found[: self.limit]),
                "notices": list(self.notices),
            }
        )

    def _previous(self, url: str, start: int) -> str | None:
        if start == 0:
            return None
        before = max(start - self.limit, 0)
        return replace_query_param(url, "cursor", self._cursor(before)) if before else remove_query_param(url, "cursor")

    def _cursor(self, start: int) -> str:
        return base64.urlsafe_b64encode(f"{self.PREFIX}{start}".encode()).decode()

    def _start(self, cursor: str | None) -> int:
        if not cursor:
            return 0
        try:
            text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        except (UnicodeError, binascii.Error, ValueError):
            text = ""
        number = text.removeprefix(self.PREFIX)
        if not text.startswith(self.PREFIX) or not _is_number(number) or int(number) >= RANKED_ROWS:
            raise QueryInvalid({"cursor": [gettext("This cursor is not one the API gave.")]})
        return int(number)


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
