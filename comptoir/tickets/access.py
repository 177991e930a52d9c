"""Who may see a ticket: the one place that decides, tested as a matrix.

A browser earns access to a ticket by following a secret link (the grant is
kept in its session, for that ticket only), by being signed in as the
requester with a verified address, or by being an agent. A ticket number alone
opens nothing.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest

from comptoir.accounts.models import Organisation, User
from comptoir.accounts.services import address_is_verified
from comptoir.tickets.models import Ticket

SESSION_KEY = "comptoir_ticket_grants"
MAX_GRANTS = 50


def _grant(ticket: Ticket) -> str:
    # The requester is part of the grant: when an agent gives the ticket to someone
    # else, browsers that followed the former requester's link no longer open it.
    return f"{ticket.pk}:{ticket.requester_id}"


def _grants(request: HttpRequest) -> list[str]:
    value = request.session.get(SESSION_KEY, [])
    return [str(grant) for grant in value] if isinstance(value, list) else []


def grant_ticket(request: HttpRequest, ticket: Ticket) -> None:
    grants = [grant for grant in _grants(request) if not grant.startswith(f"{ticket.pk}:")]
    # A new session key on every grant, so a session id planted before the
    # link was followed never gains access (session fixation).
    request.session.cycle_key()
    request.session[SESSION_KEY] = [*grants, _grant(ticket)][-MAX_GRANTS:]


def is_agent(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and getattr(user, "is_agent", False))


def has_verified_address(request: HttpRequest) -> bool:
    """The signed-in person proved their address; an unverified one sees no ticket. One query per request."""
    user = request.user
    if not user.is_authenticated:
        return False
    cached: bool | None = getattr(request, "_comptoir_verified", None)
    if cached is None:
        cached = address_is_verified(user)
        request._comptoir_verified = cached  # type: ignore[attr-defined]
    return cached


def owns_ticket(request: HttpRequest, ticket: Ticket) -> bool:
    """Signed in as the ticket's requester, with that address verified."""
    return ticket.requester_id == request.user.pk and has_verified_address(request)


def shares_ticket(request: HttpRequest, ticket: Ticket) -> bool:
    """A verified member of the requester's organisation, when that organisation shares its tickets.

    Costs nothing for people in no organisation, the usual case.
    """
    organisation_id = getattr(request.user, "organisation_id", None)
    if organisation_id is None or ticket.requester.organisation_id != organisation_id:
        return False
    return _organisation_shares(request, organisation_id) and has_verified_address(request)


def requester_visible(user: User) -> Q:
    """The tickets a signed-in requester sees, as a filter: their own, and their organisation's when it shares them.

    The list form of ``owns_ticket`` and ``shares_ticket`` ("My tickets", the
    API's list); like them it holds only once the address is verified, which
    the caller checks (``has_verified_address``). Sharing is read in the same
    query (a join), so the list costs no extra query and a change of the
    setting shows at once.
    """
    if user.organisation_id is None:
        return Q(requester=user)
    # The people first, then their tickets: "requester IN (...)" keeps to the requester
    # index, where an OR across the join would read the whole ticket table.
    people = User.objects.filter(
        Q(pk=user.pk) | Q(organisation_id=user.organisation_id, organisation__shares_tickets=True)
    ).values("pk")
    return Q(requester__in=people)


def _organisation_shares(request: HttpRequest, organisation_id: int) -> bool:
    """Read once per request: a page checks access two or three times."""
    cached: bool | None = getattr(request, "_comptoir_organisation_shares", None)
    if cached is None:
        cached = Organisation.objects.filter(pk=organisation_id, shares_tickets=True).exists()
        request._comptoir_organisation_shares = cached  # type: ignore[attr-defined]
    return cached


def can_view_ticket(request: HttpRequest, ticket: Ticket) -> bool:
    if is_agent(request):
        return True
    return can_reply_as_requester(request, ticket)


def holds_grant(request: HttpRequest, ticket: Ticket) -> bool:
    """This browser followed a link to the ticket, and the requester's account still stands.

    A requester who erased their data (or an account an administrator closed)
    takes every browser's grant with them, not only the links not yet followed;
    so does a requester replaced by an agent (``ticket_change_requester``).
    """
    return _grant(ticket) in _grants(request) and ticket.requester.is_active


def can_reply_as_requester(request: HttpRequest, ticket: Ticket) -> bool:
    """Only the requester's side replies from the Help Center page: the requester, or a colleague when shared."""
    return holds_grant(request, ticket) or owns_ticket(request, ticket) or shares_ticket(request, ticket)


def requester_side_author(request: HttpRequest, ticket: Ticket) -> User | None:
    """Who writes a requester-side reply: a signed-in colleague in their own name, else the requester (None)."""
    user = request.user
    if isinstance(user, User) and user.pk != ticket.requester_id and shares_ticket(request, ticket):
        return user
    return None
