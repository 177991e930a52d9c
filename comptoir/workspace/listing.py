"""The ticket list as its address describes it: the view, the search, the filters and the sort.

Read in one place, for the list itself and for the saved views' counts, so
that a saved view counts exactly the tickets it lists. (Not the look-alikes a
search whose words no ticket holds shows instead: a view counts the tickets
holding its words.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import router
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.utils import timezone

from comptoir.accounts.models import User
from comptoir.tickets import search_index
from comptoir.tickets.models import SupportGroup, Ticket
from comptoir.tickets.search import Search, likeness, lookalike_search, search_condition, sought_terms
from comptoir.tickets.search_query import SearchQuery, parse_search
from comptoir.workspace import selectors
from comptoir.workspace.forms import RELEVANCE, TicketFilterForm
from comptoir.workspace.models import SavedView
from comptoir.workspace.paging import KeysetPage, keyset_page, offset_page

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
    rows: QuerySet[Ticket]


def listing(params: QueryDict, agent: User, *, agents: list[User], groups: list[SupportGroup]) -> Listing:
    view_key, typed, query, search, filters = _read(params, agent, agents=agents, groups=groups)
    rows = selectors.ticket_rows(view_key, agent, filters.queryset_filters(), search.condition)
    return Listing(view_key, typed, query, search, filters, rows)


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
    exception reads the data: on PostgreSQL a quoted phrase is probed once when its condition is built
    (comptoir.tickets.search_index.phrase_is_common) to choose between two plans that select the same
    tickets, so the count is right whichever was kept, but the plan chosen at the first compile stays
    for the life of the process (a phrase that becomes common later keeps the index's plan until a
    restart). Filters must not otherwise read the database: what they read would be kept here too.
    """
    key = (
        router.db_for_read(Ticket),
        params,
        agent.pk,
        tuple(each.pk for each in agents),
        tuple(group.pk for group in groups),
        timezone.get_current_timezone_name(),
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
    """The page of the list the cursors say; ``found``: how many tickets the list holds (0 or not is what counts).

    When the search's words are in no ticket of the list, the page lists the
    tickets that look like them instead (PostgreSQL only, lookalike_search): on
    every page of them, since ``found`` stays 0 as the agent pages through.
    """
    alike = lookalike_search(listed.query, agent) if not found else None
    if alike is not None:
        rows = selectors.ticket_rows(listed.view_key, agent, listed.filters.queryset_filters(), alike.condition)
        search_index.typo_threshold_set()
        best_first = rows.alias(likeness=likeness(listed.query)).order_by("-likeness", "-updated_at", "-id")
        page = _page(listed, rows, lambda start, count: list(best_first[start : start + count]), after, before)
        if page.rows or not page.is_first:
            return ListingPage(page, lookalikes=True, notices=alike.notices)
        # Nothing looks like them either: the list is empty, as any list with nothing in it.
        return ListingPage(page, lookalikes=False, notices=listed.search.notices)
    page = _page(listed, listed.rows, lambda start, count: by_relevance(listed, start, count), after, before)
    return ListingPage(page, lookalikes=False, notices=listed.search.notices)


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
    listed: Listing, rows: QuerySet[Ticket], ranked: Callable[[int, int], list[Ticket]], after: str, before: str
) -> KeysetPage:
    """A page of ``rows``: by relevance (``ranked`` reads it) when so sorted and words are sought, else by keyset."""
    order = listing_order(listed)
    if order is None:
        return offset_page(ranked, after=after, before=before, size=selectors.PAGE_SIZE)
    return keyset_page(rows, order, after=after, before=before, size=selectors.PAGE_SIZE)


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
