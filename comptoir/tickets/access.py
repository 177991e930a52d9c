"""Who may see a ticket: the one place that decides, tested as a matrix.

A browser earns access to a ticket by following a secret link (the grant is
kept in its session, for that ticket only) or by being an agent. A ticket
number alone opens nothing.
"""

from __future__ import annotations

from django.http import HttpRequest

from comptoir.tickets.models import Ticket

SESSION_KEY = "comptoir_ticket_grants"
MAX_GRANTS = 50


def granted_ticket_ids(request: HttpRequest) -> list[int]:
    value = request.session.get(SESSION_KEY, [])
    return [int(pk) for pk in value] if isinstance(value, list) else []


def grant_ticket(request: HttpRequest, ticket: Ticket) -> None:
    grants = [pk for pk in granted_ticket_ids(request) if pk != ticket.pk]
    # A new session key on every grant, so a session id planted before the
    # link was followed never gains access (session fixation).
    request.session.cycle_key()
    request.session[SESSION_KEY] = [*grants, ticket.pk][-MAX_GRANTS:]


def is_agent(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and getattr(user, "is_agent", False))


def can_view_ticket(request: HttpRequest, ticket: Ticket) -> bool:
    if is_agent(request):
        return True
    return ticket.pk in granted_ticket_ids(request)


def can_reply_as_requester(request: HttpRequest, ticket: Ticket) -> bool:
    """Only the requester's side replies from the Help Center page."""
    return ticket.pk in granted_ticket_ids(request)
