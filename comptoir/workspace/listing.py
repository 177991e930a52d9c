"""The ticket list as its address describes it: the view, the search, the filters and the sort.

Read in one place, for the list itself and for the saved views' counts, so
that a saved view counts exactly the tickets it lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import QueryDict

from comptoir.accounts.models import User
from comptoir.tickets.models import SupportGroup, Ticket
from comptoir.workspace import selectors
from comptoir.workspace.forms import TicketFilterForm
from comptoir.workspace.search import Search, search_condition
from comptoir.workspace.search_query import SearchQuery, parse_search

# The parameters a saved view keeps: the rest (the page) is not part of what a view is.
LIST_PARAMETERS = ("view", "q", "status", "assignee", "group", "type", "priority", "sort")
DEFAULT_VIEW = "unassigned"


@dataclass(frozen=True)
class Listing:
    view_key: str
    typed: str
    query: SearchQuery
    search: Search
    filters: TicketFilterForm
    rows: QuerySet[Ticket]


def listing(params: QueryDict, agent: User, *, agents: list[User], groups: list[SupportGroup]) -> Listing:
    view_key = params.get("view", DEFAULT_VIEW)
    if view_key not in selectors.VIEW_KEYS:
        view_key = DEFAULT_VIEW
    typed = params.get("q", "").strip()[:500]
    query = parse_search(typed)
    search = search_condition(query, agent)
    filters = TicketFilterForm(params, agents=agents, groups=groups)
    rows = selectors.ticket_rows(view_key, agent, filters.queryset_filters(), search.condition)
    return Listing(view_key, typed, query, search, filters, rows)


def saved_params(params: QueryDict) -> str:
    """What of the list's address a saved view keeps, URL-encoded, blanks left out."""
    kept = QueryDict(mutable=True)
    for name in LIST_PARAMETERS:
        value = params.get(name, "").strip()
        if value:
            kept[name] = value
    return kept.urlencode()
