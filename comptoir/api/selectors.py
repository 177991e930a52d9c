"""The tickets and messages a caller of the API reads: comptoir.tickets.access decides, the search selects.

An agent sees every ticket (spam aside in lists); a requester, what "My
tickets" shows them. The list's ``q`` and filters are the workspace search's
(comptoir.tickets.search), narrowing what the caller may see, never widening it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from rest_framework.exceptions import NotFound

from comptoir.accounts.models import User
from comptoir.api.problems import QueryInvalid
from comptoir.api.serializers import TicketListQuerySerializer
from comptoir.tickets import access
from comptoir.tickets.models import Attachment, Message, Tag, Ticket
from comptoir.tickets.search import filter_condition, requester_search_condition, search_condition
from comptoir.tickets.search_query import Filter, parse_search

# A reference past this is no ticket of ours (and would overflow SQLite's integers).
MAX_REFERENCE = 2**62


def ticket_rows() -> QuerySet[Ticket]:
    """Tickets with what their representation reads: a fixed number of queries for any number of them."""
    return Ticket.objects.select_related("requester", "assignee", "group").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def caller_ticket(request: HttpRequest, reference: int) -> Ticket:
    """The ticket, if the caller may see it; else 404, the same as for a ticket that does not exist."""
    ticket = None
    if 0 < reference < MAX_REFERENCE:
        ticket = ticket_rows().filter(pk=Ticket.pk_from_reference(reference)).first()
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
        search = requester_search_condition(query, user)
        visible = access.requester_visible(user)
    rows = ticket_rows().filter(visible).filter(search.condition)
    for condition in conditions:
        rows = rows.filter(condition)
    return rows, list(search.notices)


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
