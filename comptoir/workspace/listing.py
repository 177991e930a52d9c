"""The ticket list as its address describes it: the view, the search, the filters and the sort.

Read in one place, for the list itself and for the saved views' counts, so
that a saved view counts exactly the tickets it lists. (Not the look-alikes a
search whose words no ticket holds shows instead: a view counts the tickets
holding its words.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import router
from django.db.models import DateTimeField, IntegerField, QuerySet
from django.http import Http404, QueryDict
from django.utils import timezone

from comptoir.accounts.models import User
from comptoir.tickets import search_index
from comptoir.tickets.models import SupportGroup, Ticket
from comptoir.tickets.search import (
    Search,
    likeness,
    lookalike_search,
    search_condition,
    search_plans,
    sought_terms,
)
from comptoir.tickets.search_query import SearchQuery, parse_search
from comptoir.workspace import selectors
from comptoir.workspace.compiled import Compiled, compiled
from comptoir.workspace.forms import RELEVANCE, TicketFilterForm
from comptoir.workspace.models import SavedView
from comptoir.workspace.paging import KeysetPage, KeysetRead, RowBeyond, Slot, keyset_read, offset_page

# The parameters a saved view keeps: the rest (the page) is not part of what a view is.
LIST_PARAMETERS = ("view", "q", "status", "assignee", "group", "type", "priority", "sort")
DEFAULT_VIEW = "mine"


@dataclass(frozen=True)
class Listing:
    view_key: str
    typed: str
    query: SearchQuery
    search: Search
    filters: TicketFilterForm
    agent: User

    @property
    def rows(self) -> QuerySet[Ticket]:
        """The list's tickets as model instances, with what a row shows (the list page reads listing_page's)."""
        return selectors.ticket_rows(self.view_key, self.agent, self.filters.queryset_filters(), self.search.condition)


def listing(params: QueryDict, agent: User, *, agents: list[User], groups: list[SupportGroup]) -> Listing:
    view_key, typed, query, search, filters = _read(params, agent, agents=agents, groups=groups)
    return Listing(view_key, typed, query, search, filters, agent)


def listing_matches(
    params: QueryDict, agent: User, *, agents: list[User], groups: list[SupportGroup]
) -> QuerySet[Ticket]:
    """The tickets the list of ``params`` holds, without the rows' columns: what a saved view's count reads."""
    view_key, _typed, _query, search, filters = _read(params, agent, agents=agents, groups=groups)
    return selectors.ticket_matches(view_key, agent, filters.queryset_filters(), search.condition)


def saved_view_named(key: str, saved_views: Iterable[SavedView]) -> SavedView:
    """The view ``?saved=<key>`` names among the agent's ``saved_views`` (the list's, the export's); 404 otherwise."""
    # A number an id column can hold: a longer one names nothing (and must not overflow a query).
    well_formed = key.isascii() and key.isdigit() and len(key) <= 18
    saved = next((view for view in saved_views if well_formed and view.pk == int(key)), None)
    if saved is None:
        raise Http404
    return saved


# What a saved view's count compiles to, by everything that decides it (matches_count). A process's own
# memo, not a shared cache: what it keeps is worked out from its key alone, so no process can read a
# stale one, and a process that never saw a view compiles it once. Bounded: emptied when full.
_COUNTS_COMPILED: dict[tuple[Any, ...], selectors.CountSql] = {}
_COUNTS_KEPT = 2_000


def matches_count(params: str, agent: User, *, agents: list[User], groups: list[SupportGroup]) -> selectors.CountSql:
    """The SQL of a saved view's count (its ``params``, as saved): what ``listing_matches`` counts, compiled once.

    Each of an agent's saved views is a filter form validated, a search parsed and a query compiled: on
    every list page, for every view of the side bar, several times the SQL's own time. The SQL depends on
    nothing but the view's parameters, the agent (``mine``, ``assignee:me``), which agents and groups the
    filters accept, the time zone dates are read in (``created>2026-11-01``) and the database. One
    exception reads the data: on PostgreSQL the share of tickets holding a phrase or several words
    chooses between two plans that select the same tickets (comptoir.tickets.search_index.WordsSought),
    so the plans it chose are part of the key (search_plans; a share is measured again every few
    minutes). Filters must not otherwise read the database: what they read would be kept here too.
    """
    key = (
        router.db_for_read(Ticket),
        params,
        agent.pk,
        tuple(each.pk for each in agents),
        tuple(group.pk for group in groups),
        timezone.get_current_timezone_name(),
        # Its words' plans, which their shares choose (comptoir.tickets.search.search_plans): a new plan, a new key.
        search_plans(QueryDict(params).get("q", "").strip()[:500], selectors.COUNT_CAP + 1),
    )
    compiled = _COUNTS_COMPILED.get(key)
    if compiled is None:
        compiled = selectors.capped_count(listing_matches(QueryDict(params), agent, agents=agents, groups=groups))
        if len(_COUNTS_COMPILED) >= _COUNTS_KEPT:
            _COUNTS_COMPILED.clear()
        _COUNTS_COMPILED[key] = compiled
    return compiled


