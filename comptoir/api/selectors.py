"""The tickets and messages a caller of the API reads: comptoir.tickets.access decides, the search selects.

An agent sees every ticket (spam aside in lists); a requester, what "My
tickets" shows them. The list's ``q`` and filters are the workspace search's
(comptoir.tickets.search), narrowing what the caller may see, never widening it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from rest_framework.exceptions import NotFound

from comptoir.accounts.models import User
from comptoir.api.problems import QueryInvalid
from comptoir.api.serializers import SORTS, TicketListQuerySerializer
from comptoir.ticketforms.values import values_prefetch
from comptoir.tickets import access
from comptoir.tickets.models import Attachment, Message, Tag, Ticket
from comptoir.tickets.public_update import public_update
from comptoir.tickets.search import filter_condition, requester_search_condition, search_condition
from comptoir.tickets.search_query import Filter, SearchQuery, parse_search

# A reference past this is no ticket of ours (and would overflow SQLite's integers).
MAX_REFERENCE = 2**62


def ticket_rows(*, agent: bool = True, fields: bool = True) -> QuerySet[Ticket]:
    """Tickets with what their representation reads: a fixed number of queries for any number of them.

    The requester's side gets each ticket's last public update besides (comptoir.tickets.public_update),
    and the values of the fields visible to customers only. ``fields`` False: the values are not read
    (one ticket whose representation may not be wanted; the serializer reads them itself if it is).
    """
    rows = Ticket.objects.select_related("requester", "assignee", "group").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )
    if fields:
        # The ticket fields' values (with their fields): one query more, whatever the number of tickets.
        rows = rows.prefetch_related(values_prefetch(customers=not agent))
    return rows if agent else rows.annotate(public_updated_at=public_update())


def ticket_ordering(sort: str, *, agent: bool) -> tuple[str, ...]:
    """The list's order for a ``sort`` of SORTS; sorted by update, a requester's follows the public update."""
    ordering = SORTS[sort]
    if agent:
        return ordering
    return tuple(field.replace("updated_at", "public_updated_at") for field in ordering)


def caller_ticket(request: HttpRequest, reference: int) -> Ticket:
    """The ticket, if the caller may see it; else 404, the same as for a ticket that does not exist."""
    ticket = None
    if 0 < reference < MAX_REFERENCE:
        # Its messages, files and clocks are read through it too: its fields' values only when shown.
        rows = ticket_rows(agent=access.is_agent(request), fields=False)
        ticket = rows.filter(pk=Ticket.pk_from_reference(reference)).first()
    if ticket is None or not access.can_view_ticket(request, ticket):
        raise NotFound
    return ticket


def ticket_listing(user: User, params: dict[str, Any]) -> tuple[QuerySet[Ticket], list[str]]:
    """The tickets the list's checked ``params`` select among those ``user`` sees, and the search's notices.

    A filter parameter whose value the search does not know is an error (a
    program wants to hear it); the same filter typed in ``q`` is left out with
    a notice, as in the workspace.
    """
    agent = user.is_agent
    allowed = TicketListQuerySerializer.FILTERS if agent else TicketListQuerySerializer.REQUESTER_FILTERS
    errors: dict[str, list[str]] = {}
    conditions: list[Q] = []
    for name in TicketListQuerySerializer.FILTERS:
        value = params.get(name)
        if value is None:
            continue
        if name not in allowed:
            errors[name] = [gettext("Only agents filter by this.")]
            continue
        matching = filter_condition(Filter(name, ":", value), user)
        if isinstance(matching, str):
            errors[name] = [matching]
        else:
            conditions.append(matching)
    if errors:
        raise QueryInvalid(errors)
    query = parse_search(params.get("q", "").strip())
    if agent:
        search = search_condition(query, user)
        visible = Q(spam=False)
    else:
        query, updated = _without_updated(query, user)
        search = requester_search_condition(query, user)
        visible = access.requester_visible(user)
        conditions += updated
    rows = ticket_rows(agent=agent).filter(visible).filter(search.condition)
    for condition in conditions:
        rows = rows.filter(condition)
    return rows, list(search.notices)


def _without_updated(query: SearchQuery, user: User) -> tuple[SearchQuery, list[Q]]:
    """A requester's ``updated`` filters, taken out of ``query`` and read against the public update instead."""
    updated = [typed for typed in query.filters if typed.name == "updated"]
    kept = tuple(typed for typed in query.filters if typed.name != "updated")
    conditions: list[Q] = []
    for typed in updated:
        matching = filter_condition(typed, user)
        assert isinstance(matching, Q)  # the parser keeps only dates that read
        matching = _renamed(matching, "updated_at", "public_updated_at")
        conditions.append(~matching if typed.negated else matching)
    return replace(query, filters=kept), conditions


def _renamed(condition: Q, field: str, to: str) -> Q:
    """``condition`` with its lookups on ``field`` made on ``to``."""
    renamed = Q(_connector=condition.connector, _negated=condition.negated)
    for child in condition.children:
        if isinstance(child, Q):
            renamed.children.append(_renamed(child, field, to))
        else:
            lookup, value = child  # type: ignore[misc]
            name, separator, rest = lookup.partition("__")
            renamed.children.append((to + separator + rest if name == field else lookup, value))
    return renamed


def ticket_messages(ticket: Ticket, *, agent: bool) -> QuerySet[Message]:
    """The conversation: every message for an agent, the public ones for the requester's side."""
    messages = Message.objects.filter(ticket=ticket)
    if not agent:
        messages = messages.filter(is_public=True)
    return messages.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )


def message_for_response(message: Message) -> Message:
    return ticket_messages(message.ticket, agent=True).get(pk=message.pk)