def _read(
    params: QueryDict, agent: User, *, agents: list[User], groups: list[SupportGroup]
) -> tuple[str, str, SearchQuery, Search, TicketFilterForm]:
    view_key = params.get("view", DEFAULT_VIEW)
    if view_key not in selectors.VIEW_KEYS:
        view_key = DEFAULT_VIEW
    typed = params.get("q", "").strip()[:500]
    query = parse_search(typed)
    return (
        view_key,
        typed,
        query,
        search_condition(query, agent),
        TicketFilterForm(params, agents=agents, groups=groups),
    )


@dataclass(frozen=True)
class ListingPage:
    page: KeysetPage
    # No ticket holds the words sought: the rows are tickets whose subject or requester looks like them.
    lookalikes: bool
    # Said above the rows: what the search did not understand, and that the rows are look-alikes.
    notices: tuple[str, ...]


def listing_page(listed: Listing, agent: User, *, found: int, after: str = "", before: str = "") -> ListingPage:
    """The page of the list the cursors say, its rows TicketRows; ``found``: how many tickets the list holds
    (0 or not is what counts).

    When the search's words are in no ticket of the list, the page lists the
    tickets that look like them instead (PostgreSQL only, lookalike_search): on
    every page of them, since ``found`` stays 0 as the agent pages through.
    """
    alike = lookalike_search(listed.query, agent) if not found else None
    if alike is not None:
        tickets = selectors.ticket_matches(listed.view_key, agent, listed.filters.queryset_filters(), alike.condition)
        search_index.typo_threshold_set()
        best_first = tickets.alias(likeness=likeness(listed.query)).order_by("-likeness", "-updated_at", "-id")

        def alike_ranked(start: int, count: int) -> list[selectors.TicketRow]:
            return _rows(compiled(selectors.row_values(best_first)[start : start + count]))

        def alike_read(boundary: list[Any] | None, greater: bool, reading: list[str], limit: int) -> list[Any]:
            return _rows(_page_statement(tickets, boundary, greater, reading, limit), boundary)

        page = _page(listed, alike_read, alike_ranked, after, before)
        if page.rows or not page.is_first:
            return ListingPage(page, lookalikes=True, notices=alike.notices)
        # Nothing looks like them either: the list is empty, as any list with nothing in it.
        return ListingPage(page, lookalikes=False, notices=listed.search.notices)
    page = _page(listed, _kept_read(listed), lambda start, count: _ranked_rows(listed, start, count), after, before)
    return ListingPage(page, lookalikes=False, notices=listed.search.notices)


# A page's statement by everything that decides it (_kept_read): as _COUNTS_COMPILED, a process's own memo,
# bounded, emptied when full. The boundary's values are the statement's only parameters that change.
_PAGES_COMPILED: dict[tuple[Any, ...], Compiled] = {}
# A statement is a few kilobytes of SQL: a few megabytes at most.
_PAGES_KEPT = 500


def _kept_read(listed: Listing) -> KeysetRead:
    """Reads the list's keyset pages through statements compiled once per process (comptoir.workspace.compiled).

    A page's SQL depends on nothing but the view, the agent (``mine``, ``assignee:me``), the filters as the
    form read them, the words typed (with the time zone dates are read in), the order, which side of a
    boundary it reads (none on the first page) and the database; the boundary's values are its parameters.
    As for a saved view's count (matches_count), the plans the words' shares chose are part of the key.
    """
    filters = listed.filters.queryset_filters()
    shape = (
        router.db_for_read(Ticket),
        listed.view_key,
        listed.typed,
        tuple(sorted(filters.items())),
        listed.agent.pk,
        timezone.get_current_timezone_name(),
    )

    def read(boundary: list[Any] | None, greater: bool, reading: list[str], limit: int) -> list[Any]:
        # The words' plans, which their shares choose (comptoir.tickets.search.search_plans): a new plan, a new key.
        plans = search_plans(listed.typed, limit)
        key = (*shape, tuple(reading), None if boundary is None else greater, limit, plans)
        statement = _PAGES_COMPILED.get(key)
        if statement is None:
            tickets = selectors.ticket_matches(listed.view_key, listed.agent, filters, listed.search.condition)
            statement = _page_statement(tickets, boundary, greater, reading, limit)
            if len(_PAGES_COMPILED) >= _PAGES_KEPT:
                _PAGES_COMPILED.clear()
            _PAGES_COMPILED[key] = statement
        return _rows(statement, boundary)

    return read


def _page_statement(
    tickets: QuerySet[Ticket], boundary: list[Any] | None, greater: bool, reading: list[str], limit: int
) -> Compiled:
    """The statement reading ``limit`` rows of ``tickets`` in ``reading`` order beyond a boundary, its values slots."""
    rows = selectors.row_values(tickets)
    if boundary is not None:
        # A Slot's output field as Value would resolve it from the value: what the statement's parameter was.
        slots = [
            Slot(index, DateTimeField() if isinstance(value, datetime) else IntegerField())
            for index, value in enumerate(boundary)
        ]
        rows = rows.filter(RowBeyond([name.lstrip("-") for name in reading], slots, greater=greater))
    return compiled(rows.order_by(*reading)[:limit])


def _rows(statement: Compiled, values: Sequence[Any] | None = None) -> list[selectors.TicketRow]:
    if statement.names != selectors.ROW_COLUMNS:
        raise ValueError(f"not a list rows' statement: {statement.names}")
    return [selectors.ticket_row(row) for row in statement.run(values or ())]


def listing_order(listed: Listing) -> tuple[str, ...] | None:
    """The list's order as fields, or None when it ranks by relevance (so sorted, with words to rank by).

    The sort asked for, else the view's own (comptoir.workspace.selectors.VIEW_SORTS).
    Relevance with no words to rank by is newest first, as the list is by default.
    """
    sort = listed.filters.ordering()
    if listed.view_key in selectors.VIEW_SORTS and not listed.filters.cleaned_data.get("sort"):
        sort = selectors.VIEW_SORTS[listed.view_key]
    if sort == RELEVANCE and sought_terms(listed.query):
        return None
    return selectors.SORTS.get(sort, selectors.SORTS["-updated"])


def _page(
    listed: Listing,
    read: KeysetRead,
    ranked: Callable[[int, int], list[selectors.TicketRow]],
    after: str,
    before: str,
) -> KeysetPage:
    """A page of rows: by relevance (``ranked`` reads it) when so sorted and words are sought, else by keyset."""
    order = listing_order(listed)
    if order is None:
        return offset_page(ranked, after=after, before=before, size=selectors.PAGE_SIZE)
    return keyset_read(read, Ticket, order, after=after, before=before, size=selectors.PAGE_SIZE)


def _ranked_rows(listed: Listing, start: int, count: int) -> list[selectors.TicketRow]:
    """by_relevance's tickets, as the list's rows."""
    ids = search_index.tickets_by_relevance(sought_terms(listed.query), listed.rows, start=start, count=count)
    if not ids:
        return []
    matches = selectors.ticket_matches(
        listed.view_key, listed.agent, listed.filters.queryset_filters(), listed.search.condition
    )
    rows = {row.pk: row for row in _rows(compiled(selectors.row_values(matches.filter(pk__in=ids))))}
    return [rows[pk] for pk in ids if pk in rows]


def by_relevance(listed: Listing, start: int, count: int) -> list[Ticket]:
    """``count`` of the list's tickets from position ``start``, best match first: two queries, the ids then the rows."""
    ids = search_index.tickets_by_relevance(sought_terms(listed.query), listed.rows, start=start, count=count)
    if not ids:
        return []
    rows = {ticket.pk: ticket for ticket in listed.rows.filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


def saved_params(params: QueryDict) -> str:
    """What of the list's address a saved view keeps, URL-encoded, blanks left out."""
    kept = QueryDict(mutable=True)
    for name in LIST_PARAMETERS:
        value = params.get(name, "").strip()
        if value:
            kept[name] = value
    return kept.urlencode()


def listing_params(params: QueryDict) -> str:
    """The list's own parameters as the address gave them (the cursors left out), URL-encoded: what
    matches_count reads to count the list's tickets as listing() reads them, values untouched."""
    kept = QueryDict(mutable=True)
    for name in LIST_PARAMETERS:
        if name in params:
            kept.setlist(name, params.getlist(name))
    return kept.urlencode()
